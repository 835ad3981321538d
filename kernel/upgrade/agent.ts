// The node's upgrade agent, run beside the kernel (startNode on a host, PID 1 in the image): every
// `intervalMs` and on demand (the farmer's `zos.admin.upgrade_check`), it asks the hub — through the flist
// driver, by a reference narrowed to that hub (fetch.ts) — which release the channel names, has the driver
// fetch and materialise it, copies and verifies the tree, refuses it if it widens authority without the farmer's approval
// of its hash, then replaces the processes one by one in start order and rolls back by itself when one is
// not ready within its health timeout or any falls over while the release settles. Only a release that
// held is written as active (state.ts), so the next boot runs it.
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Kernel } from "../kernel.ts";
import type { Manifest, ProcessSpec } from "../manifest.ts";
import { denoBinary } from "../sandbox.ts";
import { checkAuthority } from "./authority.ts";
import { describeExit, type ExitReport } from "../exit-report.ts";
import * as $ from "capnp-es";
import { Flist$Client } from "../../capabilities/schema/gen/flist.ts";
import { channelUrl, hubHostPort, installRelease, type ReleaseFlist } from "./fetch.ts";
import { RUNTIME_LINK, type VerifiedRelease, verifyRelease } from "./release.ts";
import {
  addApproval, ensureUpgradeDirs, readApprovals, readState, type ReleaseRef, type UpgradeState, writeState,
} from "./state.ts";

export interface UpgraderOptions {
  kernel: Kernel;
  stateDir: string;
  hubUrl: string;
  /** `<repo>/<name>.fl` on the hub, e.g. `tf-zos/zos-dev.fl` (Zero-OS follows the run mode's name in tf-zos) */
  channel: string;
  /** automatic checks (default 60 min, as Zero-OS; 0 = only on demand) */
  intervalMs?: number;
  /**
   * how long each new process may take to answer ready (default 60 s; never below its manifest's
   * healthTimeoutMs or the running one's): at boot the kernel restarts a slow starter until it gets there,
   * an upgrade rolls back instead, so it must not count a busy machine's slow start as a bad release
   */
  healthTimeoutMs?: number;
  /** a replaced set must stay up this long before the release counts as healthy (default 5 s) */
  settleMs?: number;
  /** the version of the installed release (the manifest root's package.json) when no release is active */
  installedVersion?: string;
  /** the flist driver's process name in the manifest (default "flist"): it fetches and decodes releases */
  flistProcess?: string;
}

export type CheckResult =
  | { result: "up-to-date"; version: string; hash: string | null }
  | { result: "upgraded"; version: string; hash: string; from: string; replaced: string[]; ms: number }
  | { result: "refused"; version: string; hash: string; reason: string; widening: string[] }
  | { result: "rolled-back"; version: string; hash: string } & UpgradeFailure
  | { result: "failed-before"; version: string; hash: string; reason: string }
  | { result: "error"; reason: string };

