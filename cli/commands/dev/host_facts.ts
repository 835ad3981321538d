// HostFacts for a node running on this host (zos dev), from capabilities/hostfacts/lib. Location: no geoip service
// is reachable from a loopback grid, so unless one is given the registrar's fallback applies.
import os from "node:os";
import type { HostFacts, NodeLocation } from "../../../modules/registrar/ports.ts";
import { hostCapacity, hypervisor, managementInterface, secureBoot, serialNumber } from "../../../capabilities/hostfacts/lib/mod.ts";

export function devHostFacts(stateDir: string, location?: () => Promise<NodeLocation>): HostFacts {
  return {
    capacity: () => Promise.resolve(hostCapacity(stateDir)),
    interfaces: () => Promise.resolve(managementInterface()),
    location: location ?? (() => Promise.reject(new Error("no geoip service on the local grid"))),
    secureBoot: () => Promise.resolve(secureBoot()),
    virtualized: () => Promise.resolve(hypervisor() !== ""),
    serialNumber: () => Promise.resolve(serialNumber()),
    uptimeSecs: () => Math.floor(os.uptime()),
  };
}
