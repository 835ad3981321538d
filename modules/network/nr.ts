// A network resource (NR) as Zero-OS builds it (zosbase pkg/network/nr), as pure data: the checked
// configuration of one `network` workload and the netlink operations that make it exist. No I/O here.
import { networkId } from "../lib/gridtypes/names.ts";

export type Op = Record<string, unknown> & { op: string };

/** Where the node's own namespaces are: "" = the host namespace itself (the image), else a namespace name (dev). */
export interface Layout {
  host: string;
  /** the namespace holding the node's public address (WireGuard sockets live there); "" = none */
  public: string;
  ndmz: string;
}

export interface NrPeer {
  subnet: string;
  public_key: string;
  allowed_ips: string[];
  endpoint: string;
}

export interface NrConfig {
  twin: number;
  name: string;
  netId: string;
  ipRange: string;
  subnet: string;
  privateKey: string;
  port: number;
  peers: NrPeer[];
}

export class WorkloadInputError extends Error {}

const bad = (msg: string): never => {
  throw new WorkloadInputError(msg);
};

export function v4(cidr: string, what: string): { a: number; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(String(cidr));
  if (!m || m.slice(1, 5).some((x) => Number(x) > 255) || Number(m[5]) > 32) return bad(`${what} "${cidr}" is not an IPv4 network like 10.20.1.0/24`);
  const a = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  return { a, prefix: Number(m[5]) };
}

const mask = (p: number): number => (p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0);
export const ipOf = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join(".");

export function overlaps(x: { a: number; prefix: number }, y: { a: number; prefix: number }): boolean {
  const p = Math.min(x.prefix, y.prefix);
  return ((x.a & mask(p)) >>> 0) === ((y.a & mask(p)) >>> 0);
}

export function contains(outer: { a: number; prefix: number }, inner: { a: number; prefix: number }): boolean {
  return outer.prefix <= inner.prefix && ((inner.a & mask(outer.prefix)) >>> 0) === ((outer.a & mask(outer.prefix)) >>> 0);
}

const KEY_RE = /^[A-Za-z0-9+/]{43}=$/;
const ENDPOINT_RE = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):\d{1,5}$/;

/** The checked NR configuration of a `network` workload's data; every refusal names the field and the fix. */
export function nrConfig(twin: number, name: string, data: Record<string, unknown>): NrConfig {
  const str = (k: string): string => (typeof data[k] === "string" ? data[k] as string : bad(`${k} is missing (a string is required)`));
  const ipRange = str("ip_range"), subnet = str("subnet");
  const r = v4(ipRange, "ip_range"), s = v4(subnet, "subnet");
  if (!contains(r, s)) bad(`subnet ${subnet} is not inside ip_range ${ipRange}; pick this node's subnet from the network's range`);
  if (s.prefix > 30) bad(`subnet ${subnet} is too small (at most /30)`);
  const privateKey = str("wireguard_private_key");
  if (!KEY_RE.test(privateKey)) bad("wireguard_private_key is not a WireGuard key (44 base64 characters, as `wg genkey` prints)");
  const port = data.wireguard_listen_port;
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) bad(`wireguard_listen_port ${String(port)} is not a port (1-65535)`);
  const peers = (Array.isArray(data.peers) ? data.peers : []).map((pv, i): NrPeer => {
    const p = (pv ?? {}) as Record<string, unknown>;
    const where = `peers[${i}]`;
    const ps = typeof p.subnet === "string" ? p.subnet : bad(`${where}.subnet is missing`);
    const pn = v4(ps, `${where}.subnet`);
    if (overlaps(pn, s)) bad(`${where}.subnet ${ps} overlaps this node's subnet ${subnet}; every node of a network needs its own subnet`);
    const key = typeof p.wireguard_public_key === "string" ? p.wireguard_public_key : "";
    if (!KEY_RE.test(key)) bad(`${where}.wireguard_public_key "${key.slice(0, 60)}" is not a WireGuard key (44 base64 characters)`);
    const allowed = Array.isArray(p.allowed_ips) ? p.allowed_ips : [];
    if (!allowed.length) bad(`${where}.allowed_ips is empty; list at least the peer's subnet`);
    for (const [j, a] of allowed.entries()) v4(String(a), `${where}.allowed_ips[${j}]`);
    const endpoint = typeof p.endpoint === "string" ? p.endpoint : "";
    if (endpoint && !ENDPOINT_RE.test(endpoint)) bad(`${where}.endpoint "${endpoint}" is not ip:port (or [ipv6]:port)`);
    return { subnet: ps, public_key: key, allowed_ips: allowed.map(String), endpoint };
  });
  peers.forEach((p, i) => peers.slice(i + 1).forEach((q, j) => {
    if (overlaps(v4(p.subnet, ""), v4(q.subnet, ""))) bad(`peers[${i}].subnet ${p.subnet} overlaps peers[${i + 1 + j}].subnet ${q.subnet}`);
    if (p.public_key === q.public_key) bad(`peers[${i}] and peers[${i + 1 + j}] have the same public key`);
  }));
  return { twin, name, netId: networkId(twin, name), ipRange, subnet, privateKey, port: port as number, peers };
}

