// Contracts cancelled on chain free their deployments: Zero-OS's provisiond compares its deployments with
// the node's active contracts on chain and uninstalls those whose contract is gone. Here the provision
// module runs the same comparison every few seconds with one chain read (activeNodeContracts).
import type { Deployment } from "../lib/gridtypes/mod.ts";

export interface SyncTarget {
  list(): Deployment[];
  deprovision(twin: number, contract: bigint, reason: string): Promise<void>;
}

/** Deprovisions every deployment with live workloads whose contract is not in `active`; returns their ids. */
export async function freeCancelled(engine: SyncTarget, active: Iterable<bigint>): Promise<bigint[]> {
  const live = new Set([...active].map(String));
  const freed: bigint[] = [];
  for (const d of engine.list()) {
    if (live.has(String(d.contract_id))) continue;
    if (d.workloads.every((w) => w.result.state === "deleted")) continue;
    await engine.deprovision(d.twin_id, d.contract_id, "contract canceled");
    freed.push(d.contract_id);
  }
  return freed;
}
