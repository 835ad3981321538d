// DHCPv4 message codec (RFC 2131/2132) for the node's own DHCP client. Pure: building and parsing
// bytes only, so it is unit-tested on the host; the socket exchange lives in dhcp-client.ts.

export const DHCP_DISCOVER = 1;
export const DHCP_OFFER = 2;
export const DHCP_REQUEST = 3;
export const DHCP_DECLINE = 4;
export const DHCP_ACK = 5;
export const DHCP_NAK = 6;

const MAGIC = 0x63825363;
const OPT_SUBNET = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_HOSTNAME = 12, OPT_BROADCAST = 28;
const OPT_REQUESTED_IP = 50, OPT_LEASE = 51, OPT_MSG_TYPE = 53, OPT_SERVER_ID = 54, OPT_PARAMS = 55;
const OPT_CLIENT_ID = 61, OPT_END = 255, OPT_PAD = 0;

export interface DhcpRequestOptions {
  type: number;
  xid: number;
  mac: Uint8Array;
  hostname?: string;
  requestedIp?: string;
  serverId?: string;
}

export interface DhcpReply {
  op: number;
  xid: number;
  type: number;
  yiaddr: string;
  siaddr: string;
  chaddr: Uint8Array;
  subnetMask: string | null;
  prefixLength: number | null;
  routers: string[];
  dns: string[];
  leaseSeconds: number | null;
  serverId: string | null;
  broadcast: string | null;
}

export function ipToBytes(ip: string): Uint8Array {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`bad IPv4 address "${ip}"`);
  return Uint8Array.from(parts.map(Number));
}

export function bytesToIp(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function maskToPrefix(mask: string): number {
  const b = ipToBytes(mask);
  const n = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  let bits = 0;
  for (let i = 31; i >= 0 && (n >>> i) & 1; i--) bits++;
  if (bits < 32 && ((n << bits) >>> 0) !== 0) throw new Error(`netmask ${mask} is not contiguous`);
  return bits;
}

/** Builds a client message (DISCOVER or REQUEST) with the broadcast flag set. */
export function encodeDhcp(o: DhcpRequestOptions): Uint8Array {
  if (o.mac.length !== 6) throw new Error("DHCP needs a 6-byte Ethernet MAC");
  const opts: number[] = [OPT_MSG_TYPE, 1, o.type];
  opts.push(OPT_CLIENT_ID, 7, 1, ...o.mac);
  if (o.requestedIp) opts.push(OPT_REQUESTED_IP, 4, ...ipToBytes(o.requestedIp));
  if (o.serverId) opts.push(OPT_SERVER_ID, 4, ...ipToBytes(o.serverId));
  if (o.hostname) {
    const h = new TextEncoder().encode(o.hostname).subarray(0, 255);
    opts.push(OPT_HOSTNAME, h.length, ...h);
  }
  opts.push(OPT_PARAMS, 6, OPT_SUBNET, OPT_ROUTER, OPT_DNS, OPT_BROADCAST, OPT_LEASE, OPT_SERVER_ID);
  opts.push(OPT_END);
  // BOOTP relays and some servers drop messages shorter than 300 bytes.
  const len = Math.max(300, 240 + opts.length);
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  b[0] = 1; // BOOTREQUEST
  b[1] = 1; // Ethernet
  b[2] = 6;
  v.setUint32(4, o.xid >>> 0);
  v.setUint16(10, 0x8000); // broadcast: we have no address yet, so the reply must be broadcast
  b.set(o.mac, 28);
  v.setUint32(236, MAGIC);
  b.set(opts, 240);
  return b;
}

/** Parses a server reply; throws on anything that is not a well-formed BOOTREPLY. */
export function decodeDhcp(b: Uint8Array): DhcpReply {
  if (b.length < 240) throw new Error(`DHCP message too short (${b.length} bytes)`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(236) !== MAGIC) throw new Error("DHCP magic cookie missing");
  const r: DhcpReply = {
    op: b[0],
    xid: v.getUint32(4),
    type: 0,
    yiaddr: bytesToIp(b, 16),
    siaddr: bytesToIp(b, 20),
    chaddr: b.slice(28, 28 + Math.min(16, b[2] || 6)),
    subnetMask: null,
    prefixLength: null,
    routers: [],
    dns: [],
    leaseSeconds: null,
    serverId: null,
    broadcast: null,
  };
  let i = 240;
  while (i < b.length) {
    const code = b[i++];
    if (code === OPT_PAD) continue;
    if (code === OPT_END) break;
    if (i >= b.length) throw new Error("DHCP option truncated");
    const len = b[i++];
    if (i + len > b.length) throw new Error(`DHCP option ${code} overruns the message`);
    const val = b.subarray(i, i + len);
    i += len;
    const ips = (): string[] => {
      const out: string[] = [];
      for (let k = 0; k + 4 <= val.length; k += 4) out.push(bytesToIp(val, k));
      return out;
    };
    switch (code) {
      case OPT_MSG_TYPE:
        r.type = val[0];
        break;
      case OPT_SUBNET:
        if (len === 4) r.subnetMask = bytesToIp(val);
        break;
      case OPT_ROUTER:
        r.routers = ips();
        break;
      case OPT_DNS:
        r.dns = ips();
        break;
      case OPT_LEASE:
        if (len === 4) r.leaseSeconds = new DataView(val.buffer, val.byteOffset, 4).getUint32(0);
        break;
      case OPT_SERVER_ID:
        if (len === 4) r.serverId = bytesToIp(val);
        break;
      case OPT_BROADCAST:
        if (len === 4) r.broadcast = bytesToIp(val);
        break;
    }
  }
  if (r.op !== 2) throw new Error("not a BOOTREPLY");
  if (!r.type) throw new Error("DHCP reply without a message type");
  if (r.subnetMask) r.prefixLength = maskToPrefix(r.subnetMask);
  return r;
}
