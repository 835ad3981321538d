// The api's SystemInfo and the engine's CapacitySource for a node on this host (capabilities/hostfacts/lib).
import { readFileSync } from "node:fs";
import type { Capacity as ApiCapacity, SystemInfo } from "../../../modules/api/ports.ts";
import type { CapacitySource } from "../../../modules/provision/mod.ts";
import { dmi, hostCapacity, hypervisor, reservedCapacity } from "../../../capabilities/hostfacts/lib/mod.ts";

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

export const ZOS_VERSION = pkg.version;
/** zos reports zinit's version; our process supervisor is the capability kernel */
export const SUPERVISOR_VERSION = `zos-ts-kernel ${pkg.version}`;

export function hostSystemInfo(stateDir: string): SystemInfo {
  return {
    version: () => ({ zos: ZOS_VERSION, zinit: SUPERVISOR_VERSION }),
    dmi: () => Promise.resolve(dmi()),
    hypervisor: () => Promise.resolve(hypervisor()),
    capacity: (): Promise<ApiCapacity> => Promise.resolve({ ...hostCapacity(stateDir), ipv4u: 0 }),
    // no zos-cache subvolume on a host: nothing reserved on disk
    reserved: (): Promise<ApiCapacity> => Promise.resolve(reservedCapacity(0)),
  };
}

export function hostCapacitySource(stateDir: string): CapacitySource {
  const b = (n: number) => BigInt(Math.floor(n));
  return {
    total() {
      const c = hostCapacity(stateDir);
      return { cru: b(c.cru), sru: b(c.sru), hru: b(c.hru), mru: b(c.mru), ipv4u: 0n };
    },
    reserved() {
      const r = reservedCapacity(0);
      return { cru: 0n, sru: b(r.sru), hru: 0n, mru: b(r.mru), ipv4u: 0n };
    },
    availableMemory() {
      try {
        const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
        return m ? BigInt(m[1]) * 1024n : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
