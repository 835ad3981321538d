// Worker threads that verify, decode and write rfs v2 blocks (decode-worker.ts → block-write.ts), so a
// materialise uses every core: per 512 KiB block the two BLAKE2b checks, AES-GCM and snappy cost ≈ 1–3 ms
// of CPU, which on one thread made materialising ≈ 3× `tar -x` of the same tree (docs/PERFORMANCE.md,
// flist). One pool per process, started by the first large materialise and kept (a worker loads block.ts's
// WASM: ≈ 0.3 s of CPU, paid once — the flist driver is long-lived). Until a worker has loaded the
// materialiser decodes on its own thread, so the pool never makes a call slower; from then on its thread
// only fetches and hands blocks over (queued here while every worker has `depth` blocks): a thread that
// decodes cannot read its network responses or the workers' replies meanwhile, which starved both.
// Idle workers are unref'd: they never keep a process alive; after 30 s without a block they end, giving their
// memory back (≈ 30 MB each), and the next large flist starts a new pool. A pool that cannot start (no worker file, as in
// a bundled image process; no permission) stays off for the process, and everything runs on one thread.
// Blocks travel over a web MessageChannel handed to each worker, not node:worker_threads' own postMessage:
// under Deno that one copied a 512 KiB block through a slow path (≈ 50–80 ms a round trip here, more than
// decoding it), while a web MessagePort transfers the buffer (≈ 0.2–0.7 ms).
import { Worker } from "node:worker_threads";
import { BlockError } from "./block.ts";
import type { BlockTask } from "./block-write.ts";
import type { DecodeReply, DecodeRequest } from "./decode-worker.ts";

interface Job {
  t: BlockTask;
  data: Uint8Array;
  n: number;
}

interface Slot {
  worker: Worker;
  port: MessagePort;
  busy: number;
  ready: boolean;
}

/** A worker with blocks (or a waiter) keeps the process alive; an idle one never does: neither its thread
 * nor its port (Deno keeps a process alive for a port with a listener). */
function hold(s: Slot): void {
  s.worker.ref();
  (s.port as MessagePort & { ref?: () => void }).ref?.();
}

function letGo(s: Slot): void {
  s.worker.unref();
  (s.port as MessagePort & { unref?: () => void }).unref?.();
}

export class DecodePool {
  readonly #slots: Slot[] = [];
  readonly #waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #n = 0;
  #broken = false;
  /** blocks written by workers so far (tests, benchmarks) */
  workerBlocks = 0;
  #loaded = 0;
  #onLoaded: (() => void)[] = [];
  /** blocks waiting for a worker with room, oldest first */
  readonly #queue: Job[] = [];
  #depth = 2;
  readonly #idleMs: number;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;

