// The Flist capability as the zmachine manager's FlistPort (modules/provision/managers/zmachine.ts):
// JSON in, typed objects out. `use` runs a call on the granted reference (re-acquired after a restart).
import type * as $ from "capnp-es";
import { Flist$Client } from "../schema/gen/flist.ts";
import type { RootInfo } from "./cache.ts";

/** What `prepare` answers: the driver's own record of a cached root. */
export type FlistRoot = RootInfo;

type Use = <T>(fn: (c: $.Client) => Promise<T>) => Promise<T>;

export function flistClient(use: Use) {
  const call = <T>(fn: (c: Flist$Client) => Promise<T>) => use((c) => fn(new Flist$Client(c)));
  return {
    prepare: (url: string) => call(async (c) => JSON.parse((await c.prepare((p) => (p.url = url)).promise()).json) as FlistRoot),
    release: (hash: string) => call(async (c) => void await c.release((p) => (p.hash = hash)).promise()),
    writable: (owner: number, vm: string, url: string, size: bigint, volume = "") =>
      call(async (c) =>
        JSON.parse((await c.writable((p) => {
          p.owner = owner;
          p.vm = vm;
          p.url = url;
          p.size = size;
          p.volume = volume;
        }).promise()).json) as { path: string; hash: string; size: number }
      ),
    dropWritable: (owner: number, vm: string) =>
      call(async (c) =>
        void await c.dropWritable((p) => {
          p.owner = owner;
          p.vm = vm;
        }).promise()
      ),
    md5: (url: string) => call(async (c) => (await c.md5((p) => (p.url = url)).promise()).md5),
    list: () => call(async (c) => JSON.parse((await c.list().promise()).json) as { hash: string; url: string; root: string; refs: number; writables: string[] }[]),
  };
}
