// The netlink driver's operations as JSON: each checked against the caller's grant (all of a batch before
// any runs, so a refused batch changes nothing), then run in order on NetOps.
import { checkLink, checkNotHost, checkNs, checkShare, type Grant, nsAllowed } from "./grant.ts";
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
    case "ns.share":
      if (!ns(o, "name", i)) throw new Error(`${w}: "name" is required`);
      checkShare(g, ns(o, "name", i), w);
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
    case "pubip.filter":
    case "pubip.unfilter":
      // a filter only concerns frames from its own interface: allowed where that interface would be
      checkLink(g, ns(o, "ns", i), ifname(o, "iface", i), w);
      filterName(o, i);
      if (o.op === "pubip.filter") pubipAddrs(o, i);
      return;
    case "pubip.list":
      checkNs(g, ns(o, "ns", i), w);
      return;
    case "wg.up":
      checkLink(g, ns(o, "listenNs", i), ifname(o, "name", i), w);
      checkLink(g, ns(o, "into", i), ifname(o, "name", i), w);
      return;
    case "wg.set":
    case "wg.get":
    case "wg.down":
    case "wg.alive":
      checkLink(g, ns(o, "ns", i), ifname(o, "name", i), w);
      return;
    default:
      throw new Error(`operation ${i}: unknown op "${String(o.op)}"`);
  }
}

/** Filter chains are named `r-<tap>` (Zero-OS filterName) so one holder's names cannot be another's. */
function filterName(o: Op, i: number): string {
  const v = s(o, "name", i);
  if (!/^r-[A-Za-z0-9]{1,20}$/.test(v)) throw new Error(`operation ${i} (${o.op}): filter name "${v}" must be r-<letters/digits>`);
  if (v.slice(2) !== s(o, "iface", i).replace(/^p-/, "")) throw new Error(`operation ${i} (${o.op}): filter "${v}" does not belong to interface "${String(o.iface)}" (r-X filters p-X)`);
  return v;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const IP4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IP6_RE = /^[0-9a-f:]{2,39}$/;

/** The filter's MAC and addresses: plain values only (they are written into an nft script). */
function pubipAddrs(o: Op, i: number): { mac: string; ip4?: string; ip6?: string } {
  const w = `operation ${i} (${o.op})`;
  const mac = s(o, "mac", i);
  if (!MAC_RE.test(mac)) throw new Error(`${w}: "mac" = "${mac}" is not a lowercase MAC address`);
  const ip4 = s(o, "ip4", i, true), ip6 = s(o, "ip6", i, true);
  if (ip4 && (!IP4_RE.test(ip4) || ip4.split(".").some((x) => Number(x) > 255))) throw new Error(`${w}: "ip4" = "${ip4}" is not an IPv4 address`);
  if (ip6 && (!IP6_RE.test(ip6) || !ip6.includes(":"))) throw new Error(`${w}: "ip6" = "${ip6}" is not an IPv6 address`);
  return { mac, ip4: ip4 || undefined, ip6: ip6 || undefined };
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
    case "ns.share": return { pin: ops.nsShare(s(o, "name", i)) };
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
    case "pubip.filter":
      return await ops.pubipFilter(n, { name: s(o, "name", i), iface: s(o, "iface", i), ...pubipAddrs(o, i) });
    case "pubip.unfilter": return await ops.pubipUnfilter(n, s(o, "name", i));
    case "pubip.list": return await ops.pubipList(n);
    case "wg.up":
      return await ops.wgUp({ listenNs: ns(o, "listenNs", i), into: ns(o, "into", i), name: s(o, "name", i), address: o.address as string | undefined, config: wgConfig(o, i) });
    case "wg.set": return await ops.wgSet(wgIn(ops, o, i), wgConfig(o, i));
    case "wg.get": return await ops.wgGet(wgIn(ops, o, i));
    case "wg.alive": return ops.wgAlive(n, s(o, "name", i));
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
  const wrap = (err: unknown, i: number): Error => {
    const msg = (err as Error).message;
    return new Error(msg.startsWith("operation ") || msg.startsWith("denied") ? msg : `operation ${i} (${batch[i].op}): ${msg}`);
  };
  // Process starts are the slow steps (wireguard-go ≈ the floor of an NR, nft next): a wireguard-go whose
  // listening namespace exists already is started now, and an nft ruleset is loaded in the background once
  // its namespace exists, so both overlap the rtnetlink operations; the batch answers after all of them.
  const background: Promise<void>[] = [];
  const early = (p: Promise<unknown>, i: number) => {
    const q = p.then(() => {}, (e) => Promise.reject(wrap(e, i)));
    q.catch(() => {}); // observed below; never an unhandled rejection meanwhile
    background.push(q);
    return q;
  };
  batch.forEach((o, i) => {
    if (o.op === "wg.up" && (ns(o, "listenNs", i) === "" || ops.nsExists(ns(o, "listenNs", i)))) early(ops.wgStart(ns(o, "listenNs", i), s(o, "name", i)), i);
  });
  const out: unknown[] = [];
  try {
    for (let i = 0; i < batch.length; i++) {
      const o = batch[i];
      if (o.op === "nft" && (o.ns === "" || ops.nsExists(ns(o, "ns", i)))) {
        early(ops.nft(ns(o, "ns", i), s(o, "ruleset", i)), i);
        out.push(null);
        continue;
      }
      try {
        out.push((await run1(ops, g, o, i)) ?? null);
      } catch (err) {
        throw wrap(err, i);
      }
    }
  } finally {
    // every background start has ended (ok or not) before the batch answers or fails
    await Promise.allSettled(background);
  }
  for (const b of background) await b; // the first failure, by its operation
  return out;
}
