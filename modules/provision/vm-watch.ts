// Failed VMs become failed workloads (Zero-OS vmd's monitor calling provision's DecommissionCached): the
// hypervisor driver restarts a crashed QEMU with backoff and marks the VM `failed` after the 4th death
// within 2 minutes; this loop reads the driver's list (only this grant's VMs) and hands each failed one
// to the engine, which takes the workload down and stores `error` with the driver's reason.
import type { VmInfo } from "./managers/zmachine.ts";

export interface FailedVmWatchOptions {
  /** this grant's VMs (hypervisor.list) */
  list(): Promise<VmInfo[]>;
  /** Engine.decommission: false when nothing was queued (unknown, already down, already queued) */
  decommission(workloadId: string, reason: string): Promise<boolean>;
  intervalMs?: number;
  log?: (line: string) => void;
}

/** One pass: every failed VM goes to the engine. Returns the ids that were queued. */
export async function decommissionFailedVms(o: FailedVmWatchOptions): Promise<string[]> {
  const queued: string[] = [];
  for (const vm of await o.list()) {
    if (vm.state !== "failed") continue;
    if (await o.decommission(vm.id, `vm failed: ${vm.reason || "the hypervisor gave no reason"}`)) queued.push(vm.id);
  }
  return queued;
}

/** Runs decommissionFailedVms every `intervalMs` (default 5 s) until the returned stop() is called. */
export function watchFailedVms(o: FailedVmWatchOptions): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    decommissionFailedVms(o)
      .then((ids) => ids.length && o.log?.(`provision: VMs failed, workloads decommissioned: ${ids.join(", ")}`))
      .catch((e) => o.log?.(`provision: watching VMs: ${(e as Error).message}`))
      .finally(() => (busy = false));
  }, o.intervalMs ?? 5000);
  return () => clearInterval(timer);
}
