// "One job at a time" per thing the engine queues work for: a deployment's deprovision() (the contract sync
// asks again every 5 s while it is not gone) and a workload's decommission(). A key is claimed when its job
// is queued and released when that job has run (or when queuing it failed), so asking again meanwhile
// queues nothing.
import type { Job } from "./records.ts";
import { depKey } from "./records.ts";
import { workloadId } from "../lib/gridtypes/mod.ts";

/** The guard key of a job that holds one: deprovision() of a whole deployment, decommission() of a workload. */
export function oneJobKey(job: Pick<Job, "op" | "twin" | "contract" | "name" | "names">): string | null {
  if (job.op === "deprovision" && !job.names) return `deprovision ${depKey(job.twin, BigInt(job.contract))}`;
  if (job.op === "decommission") return `decommission ${workloadId(job.twin, BigInt(job.contract), job.name ?? "")}`;
  return null;
}

export class OneJobAtATime {
  readonly #keys = new Set<string>();

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /**
   * Runs `queue` with `key` claimed; false (nothing run) when `key` already has a job. A `queue` that throws
   * releases the key again: nothing was queued.
   */
  async once(key: string, queue: () => Promise<void>): Promise<boolean> {
    if (this.#keys.has(key)) return false;
    this.#keys.add(key);
    try {
      await queue();
    } catch (e) {
      this.#keys.delete(key);
      throw e;
    }
    return true;
  }

  /** The job of `job`'s key has run: the next ask may queue one again. */
  done(job: Pick<Job, "op" | "twin" | "contract" | "name" | "names">): void {
    const key = oneJobKey(job);
    if (key) this.#keys.delete(key);
  }
}
