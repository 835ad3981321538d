// The engine's I/O, as small interfaces. The provision module binds them to granted capabilities
// (chain driver for twins and contracts, kv for the store, the storage/network/vm modules for
// managers); the CLI and tests bind them to files and in-process objects.
import type { Capacity, Deployment, TwinKeys, Workload } from "../lib/gridtypes/mod.ts";

export type { TwinKeys };

/** What the chain says about a node contract, checked before a provision/update job runs. */
export interface ContractChecker {
  /**
   * Resolves when contract `contractId` is a node contract of this node whose deployment_hash equals
   * `hash` (lowercase hex); the value says whether the node is rented (GPUs need that).
   * Rejects with an Error whose message becomes every workload's error.
   */
  check(contractId: bigint, hash: string): Promise<{ rented: boolean }>;
}

export interface Clock {
  /** Unix seconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Math.floor(Date.now() / 1000) };

/** Node capacity: totals, what the system reserves, and memory actually available right now. */
export interface CapacitySource {
  total(): Capacity;
  reserved(): Capacity;
  /** Free memory as the kernel reports it (MemAvailable); undefined = not known. */
  availableMemory?(): bigint | undefined;
}

export interface WorkloadContext {
  twin: number;
  contract: bigint;
  /** "<twin>-<contract>-<name>" */
  workloadId: string;
  deployment: Deployment;
  rented: boolean;
  /** true when replaying at boot (no chain validation happened). */
  replay: boolean;
}

/** Returned by a manager when nothing changed: the workload keeps its previous result. */
export const NO_ACTION: unique symbol = Symbol("no action needed");

/** Thrown by `update` when it failed but the previous workload still runs (state `unchanged`). */
export class UnchangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnchangedError";
  }
}

/**
 * One per workload type. `provision` returns the result data (any JSON value) or NO_ACTION, and throws
 * to fail the workload with the error message. Managers must be idempotent: after a crash a job is
 * replayed and may call provision again for a workload that already exists.
 */
export interface WorkloadManager {
  provision(ctx: WorkloadContext, wl: Workload): Promise<unknown>;
  deprovision(ctx: WorkloadContext, wl: Workload): Promise<void>;
  /** Absent = the type cannot be updated (the upgrade is refused up front). */
  update?(ctx: WorkloadContext, wl: Workload): Promise<unknown>;
  pause?(ctx: WorkloadContext, wl: Workload): Promise<void>;
  resume?(ctx: WorkloadContext, wl: Workload): Promise<void>;
}
