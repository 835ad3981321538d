// rtnetlink request encoding and reply decoding — just the messages PID 1 needs to bring up the `zos`
// bridge: create a link of a kind, set master/up/MAC, add an IPv4 address, add a default route.
// Pure byte work; the AF_NETLINK socket is opened through libc in net-setup.ts.

export const RTM_NEWLINK = 16;
export const RTM_NEWADDR = 20;
export const RTM_NEWROUTE = 24;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const IFF_UP = 0x1;

const AF_UNSPEC = 0, AF_INET = 2;
const IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MASTER = 10, IFLA_LINKINFO = 18, IFLA_INFO_KIND = 1;
const IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4;
const RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254, RTPROT_DHCP = 16, RT_SCOPE_UNIVERSE = 0, RTN_UNICAST = 1;
const NLA_F_NESTED = 0x8000;

const align4 = (n: number): number => (n + 3) & ~3;

/** One netlink attribute (type + payload), padded to 4 bytes. */
export function attr(type: number, payload: Uint8Array): Uint8Array {
  const len = 4 + payload.length;
  const b = new Uint8Array(align4(len));
  const v = new DataView(b.buffer);
  v.setUint16(0, len, true);
  v.setUint16(2, type, true);
  b.set(payload, 4);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const cstr = (s: string): Uint8Array => new TextEncoder().encode(s + "\0");
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
function ip4(ip: string): Uint8Array {
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 address "${ip}"`);
  return Uint8Array.from(p);
}

export function message(type: number, flags: number, seq: number, body: Uint8Array): Uint8Array {
  const len = 16 + body.length;
  const b = new Uint8Array(align4(len));
  const v = new DataView(b.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  v.setUint32(12, 0, true);
  b.set(body, 16);
  return b;
}

function ifinfo(index: number, flags: number, change: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  b[0] = AF_UNSPEC;
  v.setInt32(4, index, true);
  v.setUint32(8, flags, true);
  v.setUint32(12, change, true);
  return b;
}

/** RTM_NEWLINK creating a link of `kind` (e.g. "bridge") named `name`, optionally with a MAC. */
export function createLink(seq: number, name: string, kind: string, mac?: Uint8Array): Uint8Array {
  const attrs = [attr(IFLA_IFNAME, cstr(name)), attr(IFLA_LINKINFO | NLA_F_NESTED, attr(IFLA_INFO_KIND, new TextEncoder().encode(kind)))];
  if (mac) attrs.push(attr(IFLA_ADDRESS, mac));
  return message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, concat([ifinfo(0, 0, 0), ...attrs]));
}

/** RTM_NEWLINK changing an existing link: up/down and/or its master (0 = none). */
export function setLink(seq: number, index: number, opts: { up?: boolean; master?: number }): Uint8Array {
  const flags = opts.up ? IFF_UP : 0;
  const change = opts.up === undefined ? 0 : IFF_UP;
  const attrs: Uint8Array[] = [];
  if (opts.master !== undefined) attrs.push(attr(IFLA_MASTER, u32(opts.master)));
  return message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, concat([ifinfo(index, flags, change), ...attrs]));
}

/** RTM_NEWADDR adding `ip/prefix` to link `index` (with the subnet broadcast address). */
export function addAddress(seq: number, index: number, ip: string, prefix: number): Uint8Array {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix length ${prefix}`);
  const hdr = new Uint8Array(8);
  const v = new DataView(hdr.buffer);
  hdr[0] = AF_INET;
  hdr[1] = prefix;
  hdr[3] = RT_SCOPE_UNIVERSE;
  v.setUint32(4, index, true);
  const a = ip4(ip);
  const n = new DataView(a.buffer).getUint32(0);
  const hostMask = prefix === 32 ? 0 : (0xffffffff >>> prefix);
  const bcast = new Uint8Array(4);
  new DataView(bcast.buffer).setUint32(0, (n | hostMask) >>> 0);
  return message(
    RTM_NEWADDR,
    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
    seq,
    concat([hdr, attr(IFA_LOCAL, a), attr(IFA_ADDRESS, a), attr(IFA_BROADCAST, bcast)]),
  );
}

/** RTM_NEWROUTE for a route in the main table (default route when `dst` is omitted). */
export function addRoute(seq: number, oif: number, gateway: string, dst?: { ip: string; prefix: number }): Uint8Array {
  const hdr = new Uint8Array(12);
  hdr[0] = AF_INET;
  hdr[1] = dst?.prefix ?? 0;
  hdr[4] = RT_TABLE_MAIN;
  hdr[5] = RTPROT_DHCP;
  hdr[6] = RT_SCOPE_UNIVERSE;
  hdr[7] = RTN_UNICAST;
  const attrs = [attr(RTA_GATEWAY, ip4(gateway)), attr(RTA_OIF, u32(oif))];
  if (dst) attrs.unshift(attr(RTA_DST, ip4(dst.ip)));
  return message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq, concat([hdr, ...attrs]));
}

export interface NetlinkReply {
  type: number;
  seq: number;
  /** For NLMSG_ERROR: 0 = ack, otherwise a positive errno. */
  errno: number | null;
}

/** Splits a datagram into messages and reads acks/errors. */
export function parseReplies(buf: Uint8Array): NetlinkReply[] {
  const out: NetlinkReply[] = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = v.getUint32(off, true);
    if (len < 16 || off + len > buf.length) throw new Error(`malformed netlink message at ${off}`);
    const type = v.getUint16(off + 4, true);
    const seq = v.getUint32(off + 8, true);
    const errno = type === NLMSG_ERROR && len >= 20 ? -v.getInt32(off + 16, true) : null;
    out.push({ type, seq, errno });
    off += align4(len);
  }
  return out;
}