  /** `idleMs`: the workers end after this long without a block (their memory, ≈ 30 MB each, is given back;
   * the next large flist starts a new pool) */
  constructor(size: number, idleMs = POOL_IDLE_MS) {
    this.#idleMs = idleMs;
    for (let i = 0; i < size; i++) {
      let worker: Worker;
      const { port1, port2 } = new MessageChannel();
      try {
        worker = new Worker(new URL("./decode-worker.ts", import.meta.url), { workerData: { port: port2 }, transferList: [port2 as never] });
      } catch {
        this.#broken = true;
        return;
      }
      const slot: Slot = { worker, port: port1, busy: 0, ready: false };
      port1.onmessage = ({ data: m }: MessageEvent<DecodeReply>) => {
        if (m.n < 0) {
          slot.ready = true;
          this.#dispatch();
          if (++this.#loaded === this.#slots.length) for (const f of this.#onLoaded.splice(0)) f();
          if (this.#queue.length === 0 && this.#slots.every((x) => x.busy === 0)) this.#idleSoon();
          return;
        }
        if (--slot.busy === 0) letGo(slot);
        this.#dispatch();
        if (this.#queue.length === 0 && this.#slots.every((x) => x.busy === 0)) this.#idleSoon();
        const w = this.#waiting.get(m.n);
        this.#waiting.delete(m.n);
        if (m.error) w?.reject(m.blockError ? new BlockError(m.error) : new Error(m.error));
        else {
          this.workerBlocks++;
          w?.resolve();
        }
      };
      letGo(slot); // after onmessage, which refs the port
      worker.on("error", (e: Error) => this.#fail(`flist decode worker failed: ${e.message}`));
      worker.on("exit", () => this.#fail("flist decode worker exited"));
      this.#slots.push(slot);
    }
  }

  /** Resolves true once every worker has loaded, false if the pool cannot run (benchmarks; callers never wait). */
  ready(): Promise<boolean> {
    if (this.#broken) return Promise.resolve(false);
    if (this.#slots.length && this.#loaded === this.#slots.length) return Promise.resolve(true);
    // a waiter keeps the process alive until the workers answer (idle workers are unref'd)
    for (const s of this.#slots) hold(s);
    return new Promise((resolve) => this.#onLoaded.push(() => {
      for (const s of this.#slots) if (s.busy === 0) letGo(s);
      resolve(!this.#broken);
    }));
  }

  #idleSoon(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#close(), this.#idleMs);
    (this.#idleTimer as { unref?: () => void }).unref?.();
  }

  /** Ends the workers (idle): this pool answers null from then on, and decodePool() makes a new one. */
  #close(): void {
    if (this.#slots.some((x) => x.busy > 0) || this.#queue.length > 0) return;
    this.#broken = true;
    if (shared === this) shared = null;
    for (const s of this.#slots) {
      s.worker.removeAllListeners("exit");
      s.worker.removeAllListeners("error");
      s.port.close();
      void s.worker.terminate();
    }
  }

  #fail(why: string): void {
    this.#broken = true;
    for (const f of this.#onLoaded.splice(0)) f();
    for (const w of this.#waiting.values()) w.reject(new Error(why));
    this.#waiting.clear();
    this.#queue.length = 0;
  }

  /** The loaded worker with the fewest blocks, if it has fewer than `depth`. */
  #free(depth: number): Slot | null {
    let best: Slot | null = null;
    for (const s of this.#slots) if (s.ready && s.busy < depth && (!best || s.busy < best.busy)) best = s;
    return best;
  }

  #send(slot: Slot, job: Job): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    if (slot.busy++ === 0) hold(slot);
    const buf = job.data.buffer as ArrayBuffer;
    const whole = job.data.byteOffset === 0 && job.data.byteLength === buf.byteLength;
    slot.port.postMessage({ ...job.t, data: job.data, n: job.n } satisfies DecodeRequest, whole ? [buf] : []);
  }

  /** A worker has room again: it takes the oldest queued block. */
  #dispatch(): void {
    while (this.#queue.length > 0) {
      const slot = this.#free(this.#depth);
      if (!slot) return;
      this.#send(slot, this.#queue.shift()!);
    }
  }

  /**
   * Runs `t` in a worker: a promise that settles when the block is written (or rejects with the reason),
   * queued while every worker already has `depth` blocks; null when no worker has loaded yet or the pool is
   * broken — then decode on the caller's thread. `data` is transferred when it owns its whole buffer (no
   * copy; unusable here afterwards), else copied.
   */
  run(t: BlockTask, data: Uint8Array, depth = 2): Promise<void> | null {
    if (this.#broken || this.#loaded === 0) return null;
    this.#depth = depth;
    const n = this.#n++;
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(n, { resolve, reject });
      const job = { t, data, n };
      const slot = this.#free(depth);
      if (slot) this.#send(slot, job);
      else this.#queue.push(job);
    });
  }
}

/** Workers end after this long without a block. */
export const POOL_IDLE_MS = 30_000;

let shared: DecodePool | null = null;

/** The process's pool (started at the first call, or the first after the last one went idle); `size` and
 * `idleMs` apply to the call that starts it. */
export function decodePool(size: number, idleMs?: number): DecodePool {
  shared ??= new DecodePool(size, idleMs);
  return shared;
}
