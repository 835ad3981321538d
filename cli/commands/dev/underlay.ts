// Several dev nodes on one host (`zos dev --nodes N`, root only): each node's network lives in namespaces
// pinned under its own state dir (node/netlink/ns: host, public, ndmz, n-…), so names never collide with
// another node's or a test's. Their `public` namespaces hang off one "lan" bridge in a namespace of the dev
// state dir, with 198.18.0.<i>/24 (a benchmarking range, never routed off this machine) and a default route
// via 198.18.0.254 — the "underlay" WireGuard peers across. Nothing is added to the host's own namespace.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { NetOps } from "../../../capabilities/netlink/ops.ts";
import { denoSys } from "../../../capabilities/netlink/sys.ts";
import { joinNamespaces } from "../../../capabilities/netlink/underlay.ts";

export const LAN_GATEWAY = "198.18.0.254";
export const publicIpOf = (i: number): string => `198.18.0.${i + 1}`;

export interface DevUnderlay {
  /** public IPv4 of node i (index in nodeDirs) */
  publicIps: string[];
  /** removes the lan namespace and whatever a node left behind (after the nodes stopped) */
  stop(): void;
}

const netOps = (dir: string) => new NetOps(denoSys(), join(dir, "netlink", "ns"), join(dir, "netlink", "wg"));

/** Pins each node's host and public namespaces and joins the public ones; null when not root. */
export function prepareUnderlay(stateDir: string, nodeDirs: string[]): DevUnderlay | null {
  if (process.getuid?.() !== 0) return null;
  const lan = new NetOps(denoSys(), join(stateDir, "lan", "ns"), join(stateDir, "lan", "wg"));
  lan.nsAdd("lan");
  lan.linkAdd("lan", { name: "lan", kind: "bridge" });
  lan.addrAdd("lan", "lan", `${LAN_GATEWAY}/24`);
  lan.linkSet("lan", "lan", { up: true });
  nodeDirs.forEach((dir, i) => {
    const ops = netOps(dir);
    ops.nsAdd("host");
    ops.nsAdd("public");
    if (ops.index("public", "public") === null) {
      lan.linkDel("lan", `node${i + 1}`);
      joinNamespaces(denoSys(), { pin: lan.pin("lan"), ifname: `node${i + 1}` }, { pin: ops.pin("public"), ifname: "public", cidr: `${publicIpOf(i)}/24` });
      lan.linkSet("lan", `node${i + 1}`, { master: "lan", up: true });
      ops.routeAdd("public", { dst: "default", via: LAN_GATEWAY });
    }
    ops.close();
  });
  return {
    publicIps: nodeDirs.map((_, i) => publicIpOf(i)),
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
