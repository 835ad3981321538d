// The storage module's service (capabilities/schema/storage.capnp Storage) as plain async calls, for the
// modules granted it: provision (zmount/volume managers, capacity), registrar (sru/hru, the no-SSD rule),
// api (zos.storage.pools) and, later, zdb. JSON answers are parsed; "" (absent) becomes null.
import { Storage$Client } from "../../capabilities/schema/gen/storage.ts";
import type { UseCap } from "./caps.ts";

export interface StorageTotals {
  sru: number;
  hru: number;
  ssd: boolean;
  cache: { pool: string; size: number } | null;
  /** "" or why the node cannot register (no SSD pool) */
  problem: string;
}

export interface PoolJson {
  name: string;
  type: "ssd" | "hdd";
  size: number;
  used: number;
}

export interface Placed {
  pool: string;
  size: number;
  used?: number;
}

export class StorageClient {
  readonly #use: UseCap;
  constructor(use: UseCap) {
    this.#use = use;
  }
  #c<R>(fn: (s: Storage$Client) => Promise<R>): Promise<R> {
    return this.#use((cap) => fn(new Storage$Client(cap)));
  }
  pools(): Promise<PoolJson[]> {
    return this.#c(async (s) => JSON.parse((await s.pools().promise()).json));
  }
  totals(): Promise<StorageTotals> {
    return this.#c(async (s) => JSON.parse((await s.totals().promise()).json));
  }
  /** kind "volume" (SSD) or "zdb" (HDD): a subvolume of `size` bytes for owner `owner`, id "<owner>-…". */
  volumeCreate(owner: number, kind: "volume" | "zdb", id: string, size: bigint): Promise<Placed> {
    return this.#c(async (s) => JSON.parse((await s.volumeCreate((p) => { p.owner = owner; p.kind = kind; p.id = id; p.size = size; }).promise()).json));
  }
  volumeResize(owner: number, id: string, size: bigint): Promise<Placed> {
    return this.#c(async (s) => JSON.parse((await s.volumeResize((p) => { p.owner = owner; p.id = id; p.size = size; }).promise()).json));
  }
  volumeDelete(owner: number, id: string): Promise<void> {
    return this.#c(async (s) => { await s.volumeDelete((p) => { p.owner = owner; p.id = id; }).promise(); });
  }
  volumeInfo(owner: number, id: string): Promise<Placed | null> {
    return this.#c(async (s) => { const j = (await s.volumeInfo((p) => { p.owner = owner; p.id = id; }).promise()).json; return j ? JSON.parse(j) : null; });
  }
  diskCreate(owner: number, id: string, size: bigint): Promise<Placed> {
    return this.#c(async (s) => JSON.parse((await s.diskCreate((p) => { p.owner = owner; p.id = id; p.size = size; }).promise()).json));
  }
  diskResize(owner: number, id: string, size: bigint): Promise<Placed> {
    return this.#c(async (s) => JSON.parse((await s.diskResize((p) => { p.owner = owner; p.id = id; p.size = size; }).promise()).json));
  }
  diskDelete(owner: number, id: string): Promise<void> {
    return this.#c(async (s) => { await s.diskDelete((p) => { p.owner = owner; p.id = id; }).promise(); });
  }
  diskInfo(owner: number, id: string): Promise<Placed | null> {
    return this.#c(async (s) => { const j = (await s.diskInfo((p) => { p.owner = owner; p.id = id; }).promise()).json; return j ? JSON.parse(j) : null; });
  }
}
