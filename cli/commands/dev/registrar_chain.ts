// RegistrarChain over @polkadot/api: the node's registration extrinsics (TfgridModule) signed through a
// purpose-scoped signer, and the storage reads the registrar compares against.
import type { ApiPromise } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import { u8aToHex } from "@polkadot/util";
import type { ChainNode, ChainTwin, NodeRegistration, RegistrarChain } from "../../../modules/registrar/ports.ts";
import { addressOf, polkadotSigner, type RawSigner } from "./polkadot_signer.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

export class ChainCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChainCallError";
  }
}

/** Signs, submits and waits for inclusion; dispatch errors become "<pallet>.<Error>". */
export function submitSigned(api: ApiPromise, tx: SubmittableExtrinsic<"promise">, s: RawSigner, timeoutMs = 60_000): Promise<Any[]> {
  const what = `${tx.method.section}.${tx.method.method}`;
  return new Promise((resolve, reject) => {
    let unsub: (() => void) | null = null;
    const timer = setTimeout(() => finish(() => reject(new ChainCallError(`${what} not included within ${timeoutMs} ms`))), timeoutMs);
    function finish(fn: () => void) {
      clearTimeout(timer);
      unsub?.();
      fn();
    }
    tx.signAndSend(addressOf(s), { signer: polkadotSigner(api, s), nonce: -1 }, (r) => {
      if (r.dispatchError) {
        let why = r.dispatchError.toString();
        if (r.dispatchError.isModule) {
          try {
            const m = api.registry.findMetaError(r.dispatchError.asModule);
            why = `${m.section}.${m.name}`;
          } catch { /* raw */ }
        }
        return finish(() => reject(new ChainCallError(`${what} failed: ${why}`)));
      }
      if (r.status.isInBlock || r.status.isFinalized) return finish(() => resolve(r.events.map((e) => e.event)));
      if (r.status.isInvalid || r.status.isDropped || r.status.isUsurped) {
        finish(() => reject(new ChainCallError(`${what} was ${r.status.type.toLowerCase()}`)));
      }
    }).then((u) => (unsub = u), (err) => finish(() => reject(new ChainCallError(`${what} rejected: ${(err as Error).message}`))));
  });
}

const text = (v: Any): string => {
  const h = v?.toHex ? v.toHex() : v;
  if (typeof h === "string" && h.startsWith("0x")) return new TextDecoder().decode(Uint8Array.from(h.slice(2).match(/../g) ?? [], (x) => parseInt(x, 16)));
  return String(h ?? "");
};

function optText(o: Any): string | null {
  if (!o || o.isNone) return null;
  return text(o.unwrap());
}

function optHex(o: Any): string | null {
  if (!o || o.isNone) return null;
  const b: Uint8Array = o.unwrap().toU8a(true);
  return b.length ? u8aToHex(b) : null;
}

export class PolkadotRegistrarChain implements RegistrarChain {
  readonly address: string;
  #api: ApiPromise;
  #signer: RawSigner;

  constructor(api: ApiPromise, signer: RawSigner) {
    this.#api = api;
    this.#signer = signer;
    this.address = addressOf(signer);
  }

