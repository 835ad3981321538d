// How deployments and jobs are laid out in the durable store.
import {
  decodeDeployment,
  type Deployment,
  deploymentJson,
  type JsonNumber,
  JsonObject,
  parseJson,
  type Workload,
  workloadJson,
} from "../lib/gridtypes/mod.ts";

/** A stored deployment: its current state plus what makes replays idempotent and the change log. */
export interface DeploymentRecord {
  deployment: Deployment;
  /** The hash the chain contract must hold (node rendering, or the client's where accepted). */
  hash: string;
  /** Unix seconds of acceptance. */
  created: number;
  /** workload name → id of the last job that stored a result for it (skip on replay). */
  applied: Record<string, number>;
  /** Transaction log: a copy of the workload at each state change (zos.deployment.changes). */
  changes: Workload[];
  /**
   * Workloads whose manager's delete failed: name → why they are being deleted. They stay (state `error`)
   * and the engine retries the delete until it succeeds; only then are they gone (and, for a cancelled
   * contract, the deployment with them).
   */
  deleting?: Record<string, string>;
}

export type JobOp = "provision" | "update" | "deprovision" | "replay" | "pause" | "resume" | "decommission";

export interface Job {
  id: number;
  op: JobOp;
  twin: number;
  contract: string;
  /** deprovision, decommission: why (becomes the workloads' message). */
  reason?: string;
  /** decommission: the one workload it takes down. */
  name?: string;
  /** update: the new deployment JSON and the planned operations by workload name. */
  next?: string;
  ops?: { op: "add" | "update" | "remove"; name: string }[];
  /** deprovision: only these workloads (a retry of deletes that failed); absent = the whole deployment. */
  names?: string[];
}

export function depKey(twin: number, contract: bigint | string): string {
  return `dep/${twin}/${contract}`;
}

export function jobKey(id: number): string {
  return `job/${String(id).padStart(16, "0")}`;
}

export const SEQ_KEY = "meta/seq";
/** the boot whose deployments were last replayed (Engine.replayAfterBoot) */
export const BOOT_KEY = "meta/boot";

export function encodeRecord(r: DeploymentRecord): string {
  return `{"hash":${JSON.stringify(r.hash)},"created":${r.created},"applied":${JSON.stringify(r.applied)},` +
    `"changes":[${r.changes.map(workloadJson).join(",")}],` +
    (r.deleting && Object.keys(r.deleting).length ? `"deleting":${JSON.stringify(r.deleting)},` : "") + `"deployment":${deploymentJson(r.deployment)}}`;
}

export function decodeRecord(text: string): DeploymentRecord {
  // one pass through the Go-compatible reader keeps u64 values exact
  const root = parseJson(text) as JsonObject;
  const get = (k: string) => root.entries.find((e) => e[0] === k)![1];
  const deleting = root.entries.find((e) => e[0] === "deleting")?.[1] as JsonObject | undefined;
  const applied: Record<string, number> = {};
  for (const [k, v] of (get("applied") as JsonObject).entries) applied[k] = Number((v as JsonNumber).text);
  return {
    deployment: decodeDeployment(get("deployment")),
    hash: get("hash") as string,
    created: Number((get("created") as JsonNumber).text),
    applied,
    changes: decodeDeployment(new JsonObject([["workloads", get("changes")]])).workloads,
    ...(deleting ? { deleting: Object.fromEntries(deleting.entries.map(([k, v]) => [k, String(v)])) } : {}),
  };
}

export function cloneWorkload(w: Workload): Workload {
  return { ...w, result: { ...w.result } };
}
