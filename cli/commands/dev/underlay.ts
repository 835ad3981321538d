// Several dev nodes on one host (`zos dev --nodes N`, root only): each node's network lives in namespaces
// pinned under its own state dir (node/netlink/ns: host, public, ndmz, n-…), so names never collide with
// another node's or a test's. The "underlay" is a LAN in a `lan` namespace of the dev state dir: a bridge
// with 198.18.0.254/24 and 2001:db8:18::fe/64 (a benchmarking and a documentation range, never routed off
// this machine). Each node joins it as Zero-OS's single-NIC shape: a veth `upl` on the node's `br-pub`
// (host side), and the `public` namespace's `public` macvlan on br-pub. A hidden node's `public` link gets
// 198.18.0.<i>/24 here (its uplink address); the access node's gets nothing here: the network module puts
// the farmer's public config from chain on it. Nothing is added to the host's own namespace; the `lan`
// namespace (endpoints.json `lan_netns`) is where a test client reaches the nodes' public addresses from.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { NetOps } from "../../../capabilities/netlink/ops.ts";
import { denoSys } from "../../../capabilities/netlink/sys.ts";
import { joinNamespaces } from "../../../capabilities/netlink/underlay.ts";

export const LAN_GATEWAY = "198.18.0.254";
export const LAN_GATEWAY6 = "2001:db8:18::fe";
/** node i's (0-based) underlay IPv4: its public config's when it is the access node */
export const publicIpOf = (i: number): string => `198.18.0.${i + 1}`;
/** the farm's public IPs the dev chain reserves on contracts (ip workloads), on the same LAN */
export const FARM_IPS = [200, 201, 202, 203].map((n) => `198.18.0.${n}/24`);

/** The farmer's public config of the access node (index i, 0-based), as the dev grid sets it on chain. */
export function accessConfigOf(i: number): { ip4: { ip: string; gw: string }; ip6: { ip: string; gw: string }; domain: string } {
  return {
    ip4: { ip: `${publicIpOf(i)}/24`, gw: LAN_GATEWAY },
    ip6: { ip: `2001:db8:18::${(i + 1).toString(16)}/64`, gw: LAN_GATEWAY6 },
    domain: `node${i + 1}.zos.test`,
  };
}

export interface DevUnderlay {
  /** public IPv4 of node i (index in nodeDirs) */
  publicIps: string[];
  /** the lan namespace's pin file: `nsenter --net=<it>` reaches every node's public address */
  lanNetns: string;
  /** removes the lan namespace and whatever a node left behind (after the nodes stopped) */
  stop(): void;
}

const netOps = (dir: string) => new NetOps(denoSys(), join(dir, "netlink", "ns"), join(dir, "netlink", "wg"));

/** Pins each node's host and public namespaces and joins them to the LAN; null when not root. */
export function prepareUnderlay(stateDir: string, nodeDirs: string[], accessIndex = -1): DevUnderlay | null {
  if (process.getuid?.() !== 0) return null;
  const lan = new NetOps(denoSys(), join(stateDir, "lan", "ns"), join(stateDir, "lan", "wg"));
  lan.nsAdd("lan");
  lan.linkAdd("lan", { name: "lan", kind: "bridge" });
  lan.addrAdd("lan", "lan", `${LAN_GATEWAY}/24`);
  lan.addrAdd("lan", "lan", `${LAN_GATEWAY6}/64`);
  lan.linkSet("lan", "lan", { up: true });
  nodeDirs.forEach((dir, i) => {
    const ops = netOps(dir);
    ops.nsAdd("host");
    ops.nsAdd("public");
    ops.linkAdd("host", { name: "br-pub", kind: "bridge" });
    ops.linkSet("host", "br-pub", { up: true });
    if (ops.index("host", "upl") === null) {
      lan.linkDel("lan", `node${i + 1}`);
      joinNamespaces(denoSys(), { pin: lan.pin("lan"), ifname: `node${i + 1}` }, { pin: ops.pin("host"), ifname: "upl" });
      lan.linkSet("lan", `node${i + 1}`, { master: "lan", up: true });
      ops.linkSet("host", "upl", { master: "br-pub", up: true });
    }
    if (ops.index("public", "public") === null) {
      ops.linkAdd("host", { name: "public", kind: "macvlan", parent: "br-pub", into: "public" });
      ops.linkSet("public", "public", { up: true });
      if (i !== accessIndex) {
        ops.addrAdd("public", "public", `${publicIpOf(i)}/24`);
        ops.routeAdd("public", { dst: "default", via: LAN_GATEWAY });
      }
    }
    ops.close();
  });
  return {
    publicIps: nodeDirs.map((_, i) => publicIpOf(i)),
    lanNetns: lan.pin("lan"),
    stop() {
      for (const dir of nodeDirs) {
        const pins = join(dir, "netlink", "ns");
        if (!existsSync(pins)) continue;
        const ops = netOps(dir);
        for (const ns of readdirSync(pins)) ops.nsDel(ns);
      }
      for (const ns of lan.nsList()) lan.nsDel(ns);
    },
  };
}

/** Waits until node `dir`'s public link carries `cidr` (the network module applied the chain's config). */
export async function waitForPublicAddress(dir: string, cidr: string, timeoutMs = 30_000): Promise<void> {
  const ops = netOps(dir);
  try {
    const t0 = Date.now();
    for (;;) {
      const l = ops.links("public").find((x) => x.name === "public");
      if (l?.addresses.includes(cidr)) return;
      if (Date.now() - t0 > timeoutMs) throw new Error(`the access node's public config (${cidr}) was not applied within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    ops.close();
  }
}