/** Zero-OS names (15 characters at most: the 13-character NetID with a 2-character prefix). */
export const names = (netId: string) => ({ ns: `n-${netId}`, bridge: `b-${netId}`, macvlan: `n-${netId}`, wg: `w-${netId}` });

/** NR gateway: <subnet>.1 with the subnet's prefix. */
export function gateway(subnet: string): string {
  const s = v4(subnet, "subnet");
  return `${ipOf(((s.a & mask(s.prefix)) >>> 0) + 1)}/${s.prefix}`;
}

/** WireGuard address 100.64.<2nd>.<3rd>/16 of the subnet (10.3.1.0/24 → 100.64.3.1/16). */
export function wgAddress(subnet: string): string {
  const a = v4(subnet, "subnet").a;
  return `100.64.${(a >>> 16) & 255}.${(a >>> 8) & 255}/16`;
}

/** Private IPv6 fd<b0>:<b1><b2>:<b3><b4>:<x>::<y> from the NetID's first bytes (ZOS-REFERENCE §4.1). */
export function ipv6Of(netId: string, ip4: string): string {
  const b = new TextEncoder().encode(netId);
  const h = (n: number): string => n.toString(16).padStart(2, "0");
  const p = ip4.split(".").map(Number);
  return `fd${h(b[0])}:${h(b[1])}${h(b[2])}:${h(b[3])}${h(b[4])}:${p[2].toString(16)}::${p[3].toString(16)}`;
}

export const NR_RULESET = `table inet nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "public" masquerade fully-random
  }
}
table inet filter {
  chain base_checks {
    ct state vmap { established : accept, related : accept, invalid : drop }
  }
  chain input {
    type filter hook input priority filter; policy accept;
    jump base_checks
    iifname "public" ct state new drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    jump base_checks
    iifname "public" ct state new drop
  }
}`;

export const NDMZ_GW = "100.127.0.1";

