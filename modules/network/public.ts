// The node's public side as Zero-OS builds it, as pure data: the farmer's public config read from chain
// (TfgridModule.Nodes(id).public_config), the operations that put it on the `public` namespace, and the
// `ip` workload's addresses (a reserved IPv4 of the node contract, the SLAAC-predicted IPv6 of its tap) and
// anti-spoof filter. No I/O here.
import { createHash } from "node:crypto";
import { uniqueName } from "../lib/gridtypes/names.ts";
import type { Layout, Op } from "./nr.ts";

/** A public config as zos.network.public_config_get answers it (empty strings = not set). */
export interface PublicConfig {
  type: string;
  ipv4: string;
  ipv6: string;
  gw4: string;
  gw6: string;
  domain: string;
}

// deno-lint-ignore no-explicit-any
type Plain = any;

/** Chain bytes arrive as text, or as 0x-hex when polkadot did not take them for UTF-8. */
export function chainText(v: unknown): string {
  if (typeof v !== "string") return "";
  if (/^0x([0-9a-f]{2})*$/i.test(v) && v.length > 2) {
    return new TextDecoder().decode(Uint8Array.from(v.slice(2).match(/../g)!.map((h) => parseInt(h, 16))));
  }
  return v;
}

/** The node's public config from its chain record (`Nodes(id)` as JSON), or null when the farmer set none. */
export function publicConfigOf(node: Plain): PublicConfig | null {
  const pc = node?.publicConfig ?? node?.public_config;
  if (!pc || !pc.ip4) return null;
  return {
    type: "macvlan", // Zero-OS: the `public` link is a macvlan on br-pub
    ipv4: chainText(pc.ip4.ip),
    gw4: chainText(pc.ip4.gw),
    ipv6: chainText(pc.ip6?.ip),
    gw6: chainText(pc.ip6?.gw),
    domain: chainText(pc.domain),
  };
}

/** The addresses a config puts on the `public` link, and its default routes. */
function shape(pc: PublicConfig | null): { addrs: string[]; routes: { dst: string; via: string }[] } {
  if (!pc) return { addrs: [], routes: [] };
  const addrs = [pc.ipv4, pc.ipv6].filter((a) => a);
  const routes = [pc.gw4, pc.gw6].filter((g) => g).map((via) => ({ dst: "default", via }));
  return { addrs, routes };
}

/**
 * Operations that move the `public` namespace from the config applied before (`was`, as recorded) to `want`:
 * the namespace and its `public` link exist (a macvlan on br-pub when the node has none: the image; on a dev
 * host the underlay's link is already there), stale addresses and routes of `was` go, `want`'s are set.
 * Addresses the config did not put there (a dev node's underlay address) are left alone.
 */
export function publicOps(l: Layout, want: PublicConfig | null, was: PublicConfig | null, hasPublicLink: boolean): Op[] {
  if (!l.public) return [];
  const ns = l.public;
  const w = shape(want), o = shape(was);
  const ops: Op[] = [{ op: "ns.add", name: ns }];
  if (!hasPublicLink) {
    if (!want) return ops;
    ops.push(
      { op: "link.add", ns: l.host, name: "br-pub", kind: "bridge" },
      { op: "link.set", ns: l.host, name: "br-pub", up: true },
      { op: "link.add", ns: l.host, name: "public", kind: "macvlan", parent: "br-pub", into: ns },
    );
  }
  ops.push({ op: "link.set", ns, name: "public", up: true });
  for (const r of o.routes) if (!w.routes.some((x) => x.via === r.via)) ops.push({ op: "route.del", ns, dst: r.dst, via: r.via });
  for (const a of o.addrs) if (!w.addrs.includes(a)) ops.push({ op: "addr.del", ns, dev: "public", cidr: a });
  for (const a of w.addrs) ops.push({ op: "addr.add", ns, dev: "public", cidr: a });
  for (const r of w.routes) ops.push({ op: "route.add", ns, dst: r.dst, via: r.via });
  return ops;
}

// --- ip workloads -----------------------------------------------------------------------------------

/** Zero-OS names: the VM's public tap `p-<Unique(wlid, "pub")>`, its filter `r-<same>`. */
export function pubNames(workloadId: string): { tap: string; iface: string; filter: string } {
  const tap = uniqueName(workloadId, "pub");
  return { tap, iface: `p-${tap}`, filter: `r-${tap}` };
}

/** ifaceutil.HardwareAddrFromInputBytes: md5 of the name, locally administered, unicast. */
export function macOf(name: string): string {
  const h = createHash("md5").update(name).digest();
  h[0] = (h[0] | 0x02) & 0xfe;
  return [...h.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function ip6Groups(ip: string): number[] {
  const [head, tail] = ip.split("::");
  const g = (s: string | undefined) => (s ? s.split(":").map((x) => parseInt(x, 16)) : []);
  const h = g(head), t = g(tail);
  return tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
}

function ip6Text(groups: number[]): string {
  // canonical form: the longest run of zero groups (two or more) becomes "::"
  let best = -1, len = 0;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > len && j - i > 1) [best, len] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + len).join(":")}`;
}

/** The SLAAC (EUI-64) address a NIC with `mac` takes in the /64 of `cidr6` (zos predictedSlaac). */
export function slaacOf(cidr6: string, mac: string): string {
  const g = ip6Groups(cidr6.split("/")[0]);
  const m = mac.split(":").map((x) => parseInt(x, 16));
  m[0] ^= 0x02;
  const eui = [(m[0] << 8) | m[1], (m[2] << 8) | 0xff, (0xfe << 8) | m[3], (m[4] << 8) | m[5]];
  return `${ip6Text([...g.slice(0, 4), ...eui])}/64`;
}

export interface ReservedIp {
  ip: string;
  gateway: string;
}

/** The node contract's reserved public IPs (SmartContractModule.Contracts(id) as JSON). */
export function reservedIpsOf(contract: Plain): ReservedIp[] {
  const type = contract?.contractType ?? {};
  const key = Object.keys(type).find((k) => k.toLowerCase() === "nodecontract");
  const list = (key ? type[key]?.publicIpsList ?? type[key]?.public_ips_list : null) ?? [];
  return (list as Plain[]).map((x) => ({ ip: chainText(x.ip), gateway: chainText(x.gateway ?? x.gw) })).filter((x) => x.ip);
}

/** ipv4 and ipv6 of an `ip` workload's result, as Zero-OS (PublicIPResult). */
export interface IpResult {
  ip: string;
  ip6: string;
  gateway: string;
}

export function pubipFilterOp(l: Layout, workloadId: string, r: IpResult): Op {
  const n = pubNames(workloadId);
  return {
    op: "pubip.filter", ns: l.host, name: n.filter, iface: n.iface, mac: macOf(n.tap),
    ...(r.ip ? { ip4: r.ip.split("/")[0] } : {}), ...(r.ip6 ? { ip6: r.ip6.split("/")[0] } : {}),
  };
}

export function pubipUnfilterOp(l: Layout, workloadId: string): Op {
  const n = pubNames(workloadId);
  return { op: "pubip.unfilter", ns: l.host, name: n.filter, iface: n.iface };
}
