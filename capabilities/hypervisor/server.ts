// The Hypervisor capability (capabilities/schema/hypervisor.capnp) for one grant: its scope decides which
// paths and taps a request may name; the grantee's name scopes which VMs it sees.
import { Hypervisor$Server } from "../schema/gen/hypervisor.ts";
import type { Hypervisor } from "./hypervisor.ts";
import { parseSpec, type Scope } from "./spec.ts";

export function hypervisorServer(hv: Hypervisor, scope: Scope, holder: string): Hypervisor$Server {
  const grantee = scope.readOf ?? holder;
  const write = () => {
    if (scope.readOf) throw new Error(`denied: hypervisor: this grant only reads the VMs of ${scope.readOf}`);
  };
  return new Hypervisor$Server({
    async create(p, r) {
      write();
      r.json = JSON.stringify(await hv.create(parseSpec(p.json, scope), grantee));
    },
    async destroy(p, r) {
      write();
      r.existed = await hv.destroy(p.id, grantee);
    },
    info(p, r) {
      const i = hv.info(p.id, grantee);
      r.json = i ? JSON.stringify(i) : "";
      return Promise.resolve();
    },
    list(_p, r) {
      r.json = JSON.stringify(hv.list(grantee));
      return Promise.resolve();
    },
    async pause(p, r) {
      write();
      r.json = JSON.stringify(await hv.pause(p.id, grantee));
    },
    async resume(p, r) {
      write();
      r.json = JSON.stringify(await hv.resume(p.id, grantee));
    },
    console(p, r) {
      const c = hv.console(p.id, grantee, Number(p.offset), p.max);
      r._initData(c.data.length).copyBuffer(c.data);
      r.next = BigInt(c.next);
      return Promise.resolve();
    },
    stream(p) {
      write();
      hv.stream(p.id, grantee, p.url, p.netns);
      return Promise.resolve();
    },
    unstream(p, r) {
      write();
      r.existed = hv.unstream(p.id, grantee, p.url);
      return Promise.resolve();
    },
    uid(_p, r) {
      r.uid = hv.uid();
      return Promise.resolve();
    },
  });
}