/** The operations that make NR `c` exist (or converge to `c`), given its ndmz address and the routes it has now. */
export function nrOps(l: Layout, c: NrConfig, ndmzIp: string, currentRoutes: { dst: string; dev: string }[] = []): Op[] {
  const n = names(c.netId);
  const gw = gateway(c.subnet);
  const ns = n.ns;
  const ops: Op[] = [
    { op: "ns.add", name: ns },
    // the ruleset first: the driver loads it in the background while the links are made (it names links by string)
    { op: "nft", ns, ruleset: NR_RULESET },
    { op: "sysctl", ns, key: "net.ipv4.ip_forward", value: "1" },
    { op: "sysctl", ns, key: "net.ipv6.conf.all.forwarding", value: "1" },
    { op: "link.add", ns: l.host, name: n.bridge, kind: "bridge" },
    { op: "link.set", ns: l.host, name: n.bridge, up: true },
    { op: "link.add", ns: l.host, name: n.macvlan, kind: "macvlan", parent: n.bridge, into: ns },
    { op: "link.set", ns, name: n.macvlan, up: true },
    { op: "addr.add", ns, dev: n.macvlan, cidr: gw },
    { op: "addr.add", ns, dev: n.macvlan, cidr: `${ipv6Of(c.netId, gw.split("/")[0])}/64` },
    { op: "addr.add", ns, dev: n.macvlan, cidr: "fe80::1/64" },
    { op: "link.add", ns: l.host, name: "public", kind: "macvlan", parent: "br-ndmz", into: ns },
    { op: "link.set", ns, name: "public", up: true },
    { op: "addr.add", ns, dev: "public", cidr: `${ndmzIp}/16` },
    { op: "route.add", ns, dst: "default", via: NDMZ_GW },
    {
      op: "wg.up", listenNs: l.public || l.host, into: ns, name: n.wg, address: wgAddress(c.subnet),
      config: {
        private_key: c.privateKey, listen_port: c.port,
        peers: c.peers.map((p) => ({ public_key: p.public_key, endpoint: p.endpoint || undefined, allowed_ips: p.allowed_ips, persistent_keepalive: p.endpoint ? 20 : undefined })),
      },
    },
  ];
  const want = new Set(c.peers.flatMap((p) => p.allowed_ips).filter((a) => !contains(v4("100.64.0.0/16", ""), v4(a, ""))));
  for (const r of currentRoutes) if (r.dev === n.wg && r.dst !== "100.64.0.0/16" && !want.has(r.dst) && !r.dst.includes(":")) ops.push({ op: "route.del", ns, dst: r.dst, dev: n.wg });
  for (const a of want) ops.push({ op: "route.add", ns, dst: a, dev: n.wg });
  return ops;
}

export function nrDeleteOps(l: Layout, netId: string): Op[] {
  const n = names(netId);
  // Removing the namespace destroys the macvlans, the uplink and the WireGuard TUN (wireguard-go exits).
  // wireguard-go is stopped first so it does not wait for the namespace's asynchronous cleanup.
  // A device still in the listening namespace (a crash between its start and its move) is stopped there.
  return [
    { op: "wg.down", ns: n.ns, name: n.wg }, { op: "wg.down", ns: l.public || l.host, name: n.wg },
    { op: "ns.del", name: n.ns }, { op: "link.del", ns: l.host, name: n.bridge },
  ];
}

/** The node's side of every NR: br-pub and br-ndmz in the host, the ndmz namespace with tonrs 100.127.0.1/16 and NAT. */
export function hostOps(l: Layout): Op[] {
  // on a host (dev) the node's own host and public sides are namespaces it makes itself
  const own: Op[] = [l.host, l.public].filter((x) => x).map((name) => ({ op: "ns.add", name }));
  return [
    ...own,
    // br-pub: the public bridge VMs' public taps join (Zero-OS builds it on every node)
    { op: "link.add", ns: l.host, name: "br-pub", kind: "bridge" },
    { op: "link.set", ns: l.host, name: "br-pub", up: true },
    { op: "link.add", ns: l.host, name: "br-ndmz", kind: "bridge" },
    { op: "link.set", ns: l.host, name: "br-ndmz", up: true },
    { op: "ns.add", name: l.ndmz },
    { op: "sysctl", ns: l.ndmz, key: "net.ipv4.ip_forward", value: "1" },
    { op: "link.add", ns: l.host, name: "tonrs", kind: "macvlan", parent: "br-ndmz", into: l.ndmz },
    { op: "link.set", ns: l.ndmz, name: "tonrs", up: true },
    { op: "addr.add", ns: l.ndmz, dev: "tonrs", cidr: `${NDMZ_GW}/16` },
    {
      op: "nft", ns: l.ndmz,
      ruleset: `table inet nat {\n  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n    oifname "npub4" masquerade fully-random\n  }\n}`,
    },
  ];
}
