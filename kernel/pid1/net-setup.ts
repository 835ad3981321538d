// The node's management network, as Zero-OS builds it: a `zos` bridge with the first physical NIC
// as its port (the bridge takes the NIC's MAC so the DHCP lease is stable), an address from our own
// DHCP client, and a default route. No listening socket is opened: DHCP replies come to a socket
// bound to port 68 on `zos` only for the exchange, and it is closed afterwards.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DHCP_ACK,
  DHCP_DISCOVER,
  DHCP_NAK,
  DHCP_OFFER,
  DHCP_REQUEST,
  type DhcpReply,
  decodeDhcp,
  encodeDhcp,
} from "./dhcp.ts";
import type { Sys } from "./libc.ts";
import { addAddress4 as addAddress, addRoute, createLink, parseReplies, setLink } from "../../capabilities/lib/netlink/codec.ts";

export const BRIDGE = "zos";

export interface NetResult {
  nic: string;
  mac: string;
  address: string;
  prefix: number;
  gateway: string | null;
  dns: string[];
  dhcpMs: number;
  attempts: number;
}

/** Physical NICs: entries of /sys/class/net with a `device` link (not lo, bridges, veth...). */
export function physicalNics(sysRoot = "/sys"): string[] {
  const dir = join(sysRoot, "class/net");
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    try {
      readdirSync(join(dir, n, "device"));
      return true;
    } catch {
      return false;
    }
  }).sort();
}

export function macBytes(mac: string): Uint8Array {
  const p = mac.trim().split(":");
  if (p.length !== 6) throw new Error(`bad MAC "${mac}"`);
  return Uint8Array.from(p.map((x) => parseInt(x, 16)));
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Waits for the first physical NIC to appear (drivers probe asynchronously). */
export async function waitForNic(timeoutMs: number, sysRoot = "/sys"): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const nics = physicalNics(sysRoot);
    if (nics.length) return nics[0];
    if (Date.now() > until) throw new Error(`no network interface appeared within ${timeoutMs} ms (is the NIC driver in the image?)`);
    await sleep(50);
  }
}

function netlinkDo(sys: Sys, what: string, msg: Uint8Array, okErrnos: number[] = []): void {
  const nl = sys.netlink();
  try {
    for (const d of nl.request(msg)) {
      for (const r of parseReplies(d)) {
        if (r.errno && !okErrnos.includes(r.errno)) throw new Error(`${what}: netlink error ${r.errno}`);
      }
    }
  } finally {
    nl.close();
  }
}

let seq = 1;

/** Waits until the link reports operstate "up" (a DISCOVER sent before that is lost); gives up quietly. */
async function waitOperUp(ifname: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (readFileSync(`/sys/class/net/${ifname}/operstate`, "utf8").trim() === "up") return;
    } catch { /* not there yet */ }
    await sleep(20);
  }
}

/** One DHCP exchange on `ifname`: DISCOVER → OFFER → REQUEST → ACK, retrying with backoff. */
export async function dhcp(sys: Sys, ifname: string, mac: Uint8Array, opts: { tries?: number; hostname?: string } = {}): Promise<{ lease: DhcpReply; attempts: number }> {
  const tries = opts.tries ?? 8;
  let lastErr = "no reply";
  for (let attempt = 1; attempt <= tries; attempt++) {
    const sock = sys.udpOnDevice(ifname, 68, 1000);
    try {
      const xid = (crypto.getRandomValues(new Uint32Array(1))[0]) >>> 0;
      const wait = (types: number[]): DhcpReply | null => {
        const deadline = Date.now() + 2000;
        while (Date.now() < deadline) {
          const d = sock.recv();
          if (!d) continue;
          try {
            const r = decodeDhcp(d);
            if (r.xid === xid && types.includes(r.type)) return r;
          } catch { /* not for us / malformed: ignore */ }
        }
        return null;
      };
      sock.send(encodeDhcp({ type: DHCP_DISCOVER, xid, mac, hostname: opts.hostname }), "255.255.255.255", 67);
      const offer = wait([DHCP_OFFER]);
      if (!offer) {
        lastErr = "no DHCPOFFER";
      } else {
        sock.send(
          encodeDhcp({ type: DHCP_REQUEST, xid, mac, hostname: opts.hostname, requestedIp: offer.yiaddr, serverId: offer.serverId ?? undefined }),
          "255.255.255.255",
          67,
        );
        const ack = wait([DHCP_ACK, DHCP_NAK]);
        if (ack?.type === DHCP_ACK) return { lease: ack, attempts: attempt };
        lastErr = ack ? "DHCPNAK" : "no DHCPACK";
      }
    } finally {
      sock.close();
    }
    await sleep(Math.min(4000, 250 * 2 ** (attempt - 1)));
  }
  throw new Error(`DHCP on ${ifname} failed after ${tries} attempts (${lastErr})`);
}

/** Brings up lo, the `zos` bridge over the first NIC, and configures it with DHCP. */
export async function setupNetwork(sys: Sys, opts: { nicTimeoutMs?: number; hostname?: string } = {}): Promise<NetResult> {
  const nic = await waitForNic(opts.nicTimeoutMs ?? 5000);
  const mac = readFileSync(`/sys/class/net/${nic}/address`, "utf8").trim();
  const macB = macBytes(mac);
  netlinkDo(sys, "lo up", setLink(seq++, sys.ifIndex("lo"), { up: true }));
  netlinkDo(sys, `create bridge ${BRIDGE}`, createLink(seq++, BRIDGE, "bridge", macB), [17 /* EEXIST: PID 1 re-run */]);
  const br = sys.ifIndex(BRIDGE);
  const port = sys.ifIndex(nic);
  netlinkDo(sys, `${nic} master ${BRIDGE}`, setLink(seq++, port, { master: br, up: true }));
  netlinkDo(sys, `${BRIDGE} up`, setLink(seq++, br, { up: true }));
  await waitOperUp(BRIDGE, 3000);
  const t0 = performance.now();
  const { lease, attempts } = await dhcp(sys, BRIDGE, macB, { hostname: opts.hostname });
  const dhcpMs = Math.round(performance.now() - t0);
  const prefix = lease.prefixLength ?? 24;
  netlinkDo(sys, `address ${lease.yiaddr}/${prefix}`, addAddress(seq++, br, lease.yiaddr, prefix));
  const gateway = lease.routers[0] ?? null;
  if (gateway) netlinkDo(sys, `default route via ${gateway}`, addRoute(seq++, br, gateway));
  if (lease.dns.length) {
    try {
      writeFileSync("/etc/resolv.conf", lease.dns.map((d) => `nameserver ${d}\n`).join(""));
    } catch { /* read-only /etc: name resolution falls back to none */ }
  }
  return { nic, mac, address: lease.yiaddr, prefix, gateway, dns: lease.dns, dhcpMs, attempts };
}
