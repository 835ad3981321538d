// The kernel's programmatic entry: `zos kernel run`, `zos dev` and the image's PID 1 call startKernel().
import { formatErrors, loadManifest, type Manifest } from "./manifest.ts";
import { Kernel, type KernelEvent, type KernelOptions } from "./kernel.ts";

export type { KernelEvent } from "./kernel.ts";
export type { Manifest, ManifestError, ProcessSpec, Grant } from "./manifest.ts";
export { loadManifest, formatErrors } from "./manifest.ts";
// PID 1 starts the live upgrade agent from the kernel bundle it booted (kernel/pid1/init.ts).
export { Upgrader } from "./upgrade/agent.ts";

export interface StartOptions {
  /** A manifest path or an already validated manifest. */
  manifest: string | Manifest;
  stateDir: string;
  onEvent?: (e: KernelEvent) => void;
  /** How long to wait for every process to be ready before returning anyway. */
  bootTimeoutMs?: number;
  maxInflight?: number;
  acquireTimeoutMs?: number;
  /** Extra `${name}` variables for the manifest's args and sandbox paths. */
  vars?: Record<string, string>;
  /** Deno transpile caches (default: shared per kernel uid, see kernel/README.md). */
  cacheDir?: string;
  /**
   * A floor for every process's readiness timeout (the manifest's healthTimeoutMs, default 10 s):
   * slow machines (PID 1 under QEMU TCG, where one Deno start costs 1-2 s) raise it so processes
   * are not killed and restarted while they are still starting. Never lowers a manifest's value.
   */
  minHealthTimeoutMs?: number;
  /** Tests only: see KernelOptions.alterCommandLine. */
  alterCommandLine?: KernelOptions["alterCommandLine"];
  /** How often RSS is measured against each process's memoryMb budget (default 10 s). */
  rssIntervalMs?: number;
  /** First starts in flight at once (default one per CPU; kernel/start-slots.ts). */
  startSlots?: number;
}

export interface KernelHandle {
  kernel: Kernel;
  /** Processes that were not ready when start-up returned (empty when all are). */
  notReady: string[];
  stop(deadlineMs?: number): Promise<void>;
}

export class ManifestInvalid extends Error {
  readonly errors: ReturnType<typeof formatErrors>;
  constructor(text: string) {
    super(text);
    this.name = "ManifestInvalid";
    this.errors = text;
  }
}

export async function startKernel(opts: StartOptions): Promise<KernelHandle> {
  let manifest: Manifest;
  if (typeof opts.manifest === "string") {
    const r = loadManifest(opts.manifest);
    if (!r.ok) throw new ManifestInvalid(formatErrors(r.errors, opts.manifest));
    manifest = r.manifest;
  } else manifest = opts.manifest;
  const floor = opts.minHealthTimeoutMs;
  if (floor !== undefined) {
    if (!Number.isInteger(floor) || floor < 1) throw new Error(`startKernel: minHealthTimeoutMs must be a positive integer (got ${floor})`);
    manifest = {
      ...manifest,
      processes: manifest.processes.map((p) => ({ ...p, healthTimeoutMs: Math.max(p.healthTimeoutMs, floor) })),
    };
  }
  const kernel = new Kernel({
    manifest,
    stateDir: opts.stateDir,
    onEvent: opts.onEvent,
    maxInflight: opts.maxInflight,
    acquireTimeoutMs: opts.acquireTimeoutMs,
    vars: opts.vars,
    cacheDir: opts.cacheDir,
    alterCommandLine: opts.alterCommandLine,
    rssIntervalMs: opts.rssIntervalMs,
    startSlots: opts.startSlots,
  });
  let notReady: string[];
  try {
    notReady = await kernel.start(opts.bootTimeoutMs ?? 30_000);
  } catch (err) {
    await kernel.stop(2000);
    throw err;
  }
  return { kernel, notReady, stop: (d?: number) => kernel.stop(d) };
}
