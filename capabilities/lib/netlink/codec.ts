// rtnetlink messages as bytes, shared by the netlink driver (capabilities/netlink) and PID 1's boot network
// (kernel/pid1/net-setup.ts): requests for links (bridge, veth, macvlan, dummy; up/down, master, MTU, moving
// into a namespace by fd, delete), IPv4/IPv6 addresses and routes, and decoding of the dumps and acks that
// come back. Pure byte work, no I/O: the socket is libc.ts's, the sequencing the caller's.

export const RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18;
export const RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_GETROUTE = 26;
export const NLMSG_ERROR = 2, NLMSG_DONE = 3;
const F_REQUEST = 0x1, F_ACK = 0x4, F_DUMP = 0x300, F_REPLACE = 0x100, F_EXCL = 0x200, F_CREATE = 0x400;
export const IFF_UP = 0x1;

const AF_UNSPEC = 0, AF_INET = 2, AF_INET6 = 10;
const IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_LINK = 5, IFLA_MASTER = 10, IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28, IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1, IFLA_MACVLAN_MODE = 1;
const IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_FLAGS = 8, IFA_F_NODAD = 0x02;
const RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_TABLE = 15;
const IFA_BROADCAST = 4;
export const RTPROT_STATIC = 4, RTPROT_DHCP = 16;
const RT_TABLE_MAIN = 254, RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_NOWHERE = 255, RTN_UNICAST = 1;
const NLA_F_NESTED = 0x8000;
export const MACVLAN_MODE_BRIDGE = 4;

const align4 = (n: number): number => (n + 3) & ~3;
const enc = new TextEncoder();
const dec = new TextDecoder();

export function attr(type: number, payload: Uint8Array): Uint8Array {
  const len = 4 + payload.length;
  const b = new Uint8Array(align4(len));
  const v = new DataView(b.buffer);
  v.setUint16(0, len, true);
  v.setUint16(2, type, true);
  b.set(payload, 4);
  return b;
}
const nested = (type: number, ...parts: Uint8Array[]): Uint8Array => attr(type | NLA_F_NESTED, concat(parts));

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const cstr = (s: string): Uint8Array => enc.encode(s + "\0");
function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** An IPv4 or IPv6 address as bytes, with its family. */
export function ipBytes(ip: string): { family: number; bytes: Uint8Array } {
  if (ip.includes(":")) return { family: AF_INET6, bytes: ip6(ip) };
  const p = ip.split(".");
  const n = p.map(Number);
  if (p.length !== 4 || n.some((x, i) => !/^\d{1,3}$/.test(p[i]) || x > 255)) throw new Error(`"${ip}" is not an IPv4 address`);
  return { family: AF_INET, bytes: Uint8Array.from(n) };
}

function ip6(ip: string): Uint8Array {
  const [head, tail, extra] = ip.split("::");
  if (extra !== undefined) throw new Error(`"${ip}" is not an IPv6 address`);
  const groups = (s: string | undefined): number[] => (s ? s.split(":").map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`"${ip}" is not an IPv6 address`);
    return parseInt(g, 16);
  }) : []);
  const h = groups(head), t = groups(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (tail === undefined ? h.length !== 8 : fill < 0) throw new Error(`"${ip}" is not an IPv6 address`);
  const all = [...h, ...new Array<number>(fill).fill(0), ...t];
  const b = new Uint8Array(16);
  all.forEach((g, i) => {
    b[2 * i] = g >> 8;
    b[2 * i + 1] = g & 0xff;
  });
  return b;
}

export function ipString(family: number, b: Uint8Array): string {
  if (family === AF_INET) return [...b].join(".");
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
  // compress the longest run of zero groups
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return g.join(":");
  return `${g.slice(0, best).join(":")}::${g.slice(best + bestLen).join(":")}`;
}

/** "a.b.c.d/n" or "x::y/n" → address and prefix length (checked). */
export function parseCidr(cidr: string): { ip: string; prefix: number; family: number; bytes: Uint8Array } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) throw new Error(`"${cidr}" is not an address with a prefix length (like 10.1.2.1/24)`);
  const { family, bytes } = ipBytes(m[1]);
  const prefix = Number(m[2]);
  if (prefix > bytes.length * 8) throw new Error(`"${cidr}": prefix length ${prefix} is too long`);
  return { ip: m[1], prefix, family, bytes };
}

