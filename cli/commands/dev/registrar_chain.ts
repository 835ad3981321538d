// RegistrarChain over the node's chain driver (capabilities/chain): reads through its read facet,
// registration extrinsics through NodeCalls bound to the node's "chain" signer.
import type { ChainClient, NodeCalls, Signer } from "../../../capabilities/chain/mod.ts";
import { encodeAddress } from "@polkadot/util-crypto";
import type { ChainNode, ChainTwin, NodeRegistration, RegistrarChain } from "../../../modules/registrar/ports.ts";

// deno-lint-ignore no-explicit-any
type Plain = any;

/** Option<Bytes> as toPrimitive gives it: text when printable, 0x-hex otherwise. */
function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  if (/^0x([0-9a-f]{2})*$/i.test(s) && s.length > 2) {
    const bytes = Uint8Array.from(s.slice(2).match(/../g)!, (x) => parseInt(x, 16));
    return new TextDecoder().decode(bytes);
  }
  return s;
}

function asHex(v: unknown): string | null {
  if (v === null || v === undefined || v === "") return null;
  const s = String(v);
  if (/^0x[0-9a-f]*$/i.test(s)) return s.length > 2 ? s.toLowerCase() : null;
  return "0x" + Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class DriverRegistrarChain implements RegistrarChain {
  readonly address: string;
  #client: ChainClient;
  #calls: NodeCalls;

  constructor(client: ChainClient, signer: Signer) {
    this.#client = client;
    this.#calls = client.nodeCalls(signer);
    this.address = encodeAddress(signer.publicKey, 42);
  }

  async freeBalance(): Promise<bigint> {
    return (await this.#client.read.balance(this.address)).free;
  }

  /** Creating a twin requires accepted T&C, so an account with a twin has accepted them; without one,
   * accepting again is harmless (the chain appends), which keeps a rerun after a crash safe. */
  async hasAcceptedTerms(): Promise<boolean> {
    return (await this.twinIdByAccount()) !== null;
  }

  async acceptTerms(link: string, hash: string): Promise<void> {
    await this.#calls.acceptTermsAndConditions(link, hash);
  }

  async twinIdByAccount(): Promise<number | null> {
    const id = await this.#client.read.twinIdByAccount(this.address);
    return id ? Number(id) : null;
  }

  createTwin(relay: string | null, pk: string | null): Promise<number> {
    return this.#calls.createTwin(relay, pk);
  }

  async getTwin(id: number): Promise<ChainTwin | null> {
    const t: Plain = await this.#client.read.twin(id);
    if (!t) return null;
    return { id, relay: asText(t.relay), pk: asHex(t.pk) };
  }

  async updateTwin(relay: string | null, pk: string | null): Promise<void> {
    await this.#calls.updateTwin(relay, pk);
  }

  async farm(id: number): Promise<{ id: number; twinId: number } | null> {
    const f: Plain = await this.#client.read.farm(id);
    return f ? { id, twinId: Number(f.twinId) } : null;
  }

  nodeIdByTwin(twinId: number): Promise<number | null> {
    return this.#client.read.nodeIdByTwin(twinId);
  }

  async getNode(id: number): Promise<ChainNode | null> {
    const n: Plain = await this.#client.read.node(id);
    if (!n) return null;
    return {
      id,
      twinId: Number(n.twinId),
      farmId: Number(n.farmId),
      resources: { hru: Number(n.resources.hru), sru: Number(n.resources.sru), cru: Number(n.resources.cru), mru: Number(n.resources.mru) },
      location: {
        city: asText(n.location.city) ?? "",
        country: asText(n.location.country) ?? "",
        latitude: asText(n.location.latitude) ?? "",
        longitude: asText(n.location.longitude) ?? "",
      },
      interfaces: (n.interfaces ?? []).map((i: Plain) => ({
        name: asText(i.name) ?? "",
        mac: asText(i.mac) ?? "",
        ips: (i.ips ?? []).map((x: unknown) => asText(x) ?? ""),
      })),
      secureBoot: Boolean(n.secureBoot),
      virtualized: Boolean(n.virtualized),
      serialNumber: asText(n.serialNumber),
    };
  }

  createNode(r: NodeRegistration): Promise<number> {
    return this.#calls.createNode(r);
  }

  async updateNode(id: number, r: NodeRegistration): Promise<void> {
    await this.#calls.updateNode(id, r);
  }

  async reportUptime(uptimeSecs: number, nowSecs: number): Promise<void> {
    await this.#calls.reportUptime(uptimeSecs, nowSecs);
  }
}