/** Why a release was rolled back: the process, in words, and how its run ended when it exited. */
export interface UpgradeFailure {
  process: string;
  reason: string;
  /** its exit (code or signal, ms it ran, its last stderr lines) when the process ended; absent when it still runs */
  exit?: { code: number | null; signal: string | null; ranMs: number; output: string[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Upgrader {
  readonly #o: UpgraderOptions;
  readonly #dir: string;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<CheckResult> | null = null;
  #stopped = false;
  #last: CheckResult | null = null;
  /** flist md5 → the tree digest it held: a refused release is not fetched again at every check */
  readonly #byMd5 = new Map<string, string>();

  constructor(o: UpgraderOptions) {
    this.#o = o;
    this.#dir = ensureUpgradeDirs(o.stateDir);
  }

  start(): void {
    const every = this.#o.intervalMs ?? 3_600_000;
    if (!every) return;
    const tick = () => {
      this.#timer = setTimeout(async () => {
        await this.check().catch(() => {});
        if (!this.#stopped) tick();
      }, every);
    };
    tick();
  }

  /** Ends the interval and waits for an upgrade in progress to finish (or roll back). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }

  status(): Record<string, unknown> {
    const s = readState(this.#o.stateDir);
    return {
      channel: this.#o.channel,
      version: s.active?.version ?? this.#o.installedVersion ?? "installed",
      active: s.active,
      previous: s.previous,
      failed: s.failed,
      approvals: readApprovals(this.#o.stateDir),
      upgrading: this.#running !== null,
      last: this.#last,
    };
  }

  /** Records the farmer's approval of a widening release (the api module calls this for `zos.admin.upgrade_approve`). */
  approve(hash: string, twin: number): void {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`release hash must be the 64 hex characters of its sha256 (zos.admin.upgrade_status shows it), got "${hash.slice(0, 80)}"`);
    addApproval(this.#o.stateDir, { hash, twin, at: new Date().toISOString() });
    this.#o.kernel.emit("upgrade-approved", { hash, twin });
  }

  /** One check (and upgrade); concurrent callers share the one in progress. */
  check(): Promise<CheckResult> {
    if (!this.#running) {
      this.#running = this.#check()
        .catch((e): CheckResult => ({ result: "error", reason: (e as Error).message }))
        .then((r) => {
          this.#last = r;
          if (r.result === "error") this.#o.kernel.emit("upgrade-error", { reason: r.reason });
          return r;
        })
        .finally(() => (this.#running = null));
    }
    return this.#running;
  }

  async #check(): Promise<CheckResult> {
    const k = this.#o.kernel;
    const state = readState(this.#o.stateDir);
    const url = channelUrl(this.#o.hubUrl, this.#o.channel);
    const runningVersion = state.active?.version ?? this.#o.installedVersion ?? "installed";
    // the flist driver's reference, narrowed to the hub, for this check only (the upgrade may replace the driver)
    const cap = await k.kernelGrant(this.#o.flistProcess ?? "flist", "flist", { hubs: [hubHostPort(this.#o.hubUrl)] });
    let installed;
    try {
      const flist = releaseFlist(cap);
      const md5 = await flist.md5(url);
      if (state.active?.md5 === md5) return { result: "up-to-date", version: runningVersion, hash: state.active.hash };
      const failed = state.failed.find((f) => f.md5 === md5);
      if (failed) return { result: "failed-before", version: failed.version, hash: failed.hash, reason: failed.reason };
      installed = this.#installedByMd5(md5) ?? await installRelease(flist, url, this.#dir);
      this.#byMd5.set(md5, installed.hash);
    } finally {
      cap.close();
    }
    const { release, hash, md5 } = installed;
    if (state.active?.hash === hash) return { result: "up-to-date", version: runningVersion, hash };
    const failed = state.failed.find((f) => f.hash === hash);
    if (failed) return { result: "failed-before", version: failed.version, hash, reason: failed.reason };
    linkRuntime(release.dir);
    const { version } = release.info;
    k.emit("upgrade-available", { hash, md5, version, from: runningVersion });
    const auth = checkAuthority(k.manifest, release.manifest);
    if (auth.structural) {
      k.emit("upgrade-refused", { hash, version, reason: auth.structural, widening: auth.widening });
      return { result: "refused", version, hash, reason: auth.structural, widening: auth.widening };
    }
    if (auth.widening.length && !readApprovals(this.#o.stateDir).some((a) => a.hash === hash)) {
      const reason = `release ${version} widens authority (${auth.widening.length} item(s): ${auth.widening.join("; ")}); ` +
        `the farmer approves it with zos.admin.upgrade_approve {"hash": "${hash}"}`;
      k.emit("upgrade-refused", { hash, version, reason, widening: auth.widening });
      return { result: "refused", version, hash, reason, widening: auth.widening };
    }
    return this.#apply(release, { hash, md5, version, dir: release.dir }, state, runningVersion);
  }

  async #apply(release: VerifiedRelease, ref: ReleaseRef, state: UpgradeState, from: string): Promise<CheckResult> {
    const k = this.#o.kernel;
    const t0 = performance.now();
    const old = k.manifest;
    const upgradeMs = this.#o.healthTimeoutMs ?? 60_000;
    // going back gets the same patience: a busy machine must not turn a rollback into a crash loop
    const oldSpecs = new Map(withHealthFloor(old, old, upgradeMs).processes.map((p) => [p.name, p]));
    const next = withHealthFloor(release.manifest, old, upgradeMs);
    const order = next.waves.flat();
    k.emit("upgrade-starting", { hash: ref.hash, version: ref.version, from, order });
    const replaced: string[] = [];
    /** when each new process answered ready (epoch ms): a later exit is that new process's */
    const readyAt = new Map<string, number>();
    let failure: UpgradeFailure | null = null;
    // Dependencies first (the manifest's start order: drivers before the modules that use them), so each new
    // process asks for its grants from providers already running the release's code.
    for (const name of order) {
      const spec = next.processes.find((p) => p.name === name)!;
      replaced.push(name);
      const ok = await k.replaceProcess(name, spec, next.root);
      readyAt.set(name, Date.now());
      k.emit("upgrade-replaced", { process: name, ok, pid: k.pid(name), version: ref.version });
      if (!ok) {
        const why = k.whyNotReady(name);
        failure = { process: name, reason: `${name} ${why?.reason ?? "did not get ready"}`, ...exitFields(why?.exit ?? null) };
        break;
      }
    }
    if (!failure) failure = await this.#settle(order, readyAt);
    if (failure) {
      k.emit("upgrade-rolling-back", { hash: ref.hash, version: ref.version, ...failure });
      for (const name of order.filter((n) => replaced.includes(n))) {
        const ok = await k.replaceProcess(name, oldSpecs.get(name)!, old.root);
        k.emit("upgrade-restored", { process: name, ok, pid: k.pid(name), version: from, ...(ok ? {} : { reason: `${name} ${k.whyNotReady(name)?.reason}` }) });
      }
      k.adoptManifest(old);
      writeState(this.#o.stateDir, {
        ...state,
        failed: [...state.failed, { hash: ref.hash, md5: ref.md5, version: ref.version, reason: failure.reason, at: new Date().toISOString() }],
      });
      k.emit("upgrade-rolled-back", { hash: ref.hash, version: ref.version, to: from, ...failure });
      return { result: "rolled-back", version: ref.version, hash: ref.hash, ...failure };
    }
    k.adoptManifest(next);
    writeState(this.#o.stateDir, { active: ref, previous: state.active, failed: state.failed });
    this.#prune([ref, state.active]);
    const ms = Math.round(performance.now() - t0);
    k.emit("upgrade-done", { hash: ref.hash, version: ref.version, from, replaced, ms });
    return { result: "upgraded", version: ref.version, hash: ref.hash, from, replaced, ms };
  }

  /** The copy of the release the flist `md5` held, when one is kept and still verifies. */
  #installedByMd5(md5: string): { release: VerifiedRelease; hash: string; md5: string } | null {
    const hash = this.#byMd5.get(md5);
    if (!hash) return null;
    try {
      return { release: verifyRelease(join(this.#dir, "releases", hash), hash), hash, md5 };
    } catch {
      return null;
    }
  }

  /** Drops downloaded flists and release trees other than the active and the previous one. */
  #prune(keep: (ReleaseRef | null)[]): void {
    const hashes = new Set(keep.filter((r): r is ReleaseRef => r !== null).map((r) => r.hash));
    const md5s = new Set(keep.filter((r): r is ReleaseRef => r !== null).map((r) => r.md5));
    for (const name of readdirSync(join(this.#dir, "releases"))) {
      if (!hashes.has(name)) rmSync(join(this.#dir, "releases", name), { recursive: true, force: true });
    }
    for (const name of readdirSync(join(this.#dir, "downloads"))) {
      if (!md5s.has(name.replace(/\.fl$/, ""))) rmSync(join(this.#dir, "downloads", name), { recursive: true, force: true });
    }
  }

  /**
   * Every replaced process stays ready for settleMs (a release that crashes after its first answer is bad too).
   * An exit of a process after its new one answered ready (`readyAt`) is that new process's, even one while
   * later processes were still being replaced.
   */
  async #settle(order: string[], readyAt: Map<string, number>): Promise<UpgradeFailure | null> {
    const k = this.#o.kernel;
    const pids = new Map(order.map((n) => [n, k.pid(n)]));
    const settleMs = this.#o.settleMs ?? 5000;
    const t0 = performance.now();
    while (performance.now() < t0 + settleMs) {
      await sleep(250);
      const states = k.states();
      for (const n of order) {
        // an on-demand process nobody used stays idle through an upgrade: its first use starts the new release
        if (states[n] === "idle" && pids.get(n) === undefined) continue;
        if (states[n] !== "ready" || k.pid(n) !== pids.get(n)) {
          const seen = `seen ${((performance.now() - t0) / 1000).toFixed(1)} s into the ${settleMs} ms the release must stay up`;
          // its latest exit since its new process answered ready (it may have crashed, and been restarted,
          // while later processes were being replaced)
          const last = await k.lastExit(n);
          const exit = last && last.at >= (readyAt.get(n) ?? Infinity) ? last : null;
          return { process: n, reason: `${n} fell over after it was replaced (${seen}): ${exit ? describeExit(exit) : `it is ${states[n]}`}`, ...exitFields(exit) };
        }
      }
    }
    return null;
  }

}

/** A kernel exit report as an UpgradeFailure's `exit` (events, upgrade_status). */
function exitFields(e: ExitReport | null): Pick<UpgradeFailure, "exit"> {
  return e ? { exit: { code: e.code, signal: e.signal, ranMs: e.ranMs, output: e.output } } : {};
}

/** The release's specs with the running ones' readiness timeouts (PID 1 raises them under TCG) and the upgrade's as a floor. */
function withHealthFloor(next: Manifest, running: Manifest, upgradeMs: number): Manifest {
  const floor = new Map(running.processes.map((p) => [p.name, p.healthTimeoutMs]));
  const processes: ProcessSpec[] = next.processes.map((p) => ({ ...p, healthTimeoutMs: Math.max(p.healthTimeoutMs, floor.get(p.name) ?? 0, upgradeMs) }));
  return { ...next, processes };
}

/** The Flist capability as the agent uses it (the calls the kernel makes on the driver's reference). */
function releaseFlist(cap: $.Client): ReleaseFlist {
  const c = new Flist$Client(cap);
  return {
    md5: async (url) => (await c.md5((p) => (p.url = url)).promise()).md5,
    prepare: async (url) => JSON.parse((await c.prepare((p) => (p.url = url)).promise()).json),
    release: async (hash) => void await c.release((p) => (p.hash = hash)).promise(),
  };
}

/** A release carries no runtime: drivers that start helpers find the node's at `${root}/node_modules/deno/deno`. */
export function linkRuntime(dir: string): void {
  const link = join(dir, RUNTIME_LINK);
  if (existsSync(link)) return;
  mkdirSync(dirname(link), { recursive: true, mode: 0o755 });
  symlinkSync(realpathSync(denoBinary()), link);
}
