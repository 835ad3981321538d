// The deployment model (zosbase pkg/gridtypes). Integers that are u64 on the node are bigint here so
// every value hashes and round-trips exactly; `data` stays raw JSON as on the node (json.RawMessage)
// and is decoded into its typed form by the workload type's handler when needed.
import type { JsonValue } from "./json.ts";

export type ResultState = "init" | "ok" | "error" | "deleted" | "paused" | "unchanged" | "";

export const STATES: readonly string[] = ["init", "ok", "error", "deleted", "paused", "unchanged"];

export interface Result {
  created: bigint;
  state: string;
  /** Go field Error, JSON key `message`. */
  message: string;
  /** Raw result data JSON (null when empty). */
  data: JsonValue;
}

export interface Workload {
  version: number;
  name: string;
  type: string;
  /** Raw data JSON; `undefined` when the key is absent (the node then fails to decode it). */
  data: JsonValue | undefined;
  metadata: string;
  description: string;
  result: Result;
}

export interface SignatureRequest {
  twin_id: number;
  required: boolean;
  weight: bigint;
}

export interface Signature {
  twin_id: number;
  signature: string;
  signature_type: string;
}

export interface SignatureRequirement {
  requests: SignatureRequest[];
  weight_required: bigint;
  signatures: Signature[];
  signature_style: string;
}

export interface Deployment {
  version: number;
  twin_id: number;
  contract_id: bigint;
  metadata: string;
  description: string;
  expiration: bigint;
  signature_requirement: SignatureRequirement;
  workloads: Workload[];
}

/** Capacity in units the node reports: cru (cores), sru/hru/mru (bytes), ipv4u (addresses). */
export interface Capacity {
  cru: bigint;
  sru: bigint;
  hru: bigint;
  mru: bigint;
  ipv4u: bigint;
}

export function zeroCapacity(): Capacity {
  return { cru: 0n, sru: 0n, hru: 0n, mru: 0n, ipv4u: 0n };
}

export function addCapacity(a: Capacity, b: Capacity): Capacity {
  return { cru: a.cru + b.cru, sru: a.sru + b.sru, hru: a.hru + b.hru, mru: a.mru + b.mru, ipv4u: a.ipv4u + b.ipv4u };
}

/** Error in a deployment document. `exit` hints the CLI: 2 unreadable/undecodable, 1 rejected. */
export class DeploymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentError";
  }
}

export const GiB = 1024n * 1024n * 1024n;
export const MiB = 1024n * 1024n;
