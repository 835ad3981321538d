// Update rules exactly as Go Deployment.Upgrade plus the engine's "does this type support update"
// check: version + 1, new names at the new version are adds, existing names at the new version
// are updates (same type, updatable types only), lower versions untouched, missing names removed.
import { validateDeployment } from "./deployment.ts";
import { UPDATABLE_TYPES } from "./registry.ts";
import { type Deployment, DeploymentError, type Workload } from "./types.ts";

export interface UpgradeOp {
  op: "add" | "update" | "remove";
  workload: Workload;
}

/** Validates `next` as the successor of `current`; returns the operations. Throws DeploymentError. */
export function upgradeOps(current: Deployment, next: Deployment): UpgradeOp[] {
  try {
    validateDeployment(next);
  } catch (e) {
    throw new DeploymentError(`new deployment is invalid: ${(e as Error).message}`);
  }
  if (current.twin_id !== next.twin_id || current.contract_id !== next.contract_id) {
    throw new DeploymentError("cannot change deployment or twin id");
  }
  const expected = current.version + 1;
  if (next.version !== expected) throw new DeploymentError(`version: expecting deployment version ${expected}, got ${next.version}`);
  const old = new Map(current.workloads.map((w) => [w.name, w]));
  const ops: UpgradeOp[] = [];
  for (const wl of next.workloads) {
    const prev = old.get(wl.name);
    if (!prev) {
      if (wl.version !== expected) {
        throw new DeploymentError(`workload '${wl.name}': version: invalid version number ${wl.version} for a new workload, expected ${expected}`);
      }
      ops.push({ op: "add", workload: wl });
    } else {
      if (prev.type !== wl.type) throw new DeploymentError(`workload '${wl.name}': type: cannot change workload type from '${prev.type}' to '${wl.type}'`);
      wl.result = prev.result;
      if (wl.version === expected) {
        if (!UPDATABLE_TYPES.has(wl.type)) throw new DeploymentError(`workload '${wl.name}': workload '${wl.type}' does not support upgrade`);
        ops.push({ op: "update", workload: wl });
      }
    }
    old.delete(wl.name);
  }
  for (const wl of old.values()) ops.push({ op: "remove", workload: wl });
  return ops;
}