export function message(type: number, flags: number, seq: number, body: Uint8Array): Uint8Array {
  const len = 16 + body.length;
  const b = new Uint8Array(align4(len));
  const v = new DataView(b.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  b.set(body, 16);
  return b;
}

function ifinfo(index: number, flags = 0, change = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  b[0] = AF_UNSPEC;
  v.setInt32(4, index, true);
  v.setUint32(8, flags, true);
  v.setUint32(12, change, true);
  return b;
}

export interface NewLink {
  name: string;
  kind: "bridge" | "veth" | "macvlan" | "dummy" | (string & {});
  /** veth: the peer's name, and optionally the fd of the namespace the peer is created in */
  peer?: string;
  peerNsFd?: number;
  /** macvlan: the parent's ifindex */
  parentIndex?: number;
  mtu?: number;
  mac?: Uint8Array;
  /** create it straight inside the namespace of this fd (the parent stays where it is) */
  nsFd?: number;
}

export function newLink(seq: number, l: NewLink): Uint8Array {
  const attrs = [attr(IFLA_IFNAME, cstr(l.name))];
  if (l.mtu) attrs.push(attr(IFLA_MTU, u32(l.mtu)));
  if (l.mac) attrs.push(attr(IFLA_ADDRESS, l.mac));
  if (l.parentIndex) attrs.push(attr(IFLA_LINK, u32(l.parentIndex)));
  if (l.nsFd !== undefined) attrs.push(attr(IFLA_NET_NS_FD, u32(l.nsFd)));
  const info = [attr(IFLA_INFO_KIND, enc.encode(l.kind))];
  if (l.kind === "veth") {
    if (!l.peer) throw new Error(`veth ${l.name} needs a peer name`);
    const peerAttrs = [attr(IFLA_IFNAME, cstr(l.peer))];
    if (l.peerNsFd !== undefined) peerAttrs.push(attr(IFLA_NET_NS_FD, u32(l.peerNsFd)));
    info.push(nested(IFLA_INFO_DATA, nested(VETH_INFO_PEER, ifinfo(0), ...peerAttrs)));
  }
  if (l.kind === "macvlan") info.push(nested(IFLA_INFO_DATA, attr(IFLA_MACVLAN_MODE, u32(MACVLAN_MODE_BRIDGE))));
  attrs.push(nested(IFLA_LINKINFO, ...info));
  return message(RTM_NEWLINK, F_REQUEST | F_ACK | F_CREATE | F_EXCL, seq, concat([ifinfo(0), ...attrs]));
}

export interface LinkChange {
  up?: boolean;
  /** 0 = no master */
  master?: number;
  mtu?: number;
  /** move into the namespace of this fd */
  nsFd?: number;
  /** rename */
  name?: string;
}

export function setLink(seq: number, index: number, c: LinkChange): Uint8Array {
  const attrs: Uint8Array[] = [];
  if (c.master !== undefined) attrs.push(attr(IFLA_MASTER, u32(c.master)));
  if (c.mtu !== undefined) attrs.push(attr(IFLA_MTU, u32(c.mtu)));
  if (c.nsFd !== undefined) attrs.push(attr(IFLA_NET_NS_FD, u32(c.nsFd)));
  if (c.name !== undefined) attrs.push(attr(IFLA_IFNAME, cstr(c.name)));
  const flags = c.up ? IFF_UP : 0;
  const change = c.up === undefined ? 0 : IFF_UP;
  return message(RTM_NEWLINK, F_REQUEST | F_ACK, seq, concat([ifinfo(index, flags, change), ...attrs]));
}

export const delLink = (seq: number, index: number): Uint8Array => message(RTM_DELLINK, F_REQUEST | F_ACK, seq, ifinfo(index));
export const getLink = (seq: number, name: string): Uint8Array =>
  message(RTM_GETLINK, F_REQUEST, seq, concat([ifinfo(0), attr(IFLA_IFNAME, cstr(name))]));
export const dumpLinks = (seq: number): Uint8Array => message(RTM_GETLINK, F_REQUEST | F_DUMP, seq, ifinfo(0));

function ifaddr(family: number, prefix: number, index: number, scope = RT_SCOPE_UNIVERSE): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = family;
  b[1] = prefix;
  b[3] = scope;
  new DataView(b.buffer).setUint32(4, index, true);
  return b;
}

