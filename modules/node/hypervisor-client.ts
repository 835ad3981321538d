// The hypervisor driver's capability (capabilities/schema/hypervisor.capnp) as plain async calls, for the
// provision module (zmachine, zlogs) and the api module (console logs).
import { Hypervisor$Client } from "../../capabilities/schema/gen/hypervisor.ts";
import type { UseCap } from "./caps.ts";
import type { HypervisorPort, VmInfo } from "../provision/managers/zmachine.ts";

export interface HypervisorClient extends HypervisorPort {
  list(): Promise<VmInfo[]>;
  console(id: string, offset: number, max: number): Promise<{ data: Uint8Array; next: number }>;
}

export function hypervisorClient(use: UseCap): HypervisorClient {
  const c = <R>(fn: (h: Hypervisor$Client) => Promise<R>) => use((cap) => fn(new Hypervisor$Client(cap)));
  const parse = (j: string) => JSON.parse(j) as VmInfo;
  return {
    create: (json) => c(async (h) => parse((await h.create((p) => (p.json = json)).promise()).json)),
    destroy: (id) => c(async (h) => (await h.destroy((p) => (p.id = id)).promise()).existed),
    info: (id) => c(async (h) => {
      const j = (await h.info((p) => (p.id = id)).promise()).json;
      return j ? parse(j) : null;
    }),
    list: () => c(async (h) => JSON.parse((await h.list().promise()).json) as VmInfo[]),
    pause: (id) => c(async (h) => parse((await h.pause((p) => (p.id = id)).promise()).json)),
    resume: (id) => c(async (h) => parse((await h.resume((p) => (p.id = id)).promise()).json)),
    uid: () => c(async (h) => (await h.uid().promise()).uid),
    stream: (id, url, netns) => c(async (h) => void (await h.stream((p) => {
      p.id = id;
      p.url = url;
      p.netns = netns;
    }).promise())),
    unstream: (id, url) => c(async (h) => (await h.unstream((p) => {
      p.id = id;
      p.url = url;
    }).promise()).existed),
    console: (id, offset, max) => c(async (h) => {
      const r = await h.console((p) => {
        p.id = id;
        p.offset = BigInt(offset);
        p.max = max;
      }).promise();
      return { data: new Uint8Array(r.data.toUint8Array()), next: Number(r.next) };
    }),
  };
}
