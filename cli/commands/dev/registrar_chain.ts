// RegistrarChain over the node's chain driver (capabilities/chain): reads through its read facet,
// registration extrinsics through NodeCalls bound to the node's "chain" signer.
import type { ChainClient, ExtrinsicSigner, NodeCalls, Signer } from "../../../capabilities/chain/mod.ts";
import { encodeAddress } from "@polkadot/util-crypto";
import type { ChainNode, ChainTwin, NodeRegistration, RegistrarChain } from "../../../modules/registrar/ports.ts";
import { chainNodeFrom, chainTwinFrom } from "../../../modules/registrar/chain-values.ts";

// deno-lint-ignore no-explicit-any
type Plain = any;



export class DriverRegistrarChain implements RegistrarChain {
  readonly address: string;
  #client: ChainClient;
  #calls: NodeCalls;

  constructor(client: ChainClient, signer: ExtrinsicSigner | Signer) {
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
    return chainTwinFrom(id, await this.#client.read.twin(id));
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
    return chainNodeFrom(id, await this.#client.read.node(id));
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
