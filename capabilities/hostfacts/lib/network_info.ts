// Read-only views of the host's network for the api (zos.network.interfaces, has_ipv6,
// zos.admin.interfaces) on a node that runs on a host: the management interface plays Zero-OS's
// `zos` bridge; there is no yggdrasil on a host node.
import os from "node:os";
import { managementInterface } from "./host_facts.ts";

function isGlobalV6(addr: string): boolean {
  const a = addr.toLowerCase();
  return !(a === "::1" || a.startsWith("fe80") || a.startsWith("fc") || a.startsWith("fd"));
}

export function zosInterfaces(): { zos: string[]; ygg: string[] } {
  return { zos: managementInterface()[0].ips, ygg: [] };
}

export function hasPublicIpv6(): boolean {
  return Object.values(os.networkInterfaces()).some((list) =>
    (list ?? []).some((a) => a.family === "IPv6" && !a.internal && isGlobalV6(a.address)));
}

/** Every interface with its addresses (CIDR) and MAC, as zos.admin.interfaces answers. */
export function allInterfaces(): Record<string, { ips: string[]; mac: string }> {
  const out: Record<string, { ips: string[]; mac: string }> = {};
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    const l = list ?? [];
    out[name] = { ips: l.map((a) => a.cidr ?? a.address), mac: l[0]?.mac ?? "" };
  }
  return out;
}
