// The netlink driver's operations as JSON: each checked against the caller's grant (all of a batch before
// any runs, so a refused batch changes nothing), then run in order on NetOps.
import { checkLink, checkNotHost, checkNs, type Grant, nsAllowed } from "./grant.ts";
import { IFNAME_RE, type NetOps } from "./ops.ts";
import type { WgConfig } from "./wireguard.ts";

type Op = Record<string, unknown> & { op: string };

function s(o: Op, k: string, i: number, opt = false): string {
  const v = o[k];
  if (v === undefined && opt) return "";
  if (typeof v !== "string") throw new Error(`operation ${i} (${o.op}): "${k}" must be a string`);
  return v;
}
function ifname(o: Op, k: string, i: number, opt = false): string {
  const v = s(o, k, i, opt);
  if (v === "" && opt) return v;
  if (!IFNAME_RE.test(v)) throw new Error(`operation ${i} (${o.op}): "${k}" = "${v}" is not an interface name (1-15 of letters, digits, . _ - @)`);
  return v;
}
const ns = (o: Op, k: string, i: number): string => s(o, k, i, true);

/** Grant check of one operation; returns nothing, throws "denied: …". */
function check(g: Grant, o: Op, i: number): void {
  const w = `operation ${i} (${o.op})`;
  switch (o.op) {
    case "ns.add":
    case "ns.del":
      if (!ns(o, "name", i)) throw new Error(`${w}: "name" is required`);
      checkNs(g, ns(o, "name", i), w);
      return;
    case "ns.list":
      return;
    case "link.list":
    case "route.list":
      checkNs(g, ns(o, "ns", i), w);
      if (ns(o, "ns", i) === "") checkNotHost("", w);
      return;
    case "link.add":
      // created straight inside `into` when given: the name lives there, only the parent is in `ns`
      checkLink(g, o.into !== undefined ? ns(o, "into", i) : ns(o, "ns", i), ifname(o, "name", i), w);
      if (o.into === undefined) checkNs(g, ns(o, "ns", i), w);
      if (o.kind === "veth") checkLink(g, o.peerNs === undefined ? ns(o, "ns", i) : ns(o, "peerNs", i), ifname(o, "peer", i), w);
      if (o.parent !== undefined) checkLink(g, ns(o, "ns", i), ifname(o, "parent", i), w);
      return;
    case "link.set":
      checkLink(g, ns(o, "ns", i), ifname(o, "name", i), w);
      if (typeof o.master === "string" && o.master) checkLink(g, ns(o, "ns", i), ifname(o, "master", i), w);
      return;
    case "link.move":
      checkLink(g, ns(o, "ns", i), ifname(o, "name", i), w);
      checkLink(g, ns(o, "into", i), ifname(o, "name", i), w);
      return;
    case "link.del":
    case "tap.add":
      checkLink(g, ns(o, "ns", i), ifname(o, "name", i), w);
      if (o.op === "tap.add" && o.master !== undefined) checkLink(g, ns(o, "ns", i), ifname(o, "master", i), w);
      return;
    case "addr.add":
    case "addr.del":
      checkLink(g, ns(o, "ns", i), ifname(o, "dev", i), w);
      return;
    case "route.add":
    case "route.del":
    case "sysctl":
    case "nft":
      checkNotHost(ns(o, "ns", i), w);
      checkNs(g, ns(o, "ns", i), w);
      if (o.dev !== undefined) ifname(o, "dev", i);
      return;
    case "wg.up":
      checkLink(g, ns(o, "listenNs", i), ifname(o, "name", i), w);
      checkLink(g, ns(o, "into", i), ifname(o, "name", i), w);
      return;
    case "wg.set":
    case "wg.get":
    case "wg.down":
      checkLink(g, ns(o, "ns", i), ifname(o, "name", i), w);
      return;
    default:
      throw new Error(`operation ${i}: unknown op "${String(o.op)}"`);
  }
}

function wgConfig(o: Op, i: number): WgConfig {
  const c = o.config as WgConfig | undefined;
  if (!c || typeof c !== "object" || !Array.isArray(c.peers) || !Number.isInteger(c.listen_port)) {
    throw new Error(`operation ${i} (${o.op}): "config" must be {private_key, listen_port, peers: []}`);
  }
  return c;
}

