// A DHCPv4 server for the QEMU farm's private bridge (vm-tests/farm.ts): fixed leases by MAC, the
// router/DNS of the farm, and for iPXE the boot file (option 67, the boot server's boot.ipxe URL). Runs
// inside the farm's own network namespace, so its broadcasts reach only the farm's bridge.
import { createSocket, type Socket } from "node:dgram";
import { DHCP_ACK, DHCP_DISCOVER, DHCP_OFFER, DHCP_REQUEST, ipToBytes } from "../../kernel/pid1/dhcp.ts";

const MAGIC = 0x63825363;

export interface DhcpLease {
  mac: string;
  ip: string;
}

export interface DhcpServerOptions {
  /** the server's own address on the bridge (server id, router and DNS) */
  serverIp: string;
  netmask: string;
  leases: DhcpLease[];
  /**
   * Addresses `<subnet>.<from>` … `<subnet>.<to>` for MACs without a fixed lease (a node's `public` and `npub4`
   * macvlans), one per MAC for the server's life, in the order they ask; none when absent.
   */
  pool?: { subnet: string; from: number; to: number };
  /** option 67 for iPXE (e.g. http://10.99.0.1:8080/boot.ipxe) */
  bootFile?: string;
  log?: (line: string) => void;
}

/** Builds a BOOTREPLY (OFFER or ACK) for a client message `req`. */
export function encodeReply(type: number, req: Uint8Array, yiaddr: string, o: DhcpServerOptions): Uint8Array {
  const opts: number[] = [53, 1, type, 54, 4, ...ipToBytes(o.serverIp), 51, 4, 0, 0, 0x0e, 0x10, 1, 4, ...ipToBytes(o.netmask),
    3, 4, ...ipToBytes(o.serverIp), 6, 4, ...ipToBytes(o.serverIp)];
  if (o.bootFile) {
    const f = new TextEncoder().encode(o.bootFile);
    opts.push(67, f.length, ...f);
  }
  opts.push(255);
  const b = new Uint8Array(Math.max(300, 240 + opts.length));
  const v = new DataView(b.buffer);
  b[0] = 2; // BOOTREPLY
  b[1] = 1;
  b[2] = 6;
  b.set(req.subarray(4, 8), 4); // xid
  v.setUint16(10, 0x8000); // broadcast: the client has no address yet
  b.set(ipToBytes(yiaddr), 16);
  b.set(ipToBytes(o.serverIp), 20); // siaddr
  b.set(req.subarray(28, 44), 28); // chaddr
  // the BOOTP file field too (iPXE reads either)
  if (o.bootFile) b.set(new TextEncoder().encode(o.bootFile).subarray(0, 127), 108);
  v.setUint32(236, MAGIC);
  b.set(opts, 240);
  return b;
}

/** A client's BOOTREQUEST: its message type (option 53) and hardware address; null for anything else. */
export function parseRequest(b: Uint8Array): { type: number; chaddr: Uint8Array } | null {
  if (b.length < 240 || b[0] !== 1 || new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(236) !== MAGIC) return null;
  for (let i = 240; i < b.length;) {
    const code = b[i++];
    if (code === 0) continue;
    if (code === 255 || i >= b.length) break;
    const len = b[i++];
    if (code === 53 && len === 1) return { type: b[i], chaddr: b.slice(28, 34) };
    i += len;
  }
  return null;
}

/** Who gets which address: the fixed leases, then the pool's next free address for a MAC seen first. */
export function leaseBook(o: Pick<DhcpServerOptions, "leases" | "pool">): { leaseFor(mac: string): DhcpLease | undefined; leased(): DhcpLease[] } {
  const dynamic = new Map<string, DhcpLease>();
  return {
    leaseFor(mac) {
      const m = mac.toLowerCase();
      const fixed = o.leases.find((l) => l.mac.toLowerCase() === m);
      if (fixed || !o.pool) return fixed;
      const had = dynamic.get(m);
      if (had) return had;
      const n = o.pool.from + dynamic.size;
      if (n > o.pool.to) return undefined;
      const lease = { mac: m, ip: `${o.pool.subnet}.${n}` };
      dynamic.set(m, lease);
      return lease;
    },
    leased: () => [...dynamic.values()],
  };
}

const macText = (b: Uint8Array) => Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, "0")).join(":");

export async function startDhcpServer(o: DhcpServerOptions): Promise<{ close(): Promise<void>; served: string[]; leased(): DhcpLease[] }> {
  const log = o.log ?? (() => {});
  const served: string[] = [];
  const book = leaseBook(o);
  const sock: Socket = createSocket({ type: "udp4", reuseAddr: true });
  sock.on("message", (msg) => {
    const req = parseRequest(new Uint8Array(msg));
    if (!req) return log(`dhcp: ignored a ${msg.length}-byte message that is no BOOTREQUEST`);
    const mac = macText(req.chaddr);
    const lease = book.leaseFor(mac);
    if (!lease) return log(`dhcp: no lease for ${mac}`);
    const type = req.type === DHCP_DISCOVER ? DHCP_OFFER : req.type === DHCP_REQUEST ? DHCP_ACK : 0;
    if (!type) return;
    sock.send(encodeReply(type, new Uint8Array(msg), lease.ip, o), 68, "255.255.255.255", (err) => {
      if (err) log(`dhcp: could not answer ${mac}: ${err.message}`);
    });
    served.push(`${type === DHCP_OFFER ? "offer" : "ack"} ${lease.ip} → ${mac}`);
    log(`dhcp: ${served.at(-1)}`);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(67, "0.0.0.0", () => {
      sock.setBroadcast(true);
      resolve();
    });
  });
  return { served, leased: book.leased, close: () => new Promise((resolve) => sock.close(() => resolve())) };
}
