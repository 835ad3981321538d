// The block-device driver's capability as the plain async API the pool policy uses (pools.ts BlockDevApi).
import { BlockDev$Client } from "../../capabilities/schema/gen/storage.ts";
import type { UseCap } from "../node/caps.ts";
import type { BlockDevApi } from "./pools.ts";

export function blockDevClient(use: UseCap): BlockDevApi {
  const c = <R>(fn: (b: BlockDev$Client) => Promise<R>) => use((cap) => fn(new BlockDev$Client(cap)));
  const json = async (p: Promise<{ json: string }>) => JSON.parse((await p).json);
  const big = (n: number) => BigInt(Math.floor(n));
  return {
    disks: () => c((b) => json(b.disks().promise())),
    format: (disk, pool) => c(async (b) => { await b.format((p) => { p.disk = disk; p.pool = pool; }).promise(); }),
    mount: (pool) => c((b) => json(b.mount((p) => (p.pool = pool)).promise())),
    usage: (pool) => c((b) => json(b.usage((p) => (p.pool = pool)).promise())),
    subvolCreate: (pool, name, limit) => c(async (b) => { await b.subvolCreate((p) => { p.pool = pool; p.name = name; p.limit = big(limit); }).promise(); }),
    subvolLimit: (pool, name, limit) => c(async (b) => { await b.subvolLimit((p) => { p.pool = pool; p.name = name; p.limit = big(limit); }).promise(); }),
    subvolDelete: (pool, name) => c(async (b) => { await b.subvolDelete((p) => { p.pool = pool; p.name = name; }).promise(); }),
    subvolList: (pool) => c((b) => json(b.subvolList((p) => (p.pool = pool)).promise())),
    vdiskCreate: (pool, name, size) => c(async (b) => { await b.vdiskCreate((p) => { p.pool = pool; p.name = name; p.size = big(size); }).promise(); }),
    vdiskResize: (pool, name, size) => c(async (b) => { await b.vdiskResize((p) => { p.pool = pool; p.name = name; p.size = big(size); }).promise(); }),
    vdiskDelete: (pool, name) => c(async (b) => { await b.vdiskDelete((p) => { p.pool = pool; p.name = name; }).promise(); }),
    vdiskList: (pool) => c((b) => json(b.vdiskList((p) => (p.pool = pool)).promise())),
    subvolHandOver: (pool, name, to) => c(async (b) => { await b.subvolHandOver((p) => { p.pool = pool; p.name = name; p.to = to; }).promise(); }),
  };
}