/** The device must be in the namespace the caller named (its grant was checked on that namespace). */
function wgIn(ops: NetOps, o: Op, i: number): string {
  const name = s(o, "name", i);
  if (ops.index(ns(o, "ns", i), name) === null) throw new Error(`operation ${i} (${o.op}): no WireGuard device "${name}" in that namespace`);
  return name;
}

async function run1(ops: NetOps, g: Grant, o: Op, i: number): Promise<unknown> {
  const n = ns(o, "ns", i);
  switch (o.op) {
    case "ns.add": return ops.nsAdd(s(o, "name", i));
    case "ns.del": return ops.nsDel(s(o, "name", i));
    case "ns.list": return ops.nsList().filter((x) => nsAllowed(g, x));
    case "link.list": return ops.links(n);
    case "route.list": return ops.routes(n);
    case "link.add":
      return ops.linkAdd(n, {
        name: s(o, "name", i), kind: s(o, "kind", i) as "bridge", peer: o.peer as string | undefined,
        peerNs: o.peerNs as string | undefined, parent: o.parent as string | undefined, mtu: o.mtu as number | undefined,
        into: o.into as string | undefined,
      });
    case "link.set": return ops.linkSet(n, s(o, "name", i), { up: o.up as boolean | undefined, master: o.master as string | null | undefined, mtu: o.mtu as number | undefined });
    case "link.move": return ops.linkMove(n, s(o, "name", i), ns(o, "into", i));
    case "link.del": return ops.linkDel(n, s(o, "name", i));
    case "tap.add": {
      const user = o.user;
      if (user !== undefined && (typeof user !== "number" || !Number.isInteger(user) || user < 0 || user > 0xfffffffe)) throw new Error(`op ${i} (tap.add): user must be a uid`);
      return await ops.tapAdd(n, s(o, "name", i), o.master as string | undefined, user as number | undefined);
    }
    case "addr.add": return ops.addrAdd(n, s(o, "dev", i), s(o, "cidr", i));
    case "addr.del": return ops.addrDel(n, s(o, "dev", i), s(o, "cidr", i));
    case "route.add": return ops.routeAdd(n, { dst: s(o, "dst", i), via: o.via as string | undefined, dev: o.dev as string | undefined });
    case "route.del": return ops.routeDel(n, { dst: s(o, "dst", i), via: o.via as string | undefined, dev: o.dev as string | undefined });
    case "sysctl": return ops.sysctl(n, s(o, "key", i), s(o, "value", i));
    case "nft": return await ops.nft(n, s(o, "ruleset", i));
    case "wg.up":
      return await ops.wgUp({ listenNs: ns(o, "listenNs", i), into: ns(o, "into", i), name: s(o, "name", i), address: o.address as string | undefined, config: wgConfig(o, i) });
    case "wg.set": return await ops.wgSet(wgIn(ops, o, i), wgConfig(o, i));
    case "wg.get": return await ops.wgGet(wgIn(ops, o, i));
    case "wg.down":
      // already gone (namespace removed, or never built): nothing to stop in the caller's namespace
      if (!ops.nsExists(n) && n !== "" || ops.index(n, s(o, "name", i)) === null) return null;
      return await ops.wgDown(s(o, "name", i));
  }
  return undefined;
}

/** Parses, checks every operation against the grant, then runs them in order. */
export async function applyOps(ops: NetOps, g: Grant, text: string): Promise<unknown[]> {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new Error("netlink: the operations are not JSON");
  }
  if (!Array.isArray(list) || list.some((o) => !o || typeof o !== "object" || typeof (o as Op).op !== "string")) {
    throw new Error('netlink: the operations must be a JSON list of {"op": …} objects');
  }
  const batch = list as Op[];
  batch.forEach((o, i) => check(g, o, i));
  const out: unknown[] = [];
  for (let i = 0; i < batch.length; i++) {
    try {
      out.push((await run1(ops, g, batch[i], i)) ?? null);
    } catch (err) {
      const msg = (err as Error).message;
      throw new Error(msg.startsWith("operation ") || msg.startsWith("denied") ? msg : `operation ${i} (${batch[i].op}): ${msg}`);
    }
  }
  return out;
}