  #q(): Any {
    return this.#api.query;
  }

  #tx(): Any {
    return this.#api.tx;
  }

  async freeBalance(): Promise<bigint> {
    const a: Any = await this.#q().system.account(this.address);
    return BigInt(a.data.free.toString());
  }

  async hasAcceptedTerms(): Promise<boolean> {
    const list: Any = await this.#q().tfgridModule.usersTermsAndConditions(this.address);
    const v = list?.isSome ? list.unwrap() : list;
    return Array.isArray(v) ? v.length > 0 : (v?.length ?? 0) > 0;
  }

  async acceptTerms(link: string, hash: string): Promise<void> {
    await submitSigned(this.#api, this.#tx().tfgridModule.userAcceptTc(link, hash), this.#signer);
  }

  async twinIdByAccount(): Promise<number | null> {
    const v: Any = await this.#q().tfgridModule.twinIdByAccountID(this.address);
    const n = Number(v?.isSome ? v.unwrap().toString() : v?.toString() ?? 0);
    return n > 0 ? n : null;
  }

  async createTwin(relay: string | null, pk: string | null): Promise<number> {
    const events = await submitSigned(this.#api, this.#tx().tfgridModule.createTwin(relay, pk), this.#signer);
    const stored = events.find((e: Any) => e.section === "tfgridModule" && e.method === "TwinStored");
    const id = (stored?.data[0]?.toJSON() as Any)?.id;
    if (typeof id === "number") return id;
    const again = await this.twinIdByAccount();
    if (again === null) throw new ChainCallError("create_twin was included but no twin is indexed for this account");
    return again;
  }

  async getTwin(id: number): Promise<ChainTwin | null> {
    const o: Any = await this.#q().tfgridModule.twins(id);
    if (!o || o.isNone) return null;
    const t = o.unwrap();
    return { id, relay: optText(t.relay), pk: optHex(t.pk) };
  }

  async updateTwin(relay: string | null, pk: string | null): Promise<void> {
    await submitSigned(this.#api, this.#tx().tfgridModule.updateTwin(relay, pk), this.#signer);
  }

  async farm(id: number): Promise<{ id: number; twinId: number } | null> {
    const o: Any = await this.#q().tfgridModule.farms(id);
    if (!o || o.isNone) return null;
    const f = o.unwrap().toJSON();
    return { id, twinId: Number(f.twinId) };
  }

  async nodeIdByTwin(twinId: number): Promise<number | null> {
    const v: Any = await this.#q().tfgridModule.nodeIdByTwinID(twinId);
    const n = Number(v?.isSome ? v.unwrap().toString() : v?.toString() ?? 0);
    return n > 0 ? n : null;
  }

  async getNode(id: number): Promise<ChainNode | null> {
    const o: Any = await this.#q().tfgridModule.nodes(id);
    if (!o || o.isNone) return null;
    const n = o.unwrap();
    const j = n.toJSON();
    return {
      id,
      twinId: Number(j.twinId),
      farmId: Number(j.farmId),
      resources: { hru: Number(j.resources.hru), sru: Number(j.resources.sru), cru: Number(j.resources.cru), mru: Number(j.resources.mru) },
      location: { city: text(n.location.city), country: text(n.location.country), latitude: text(n.location.latitude), longitude: text(n.location.longitude) },
      interfaces: n.interfaces.map((i: Any) => ({ name: text(i.name), mac: text(i.mac), ips: i.ips.map((x: Any) => text(x)) })),
      secureBoot: Boolean(j.secureBoot),
      virtualized: Boolean(j.virtualized),
      serialNumber: optText(n.serialNumber),
    };
  }

  #nodeArgs(r: NodeRegistration): Any[] {
    return [
      r.resources,
      r.location,
      r.interfaces.map((i) => ({ name: i.name, mac: i.mac, ips: i.ips })),
      r.secureBoot,
      r.virtualized,
      r.serialNumber,
    ];
  }

  async createNode(r: NodeRegistration): Promise<number> {
    const events = await submitSigned(this.#api, this.#tx().tfgridModule.createNode(r.farmId, ...this.#nodeArgs(r)), this.#signer);
    const stored = events.find((e: Any) => e.section === "tfgridModule" && e.method === "NodeStored");
    const id = (stored?.data[0]?.toJSON() as Any)?.id;
    if (typeof id === "number") return id;
    const twin = await this.twinIdByAccount();
    const again = twin === null ? null : await this.nodeIdByTwin(twin);
    if (again === null) throw new ChainCallError("create_node was included but no node is indexed for this twin");
    return again;
  }

  async updateNode(id: number, r: NodeRegistration): Promise<void> {
    await submitSigned(this.#api, this.#tx().tfgridModule.updateNode(id, r.farmId, ...this.#nodeArgs(r)), this.#signer);
  }

  async reportUptime(uptimeSecs: number, nowSecs: number): Promise<void> {
    await submitSigned(this.#api, this.#tx().tfgridModule.reportUptimeV2(uptimeSecs, nowSecs), this.#signer);
  }
}
