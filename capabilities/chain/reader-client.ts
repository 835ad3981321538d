// The chain driver's read facet as seen by other processes: plain async methods over a ChainReader
// capability (values are `toPrimitive` JSON, as the in-process ChainReader returns them).
import type * as $ from "capnp-es";
import { ChainReader$Client } from "../schema/gen/chain.ts";

// deno-lint-ignore no-explicit-any
type Plain = any;

/** Runs a call on the current capability (a kernel `Ref` re-acquires it after a revocation). */
export type UseCap = <R>(fn: (cap: $.Client) => Promise<R>) => Promise<R>;

function parse(text: string): Plain {
  return text === "" ? null : JSON.parse(text);
}

export class ChainReaderClient {
  readonly #use: UseCap;
  constructor(use: UseCap) {
    this.#use = use;
  }
  #c<R>(fn: (c: ChainReader$Client) => Promise<R>): Promise<R> {
    return this.#use((cap) => fn(new ChainReader$Client(cap)));
  }
  twin(id: number): Promise<Plain> {
    return this.#c(async (c) => parse((await c.twin((p) => (p.id = id)).promise()).json));
  }
  twinIdByAccount(address: string): Promise<number | null> {
    return this.#c(async (c) => {
      const r = await c.twinIdByAccount((p) => (p.address = address)).promise();
      return r.found ? r.id : null;
    });
  }
  farm(id: number): Promise<Plain> {
    return this.#c(async (c) => parse((await c.farm((p) => (p.id = id)).promise()).json));
  }
  node(id: number): Promise<Plain> {
    return this.#c(async (c) => parse((await c.node((p) => (p.id = id)).promise()).json));
  }
  nodeIdByTwin(twinId: number): Promise<number | null> {
    return this.#c(async (c) => {
      const r = await c.nodeIdByTwin((p) => (p.twinId = twinId)).promise();
      return r.found ? r.id : null;
    });
  }
  contract(id: number): Promise<Plain> {
    return this.#c(async (c) => parse((await c.contract((p) => (p.id = BigInt(id))).promise()).json));
  }
  contractIdByName(name: string): Promise<number | null> {
    return this.#c(async (c) => {
      const r = await c.contractIdByName((p) => (p.name = name)).promise();
      return r.found ? Number(r.id) : null;
    });
  }
  rentContractForNode(nodeId: number): Promise<number | null> {
    return this.#c(async (c) => {
      const r = await c.rentContractForNode((p) => (p.nodeId = nodeId)).promise();
      return r.found ? Number(r.id) : null;
    });
  }
  balance(address: string): Promise<{ free: bigint; reserved: bigint }> {
    return this.#c(async (c) => {
      const r = await c.balance((p) => (p.address = address)).promise();
      return { free: BigInt(r.free), reserved: BigInt(r.reserved) };
    });
  }
}