/** RTM_NEWADDR (replace) of `cidr` on link `index`; IPv6 without duplicate address detection. */
export function addAddress(seq: number, index: number, cidr: string, del = false): Uint8Array {
  const a = parseCidr(cidr);
  const attrs = [attr(IFA_LOCAL, a.bytes), attr(IFA_ADDRESS, a.bytes)];
  if (a.family === AF_INET6) attrs.splice(0, 1, attr(IFA_FLAGS, u32(IFA_F_NODAD)));
  const flags = del ? F_REQUEST | F_ACK : F_REQUEST | F_ACK | F_CREATE | F_REPLACE;
  return message(del ? RTM_DELADDR : RTM_NEWADDR, flags, seq, concat([ifaddr(a.family, a.prefix, index), ...attrs]));
}
export const dumpAddresses = (seq: number): Uint8Array => message(RTM_GETADDR, F_REQUEST | F_DUMP, seq, ifaddr(AF_UNSPEC, 0, 0));

export interface RouteSpec {
  /** "default" or a CIDR */
  dst: string;
  via?: string;
  oif?: number;
  /** who added it (RTPROT_STATIC unless given; PID 1 marks its DHCP routes RTPROT_DHCP) */
  protocol?: number;
}

/** RTM_NEWROUTE (replace) / RTM_DELROUTE in the main table: via a gateway, or straight on a device. */
export function route(seq: number, r: RouteSpec, del = false): Uint8Array {
  const dst = r.dst === "default" ? null : parseCidr(r.dst);
  const gw = r.via ? ipBytes(r.via) : null;
  const family = dst?.family ?? gw?.family ?? AF_INET;
  const hdr = new Uint8Array(12);
  hdr[0] = family;
  hdr[1] = dst?.prefix ?? 0;
  hdr[4] = RT_TABLE_MAIN;
  // a delete matches any protocol and scope (as `ip route del` does), else link-scope routes are missed
  hdr[5] = del ? 0 : r.protocol ?? RTPROT_STATIC;
  hdr[6] = del ? RT_SCOPE_NOWHERE : gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  hdr[7] = RTN_UNICAST;
  const attrs = [attr(RTA_TABLE, u32(RT_TABLE_MAIN))];
  if (dst) attrs.push(attr(RTA_DST, dst.bytes));
  if (gw) attrs.push(attr(RTA_GATEWAY, gw.bytes));
  if (r.oif) attrs.push(attr(RTA_OIF, u32(r.oif)));
  const flags = del ? F_REQUEST | F_ACK : F_REQUEST | F_ACK | F_CREATE | F_REPLACE;
  return message(del ? RTM_DELROUTE : RTM_NEWROUTE, flags, seq, concat([hdr, ...attrs]));
}
export const dumpRoutes = (seq: number): Uint8Array => message(RTM_GETROUTE, F_REQUEST | F_DUMP, seq, new Uint8Array(12));

// --- decoding ---------------------------------------------------------------------------------

export interface RawMessage {
  type: number;
  flags: number;
  seq: number;
  body: Uint8Array;
}

export function splitMessages(buf: Uint8Array): RawMessage[] {
  const out: RawMessage[] = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = v.getUint32(off, true);
    if (len < 16 || off + len > buf.length) throw new Error(`malformed netlink message at byte ${off}`);
    out.push({ type: v.getUint16(off + 4, true), flags: v.getUint16(off + 6, true), seq: v.getUint32(off + 8, true), body: buf.subarray(off + 16, off + len) });
    off += align4(len);
  }
  return out;
}

/** NLMSG_ERROR body: 0 = ack, else the positive errno, with the kernel's extended-ack text if any. */
export function errorOf(body: Uint8Array): { errno: number; text: string } {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const errno = -v.getInt32(0, true);
  let text = "";
  // extended ack: after the error and the echoed request header (16 bytes, capped) come NLMSGERR_ATTR_*
  const origLen = body.length >= 20 ? v.getUint32(4, true) : 0;
  const start = 4 + Math.min(origLen, 16);
  if (body.length > start) {
    for (const a of attrs(body.subarray(align4(start)))) if (a.type === 1) text = dec.decode(a.data).replace(/\0+$/, "");
  }
  return { errno, text };
}

