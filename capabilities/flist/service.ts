// The Flist capability (capabilities/schema/flist.capnp) over a FlistCache, one server per grant.
// Grant restrictions (unknown keys refused): {"owners"?: [twin ids whose writable roots this grantee
// may make and drop], "hubs"?: ["host:port", …] (a subset of the driver's hubs)}.
import { Flist$Server } from "../schema/gen/flist.ts";
import type { FlistCache } from "./cache.ts";
import type { HubPolicy } from "./policy.ts";

export function flistServer(cache: FlistCache, hubs: HubPolicy, restrictions: Record<string, unknown>, grantee: string): Flist$Server {
  for (const k of Object.keys(restrictions)) {
    if (k !== "owners" && k !== "hubs") throw new Error(`denied: flist: unknown restriction "${k}" (known: owners, hubs)`);
  }
  const owners = restrictions.owners;
  if (owners !== undefined && !(Array.isArray(owners) && owners.every((o) => Number.isInteger(o) && o > 0))) {
    throw new Error("denied: flist: restrictions.owners must be a list of twin ids");
  }
  const hubList = restrictions.hubs;
  if (hubList !== undefined && !(Array.isArray(hubList) && hubList.every((h) => typeof h === "string"))) {
    throw new Error('denied: flist: restrictions.hubs must be a list of "host:port"');
  }
  const policy = hubs.narrowed(hubList as string[] | undefined);
  const mayAct = (owner: number) => {
    if (Array.isArray(owners) && !owners.includes(owner)) throw new Error(`denied: flist: ${grantee} may not act for twin ${owner}`);
  };
  return new Flist$Server({
    async prepare(p, r) {
      r.json = JSON.stringify(await cache.prepare(p.url, policy, grantee));
    },
    async release(p) {
      await cache.release(p.hash, grantee);
    },
    async writable(p, r) {
      mayAct(p.owner);
      r.json = JSON.stringify(await cache.writable(p.owner, p.vm, p.url, Number(p.size), policy, grantee, p.volume));
    },
    async dropWritable(p) {
      mayAct(p.owner);
      await cache.dropWritable(p.owner, p.vm);
    },
    async md5(p, r) {
      r.md5 = await cache.md5(p.url, policy);
    },
    list(_p, r) {
      r.json = JSON.stringify(cache.list(Array.isArray(owners) ? owners as number[] : undefined));
      return Promise.resolve();
    },
  });
}
