// Capacity accounting (zos.statistics.get): total, reserved (system), used = Σ capacity of okay
// workloads (state ok or paused) + reserved, and the memory admission rule of provisiond.
import { addCapacity, type Capacity, type Deployment, workloadCapacity, zeroCapacity } from "../lib/gridtypes/mod.ts";
import type { CapacitySource } from "./interfaces.ts";

export function isOkay(state: string): boolean {
  return state === "ok" || state === "paused";
}

/** Σ capacity of okay workloads over `deployments`. */
export function usedByWorkloads(deployments: Iterable<Deployment>): Capacity {
  let c = zeroCapacity();
  for (const d of deployments) {
    for (const wl of d.workloads) {
      if (!isOkay(wl.result.state)) continue;
      try {
        c = addCapacity(c, workloadCapacity(wl));
      } catch {
        // stored workloads were decodable when accepted; nothing to count otherwise
      }
    }
  }
  return c;
}

/**
 * Memory that may still be given to workloads:
 * usable = total − max(used by okay workloads + reserved, total − available).
 */
export function usableMemory(src: CapacitySource, used: Capacity): bigint {
  const total = src.total().mru;
  let taken = used.mru + src.reserved().mru;
  const avail = src.availableMemory?.();
  if (avail !== undefined && total - avail > taken) taken = total - avail;
  return taken >= total ? 0n : total - taken;
}

export interface CapacityJson {
  cru: number | string;
  sru: number | string;
  hru: number | string;
  mru: number | string;
  ipv4u: number | string;
}

/** JSON numbers exact up to 2^53; larger values never occur for real hardware. */
export function capacityJson(c: Capacity): CapacityJson {
  const n = (x: bigint) => Number(x);
  return { cru: n(c.cru), sru: n(c.sru), hru: n(c.hru), mru: n(c.mru), ipv4u: n(c.ipv4u) };
}