export function attrs(b: Uint8Array): { type: number; data: Uint8Array }[] {
  const out: { type: number; data: Uint8Array }[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let off = 0;
  while (off + 4 <= b.length) {
    const len = v.getUint16(off, true);
    if (len < 4 || off + len > b.length) break;
    out.push({ type: v.getUint16(off + 2, true) & 0x3fff, data: b.subarray(off + 4, off + len) });
    off += align4(len);
  }
  return out;
}

const u32At = (d: Uint8Array): number => new DataView(d.buffer, d.byteOffset, 4).getUint32(0, true);
const str = (d: Uint8Array): string => dec.decode(d).replace(/\0+$/, "");

export interface LinkInfo {
  index: number;
  name: string;
  up: boolean;
  mtu: number;
  mac: string;
  master: number;
  kind: string;
}

export function decodeLink(body: Uint8Array): LinkInfo {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const l: LinkInfo = { index: v.getInt32(4, true), name: "", up: (v.getUint32(8, true) & IFF_UP) !== 0, mtu: 0, mac: "", master: 0, kind: "" };
  for (const a of attrs(body.subarray(16))) {
    if (a.type === IFLA_IFNAME) l.name = str(a.data);
    else if (a.type === IFLA_MTU) l.mtu = u32At(a.data);
    else if (a.type === IFLA_MASTER) l.master = u32At(a.data);
    else if (a.type === IFLA_ADDRESS) l.mac = [...a.data].map((x) => x.toString(16).padStart(2, "0")).join(":");
    else if (a.type === IFLA_LINKINFO) {
      for (const i of attrs(a.data)) if (i.type === IFLA_INFO_KIND) l.kind = str(i.data);
    }
  }
  return l;
}

export interface AddrInfo {
  index: number;
  cidr: string;
}

export function decodeAddress(body: Uint8Array): AddrInfo {
  const family = body[0], prefix = body[1];
  const index = new DataView(body.buffer, body.byteOffset, 8).getUint32(4, true);
  let ip = "";
  for (const a of attrs(body.subarray(8))) {
    if (a.type === IFA_LOCAL || (a.type === IFA_ADDRESS && !ip)) ip = ipString(family, a.data);
  }
  return { index, cidr: `${ip}/${prefix}` };
}

export interface RouteInfo {
  dst: string;
  via: string;
  oif: number;
  table: number;
}

export function decodeRoute(body: Uint8Array): RouteInfo {
  const family = body[0], dstLen = body[1];
  const r: RouteInfo = { dst: "default", via: "", oif: 0, table: body[4] };
  for (const a of attrs(body.subarray(12))) {
    if (a.type === RTA_DST) r.dst = `${ipString(family, a.data)}/${dstLen}`;
    else if (a.type === RTA_GATEWAY) r.via = ipString(family, a.data);
    else if (a.type === RTA_OIF) r.oif = u32At(a.data);
    else if (a.type === RTA_TABLE) r.table = u32At(a.data);
  }
  return r;
}

// --- PID 1's boot network (the `zos` bridge with its DHCP lease) ------------------------------------

/** RTM_NEWLINK creating a link of `kind` named `name`, optionally with a MAC (fails with EEXIST when it exists). */
export function createLink(seq: number, name: string, kind: string, mac?: Uint8Array): Uint8Array {
  return newLink(seq, { name, kind, mac });
}

/** RTM_NEWADDR (replace) of IPv4 `ip/prefix` on link `index`, with the subnet's broadcast address (as DHCP clients set it). */
export function addAddress4(seq: number, index: number, ip: string, prefix: number): Uint8Array {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix length ${prefix}`);
  const a = ipBytes(ip);
  if (a.family !== AF_INET) throw new Error(`bad IPv4 address "${ip}"`);
  const n = new DataView(a.bytes.buffer).getUint32(0);
  const hostMask = prefix === 32 ? 0 : (0xffffffff >>> prefix);
  const bcast = new Uint8Array(4);
  new DataView(bcast.buffer).setUint32(0, (n | hostMask) >>> 0);
  return message(
    RTM_NEWADDR, F_REQUEST | F_ACK | F_CREATE | F_REPLACE, seq,
    concat([ifaddr(AF_INET, prefix, index), attr(IFA_LOCAL, a.bytes), attr(IFA_ADDRESS, a.bytes), attr(IFA_BROADCAST, bcast)]),
  );
}

/** RTM_NEWROUTE (replace) via `gateway` on link `oif`: the default route unless `dst` is given; marked DHCP. */
export function addRoute(seq: number, oif: number, gateway: string, dst?: { ip: string; prefix: number }): Uint8Array {
  return route(seq, { dst: dst ? `${dst.ip}/${dst.prefix}` : "default", via: gateway, oif, protocol: RTPROT_DHCP });
}

export interface NetlinkReply {
  type: number;
  seq: number;
  /** For NLMSG_ERROR: 0 = ack, otherwise a positive errno. */
  errno: number | null;
}

/** Splits a datagram into messages and reads acks/errors (throws on a malformed one). */
export function parseReplies(buf: Uint8Array): NetlinkReply[] {
  return splitMessages(buf).map((m) => ({ type: m.type, seq: m.seq, errno: m.type === NLMSG_ERROR && m.body.length >= 4 ? errorOf(m.body).errno : null }));
}
