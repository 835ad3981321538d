// The node's public side at boot, Zero-OS's single-NIC shape: `br-pub` is always made and joined to the `zos`
// bridge (a veth: `topub` on zos, `tozos` on br-pub); the `public` namespace gets a `public` macvlan on br-pub
// and the `ndmz` namespace an `npub4` macvlan on it, each leased its address by the LAN's DHCP server (stable
// MACs derived from the NIC's, so the leases are too). Without it the network module's namespaces have no way
// out of the node: WireGuard (which listens in `public`) could not peer and NRs (whose default route goes
// through ndmz) could not reach the LAN. PID 1 does it because only it may touch the host's `zos` bridge: the
// network module's netlink grant stays as it is (its namespaces and the b-/br-pub/… links of its own host side).
// The namespaces are pinned where the netlink driver keeps its pins (its ${state}/netlink/ns), under the names
// the manifest gives the network module (host, public, ndmz); the driver finds them there and builds on them.
// `public` gets no default route: that is the farmer's public config, which the network module applies
// (gw4/gw6) when the chain has one; a hidden node's public side reaches its LAN only.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NetOps } from "../../capabilities/netlink/ops.ts";
import { denoSys as netlinkSys } from "../../capabilities/netlink/sys.ts";
import type { Sys } from "./libc.ts";
import { BRIDGE, dhcp, macBytes } from "./net-setup.ts";

/** The network module's namespaces (manifests/node.json: network args). */
export const HOST_NS = "host", PUBLIC_NS = "public", NDMZ_NS = "ndmz";

/** A locally administered unicast MAC for `link` of the node whose NIC has `nicMac`: the same at every boot. */
export function linkMac(nicMac: string, link: string): Uint8Array {
  const b = createHash("sha256").update(`${nicMac.toLowerCase()}/${link}`).digest().subarray(0, 6);
  const out = Uint8Array.from(b);
  out[0] = (out[0] & 0xfc) | 0x02;
  return out;
}

export const macString = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");

export interface UplinkResult {
  /** the public namespace's DHCP address (cidr), or "" when no lease came */
  public: string;
  /** ndmz's npub4 address (cidr) and its default gateway */
  npub4: string;
  gateway: string;
  /** stale namespace pins of an earlier boot removed first */
  stale: string[];
  notes: string[];
}

async function waitOperUp(ifname: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const s = readFileSync(`/sys/class/net/${ifname}/operstate`, "utf8").trim();
      if (s === "up" || s === "unknown") return;
    } catch { /* not there yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Makes the shape (idempotent for links that exist) under `pinDir`; DHCP failures are reported in the
 * result, never thrown: the node still boots and works on its own, it only cannot peer.
 */
export async function setupUplink(sys: Sys, o: { pinDir: string; uapiDir: string; nicMac: string; dhcpTries?: number }): Promise<UplinkResult> {
  const r: UplinkResult = { public: "", npub4: "", gateway: "", stale: [], notes: [] };
  mkdirSync(o.pinDir, { recursive: true, mode: 0o700 });
  const nsys = netlinkSys();
  // A fresh boot has no namespace mounted yet: a pin file left on the state disk (power cut, kill -9 of the
  // driver) is a plain file now, and the driver would take it for a live namespace.
  for (const f of readdirSync(o.pinDir)) {
    nsys.removePin(join(o.pinDir, f));
    r.stale.push(f);
  }
  const ops = new NetOps(nsys, o.pinDir, o.uapiDir);
  try {
    for (const ns of [HOST_NS, PUBLIC_NS, NDMZ_NS]) ops.nsAdd(ns);
    ops.linkAdd(HOST_NS, { name: "br-pub", kind: "bridge" });
    ops.linkSet(HOST_NS, "br-pub", { up: true });
    ops.linkAdd("", { name: "topub", kind: "veth", peer: "tozos", peerNs: HOST_NS });
    ops.linkSet("", "topub", { master: BRIDGE, up: true });
    ops.linkSet(HOST_NS, "tozos", { master: "br-pub", up: true });
    // Each macvlan is made in the host namespace (where PID 1's DHCP client runs), leased, then moved.
    for (const [link, ns] of [["public", PUBLIC_NS], ["npub4", NDMZ_NS]] as const) {
      if (ops.index(ns, link) !== null) continue;
      const mac = linkMac(o.nicMac, link);
      ops.linkAdd(HOST_NS, { name: link, kind: "macvlan", parent: "br-pub", into: "", mac });
      ops.linkSet("", link, { up: true });
      await waitOperUp(link, 3000);
      let lease: Awaited<ReturnType<typeof dhcp>>["lease"] | null = null;
      try {
        lease = (await dhcp(sys, link, macBytes(macString(mac)), { tries: o.dhcpTries ?? 4 })).lease;
      } catch (err) {
        r.notes.push(`${link}: ${(err as Error).message}`);
      }
      ops.linkMove("", link, ns);
      ops.linkSet(ns, link, { up: true });
      if (!lease) continue;
      const cidr = `${lease.yiaddr}/${lease.prefixLength ?? 24}`;
      ops.addrAdd(ns, link, cidr);
      if (link === "public") r.public = cidr;
      else {
        r.npub4 = cidr;
        const gw = lease.routers[0];
        if (gw) {
          ops.routeAdd(ns, { dst: "default", via: gw });
          r.gateway = gw;
        }
      }
    }
  } finally {
    await ops.close();
  }
  return r;
}
