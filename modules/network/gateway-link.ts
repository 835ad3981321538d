// A gateway's way into a user's network resource (the `network` field of gateway-name/fqdn-proxy workloads;
// Zero-OS ADR "gateway to user NR": the user adds the gateway node to the network and names it; backends
// are then private IPs of that network). The gateway's proxy runs in the node's `public` namespace; each NR
// it must reach gets one veth pair `g-<netid>` between `public` and the NR's namespace:
//   - public side 100.126.0.1/32 (the same on every such link: it is the source the NR sees), and one /32
//     route per backend IP through the link, so two users' networks with the same private range never mix:
//     a backend IP already routed to another NR is refused;
//   - NR side 100.126.0.2/32, a route back to 100.126.0.1 and proxy ARP, so the NR answers for its backends
//     and forwards to them (its nftables drop new connections only from its `public` uplink).
// Backends must be inside the NR's own subnet on this node. Pure data: ops for the netlink driver.
import { contains, names, type Layout, type Op, v4, WorkloadInputError } from "./nr.ts";

export const GW_LINK_PUBLIC = "100.126.0.1";
export const GW_LINK_NR = "100.126.0.2";

export interface GatewayLinkRecord {
  workloadId: string;
  netId: string;
  backends: string[];
}

export const linkName = (netId: string): string => `g-${netId}`;

/** Checks every backend IP lies in the NR's subnet; answers them deduplicated. */
export function checkBackends(ips: unknown, nr: { name: string; subnet: string }): string[] {
  if (!Array.isArray(ips) || ips.length === 0 || ips.some((x) => typeof x !== "string")) {
    throw new WorkloadInputError("gateway-link: backends is a non-empty list of IPv4 addresses");
  }
  const subnet = v4(nr.subnet, "subnet");
  for (const ip of ips as string[]) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
      throw new WorkloadInputError(`backend ${ip}: a backend over network "${nr.name}" is an IPv4 address of its subnet ${nr.subnet} on this node`);
    }
    if (!contains(subnet, v4(`${ip}/32`, "backend"))) {
      throw new WorkloadInputError(`backend ${ip} is not in network "${nr.name}"'s subnet on this node (${nr.subnet}); use a VM address of that subnet`);
    }
  }
  return [...new Set(ips as string[])];
}

/** Ops that make the link exist (when `present` is false) and route `add` through it. */
export function linkOps(l: Layout, netId: string, present: boolean, add: string[]): Op[] {
  const g = linkName(netId);
  const nr = names(netId).ns;
  const ops: Op[] = [];
  if (!present) {
    ops.push(
      { op: "link.add", ns: l.public, name: g, kind: "veth", peer: g, peerNs: nr },
      { op: "addr.add", ns: l.public, dev: g, cidr: `${GW_LINK_PUBLIC}/32` },
      { op: "addr.add", ns: nr, dev: g, cidr: `${GW_LINK_NR}/32` },
      { op: "link.set", ns: l.public, name: g, up: true },
      { op: "link.set", ns: nr, name: g, up: true },
      { op: "sysctl", ns: nr, key: `net.ipv4.conf.${g}.proxy_arp`, value: "1" },
      { op: "route.add", ns: nr, dst: `${GW_LINK_PUBLIC}/32`, dev: g },
    );
  }
  for (const ip of add) ops.push({ op: "route.add", ns: l.public, dst: `${ip}/32`, dev: g });
  return ops;
}

/** Ops that remove routes no other record needs, and the link when no record of its NR is left. */
export function unlinkOps(l: Layout, rec: GatewayLinkRecord, others: GatewayLinkRecord[], present: boolean): Op[] {
  if (!present) return [];
  const g = linkName(rec.netId);
  const same = others.filter((o) => o.netId === rec.netId);
  if (same.length === 0) return [{ op: "link.del", ns: l.public, name: g }]; // its routes go with it
  const kept = new Set(same.flatMap((o) => o.backends));
  return rec.backends.filter((ip) => !kept.has(ip)).map((ip) => ({ op: "route.del", ns: l.public, dst: `${ip}/32`, dev: g }));
}
