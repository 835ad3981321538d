// capabilities/chain: the node's chain driver on @polkadot/api 16.5.x — connection with failover and
// reconnect, a read facet and a submit facet that signs through the identity driver's chain-purpose signer.
import type { ApiPromise } from "@polkadot/api";
import { connectApi, type ConnectionOptions } from "./connection.ts";
import { ChainReader } from "./reader.ts";
import { ChainSubmitter, type ExtrinsicSigner, type Signer } from "./submitter.ts";
import { NodeCalls } from "./node-calls.ts";

export { ChainUnavailable, type ConnectionOptions } from "./connection.ts";
export { type ChainEvent, ChainReader } from "./reader.ts";
export { ChainDispatchError, ChainSubmitter, type ExtrinsicSigner, type Included, type Signer } from "./submitter.ts";
export { NODE_CHAIN_CALLS, NodeCalls } from "./node-calls.ts";

export class ChainClient {
  readonly #api: ApiPromise;
  readonly read: ChainReader;

  private constructor(api: ApiPromise) {
    this.#api = api;
    this.read = new ChainReader(api);
  }

  static async connect(opts: ConnectionOptions): Promise<ChainClient> {
    const { api } = await connectApi(opts);
    return new ChainClient(api);
  }

  /** A submit facet bound to one signer (the node's chain-purpose signer, or a user's). */
  submitter(signer: Signer | ExtrinsicSigner, timeoutMs?: number): ChainSubmitter {
    return new ChainSubmitter(this.#api, signer, timeoutMs);
  }

  /** The calls a node makes (registration, uptime, capacity), over a submitter. */
  nodeCalls(signer: Signer | ExtrinsicSigner): NodeCalls {
    return new NodeCalls(this.submitter(signer));
  }

  get connected(): boolean {
    return this.#api.isConnected;
  }

  async close(): Promise<void> {
    await this.#api.disconnect();
  }
}
