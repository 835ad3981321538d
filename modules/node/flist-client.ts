// The flist driver's capability (capabilities/schema/flist.capnp) as the zmachine manager's FlistPort.
import { Flist$Client } from "../../capabilities/schema/gen/flist.ts";
import type { UseCap } from "./caps.ts";
import type { FlistInfo, FlistPort } from "../provision/managers/zmachine.ts";

export function flistClient(use: UseCap): FlistPort & { release(hash: string): Promise<void> } {
  const c = <R>(fn: (f: Flist$Client) => Promise<R>) => use((cap) => fn(new Flist$Client(cap)));
  return {
    prepare: (url) => c(async (f) => JSON.parse((await f.prepare((p) => (p.url = url)).promise()).json) as FlistInfo),
    release: (hash) => c(async (f) => void (await f.release((p) => (p.hash = hash)).promise())),
    writable: (owner, vm, url, size, volume) => c(async (f) => JSON.parse((await f.writable((p) => {
      p.owner = owner;
      p.vm = vm;
      p.url = url;
      p.size = size;
      p.volume = volume ?? "";
    }).promise()).json) as { path: string }),
    dropWritable: (owner, vm) => c(async (f) => void (await f.dropWritable((p) => {
      p.owner = owner;
      p.vm = vm;
    }).promise())),
  };
}
