// How many processes start at once. Every cold Deno start is CPU-bound (runtime, parse, top-level code):
// started all at once on one vCPU, each of N processes takes N times as long, all of them pass their health
// timeout together, are killed and restarted together — under QEMU TCG on a loaded host that repeats
// forever (measured: 8 independent drivers, none ready after 90 s, restarted in a loop). Started at most
// one per CPU, each is ready after its own start time and the total work is the same. A slot is held from
// spawn to the first health answer (the CPU-bound part), not while a process waits for I/O to be ready.
import os from "node:os";

export function defaultStartSlots(): number {
  return Math.max(1, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
}

/** A counting semaphore: `acquire()` resolves with a release function once a slot is free (FIFO). */
export class StartSlots {
  private free: number;
  private readonly queue: (() => void)[] = [];

  constructor(slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new Error(`start slots must be a positive integer (got ${slots})`);
    this.free = slots;
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.queue.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.free++;
    };
  }

  /** Waiters not yet started (for events and tests). */
  get waiting(): number {
    return this.queue.length;
  }
}
