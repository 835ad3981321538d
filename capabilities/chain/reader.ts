// Read facet of the chain driver: the storage a node reads (twins, farms, nodes, contracts) as plain
// data, and a System.Events subscription.
import type { ApiPromise } from "@polkadot/api";
import type { EventRecord } from "@polkadot/types/interfaces";

// deno-lint-ignore no-explicit-any
type Plain = any;

export interface ChainEvent {
  section: string;
  method: string;
  data: Plain[];
  /** index of the extrinsic in its block, null for block initialization/finalization events */
  extrinsicIndex: number | null;
  blockHash: string;
}

function plain(codec: { isEmpty?: boolean; toPrimitive(): unknown } | null): Plain {
  if (!codec) return null;
  // deno-lint-ignore no-explicit-any
  const c = codec as any;
  if (c.isNone) return null;
  return c.isSome ? c.unwrap().toPrimitive() : c.toPrimitive();
}

export class ChainReader {
  readonly #api: ApiPromise;

  constructor(api: ApiPromise) {
    this.#api = api;
  }

  async twin(id: number): Promise<Plain | null> {
    return plain(await this.#api.query.tfgridModule.twins(id));
  }

  async twinIdByAccount(address: string): Promise<number | null> {
    return plain(await this.#api.query.tfgridModule.twinIdByAccountID(address));
  }

  async farm(id: number): Promise<Plain | null> {
    return plain(await this.#api.query.tfgridModule.farms(id));
  }

  async node(id: number): Promise<Plain | null> {
    return plain(await this.#api.query.tfgridModule.nodes(id));
  }

  /** 0 is TFChain's "no node" (the storage item has a default). */
  async nodeIdByTwin(twinId: number): Promise<number | null> {
    const id = plain(await this.#api.query.tfgridModule.nodeIdByTwinID(twinId));
    return id ? id : null;
  }

  async contract(id: number): Promise<Plain | null> {
    return plain(await this.#api.query.smartContractModule.contracts(id));
  }

  async activeNodeContracts(nodeId: number): Promise<number[]> {
    return plain(await this.#api.query.smartContractModule.activeNodeContracts(nodeId)) ?? [];
  }

  async contractIdByNodeAndHash(nodeId: number, hash: string): Promise<number | null> {
    const id = plain(await this.#api.query.smartContractModule.contractIDByNodeIDAndHash(nodeId, hash));
    return id ? id : null;
  }

  async contractIdByName(name: string): Promise<number | null> {
    const id = plain(await this.#api.query.smartContractModule.contractIDByNameRegistration(name));
    return id ? id : null;
  }

  async rentContractForNode(nodeId: number): Promise<number | null> {
    return plain(await this.#api.query.smartContractModule.activeRentContractForNode(nodeId));
  }

  async balance(address: string): Promise<{ free: bigint; reserved: bigint }> {
    // deno-lint-ignore no-explicit-any
    const a = (await this.#api.query.system.account(address)) as any;
    return { free: a.data.free.toBigInt(), reserved: a.data.reserved.toBigInt() };
  }

  /** Calls `onEvents` with each new block's events; returns the unsubscribe function. */
  async subscribeEvents(onEvents: (events: ChainEvent[]) => void): Promise<() => void> {
    const unsub = await this.#api.rpc.chain.subscribeNewHeads(async (header) => {
      const hash = header.hash.toHex();
      try {
        const at = await this.#api.at(hash);
        const records = (await at.query.system.events()) as unknown as EventRecord[];
        onEvents(records.map((r) => ({
          section: r.event.section,
          method: r.event.method,
          data: r.event.data.map((d) => d.toPrimitive()),
          extrinsicIndex: r.phase.isApplyExtrinsic ? r.phase.asApplyExtrinsic.toNumber() : null,
          blockHash: hash,
        })));
      } catch {
        // the block was pruned or the connection dropped: the next head comes with its own events
      }
    });
    return unsub as unknown as () => void;
  }
}
