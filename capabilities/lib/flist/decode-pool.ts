// Worker threads that verify, decode and write rfs v2 blocks (decode-worker.ts → block-write.ts), so a
// materialise uses every core: per 512 KiB block the two BLAKE2b checks, AES-GCM and snappy cost ≈ 2–3 ms
// of CPU, which on one thread made materialising ≈ 3× `tar -x` of the same tree (docs/PERFORMANCE.md,
// flist). One pool per process, started by the first large materialise and kept (a worker loads block.ts's
// WASM: ≈ 0.3 s of CPU, paid once — the flist driver is long-lived); until it has loaded, and whenever its
// workers are all busy, the materialiser decodes on its own thread, so the pool never makes a call slower.
// Idle workers are unref'd: they never keep a process alive. A pool that cannot start (no worker file, as in
// a bundled image process; no permission) stays off for the process, and everything runs on one thread.
// Blocks travel over a web MessageChannel handed to each worker, not node:worker_threads' own postMessage:
// under Deno that one copied a 512 KiB block through a slow path (≈ 50–80 ms a round trip here, more than
// decoding it), while a web MessagePort transfers the buffer (≈ 0.2–0.7 ms).
import { Worker } from "node:worker_threads";
import { BlockError } from "./block.ts";
import type { BlockTask } from "./block-write.ts";
import type { DecodeReply, DecodeRequest } from "./decode-worker.ts";

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

  constructor(size: number) {
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
          if (++this.#loaded === this.#slots.length) for (const f of this.#onLoaded.splice(0)) f();
          return;
        }
        if (--slot.busy === 0) letGo(slot);
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

  #fail(why: string): void {
    this.#broken = true;
    for (const f of this.#onLoaded.splice(0)) f();
    for (const w of this.#waiting.values()) w.reject(new Error(why));
    this.#waiting.clear();
  }

  /** A loaded worker with fewer than `depth` blocks queued, or null (then decode on the caller's thread). */
  #free(depth: number): Slot | null {
    if (this.#broken) return null;
    let best: Slot | null = null;
    for (const s of this.#slots) if (s.ready && s.busy < depth && (!best || s.busy < best.busy)) best = s;
    return best;
  }

  /**
   * Runs `t` in a worker when one is loaded and not too busy: a promise that settles when the block is
   * written or rejects with the reason; null when no worker can take it now. `data` is transferred when it
   * owns its whole buffer (no copy; unusable here afterwards), else copied.
   */
  tryRun(t: BlockTask, data: Uint8Array, depth = 2): Promise<void> | null {
    const slot = this.#free(depth);
    if (!slot) return null;
    const n = this.#n++;
    if (slot.busy++ === 0) hold(slot);
    const buf = data.buffer as ArrayBuffer;
    const whole = data.byteOffset === 0 && data.byteLength === buf.byteLength;
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(n, { resolve, reject });
      slot.port.postMessage({ ...t, data, n } satisfies DecodeRequest, whole ? [buf] : []);
    });
  }
}

let shared: DecodePool | null = null;

/** The process's pool (started at the first call); `size` applies to that first call. */
export function decodePool(size: number): DecodePool {
  shared ??= new DecodePool(size);
  return shared;
}
