// The capability kernel: starts every process of a manifest in dependency order, serves each one its
// bootstrap Session, routes every granted reference through a membrane, restarts crashed processes with
// backoff (revoking what they held and served), and stops everything in reverse order.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { claimRunDir, sweepStaleRunDirs } from "./stale-run-dirs.ts";
import { type RssSample, RssWatch } from "./rss.ts";
import { defaultStartSlots, StartSlots } from "./start-slots.ts";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import type * as $ from "capnp-es";
import { ProcessControl, type ProcessControl$Client, Session$Server } from "../capabilities/schema/gen/kernel.ts";
import { connect, type Connection, disconnectedError, streamTransport } from "../capabilities/lib/rpc/mod.ts";
import { getCap, setCap } from "../capabilities/lib/rpc/captable.ts";
import { interfaceId } from "./interfaces.ts";
import { type Grant, KERNEL_EXPOSES, KERNEL_PROVIDER, type Manifest, type ProcessSpec } from "./manifest.ts";
import { ProcessMemory$Server } from "../capabilities/schema/gen/system.ts";
import { upgradeServer, type UpgradeService } from "./upgrade/serve.ts";
import { MembraneClient, Revoker, type GrantCounters } from "./membrane.ts";
import { launchPlan, type Identity, type LaunchPlan } from "./sandbox.ts";
import { chooseCodeCache } from "./code-cache.ts";
import { groupId } from "./linux.ts";
import { expectedFacts, readSandboxFacts, sandboxDifferences, type SandboxFacts } from "./sandbox-check.ts";
import { running, signal, trackExit } from "./child-signal.ts";
import { describeExit, type ExitReport, LAST_OUTPUT_LINES } from "./exit-report.ts";

export interface KernelEvent {
  /** Milliseconds since the kernel started. */
  t: number;
  event: string;
  process?: string;
  [k: string]: unknown;
}

export interface KernelOptions {
  manifest: Manifest;
  /** Persistent state (drivers' data via ${state}); also holds the runtime dir. */
  stateDir: string;
  onEvent?: (e: KernelEvent) => void;
  /** Calls a process may have in flight through the kernel before it is told `overloaded`. */
  maxInflight?: number;
  /** How long Session.get waits for a restarting provider. */
  acquireTimeoutMs?: number;
  /** Processes' private working dirs (default /run/zos-kernel-<hash of stateDir>, or in tmp); removed at stop. */
  runDir?: string;
  /** Deno transpile caches, one per uid, kept across runs (default /run/zos-kernel-cache-<uid>, or in tmp). */
  cacheDir?: string;
  /**
   * Fault injection for tests only: changes the command line actually started after the launch plan (what
   * /proc is checked against) is fixed, as a runtime rewriting it would.
   */
  alterCommandLine?: (process: string, command: string, args: string[]) => { command: string; args: string[] };
  /** Extra `${name}` variables for args and sandbox paths (e.g. the node's chain and relay URLs);
   * `state` and `root` always win. */
  vars?: Record<string, string>;
  /** How often each process's resident set is measured against its memoryMb budget (default 10 s; kernel/rss.ts). */
  rssIntervalMs?: number;
  /**
   * First starts in flight at once, spawn → first health answer (default: one per CPU; kernel/start-slots.ts).
   * Independent processes still start in parallel up to this many; restarts are not limited.
   */
  startSlots?: number;
}

/** "idle": an on-demand process nobody has used yet (or whose on-demand start failed; the next use tries again). */
type State = "pending" | "idle" | "starting" | "ready" | "backoff" | "stopping" | "stopped" | "failed";

interface HeldGrant {
  grant: Grant;
  inner: $.Client;
  revoker: Revoker;
  membrane: MembraneClient;
}

interface Proc {
  spec: ProcessSpec;
  index: number;
  state: State;
  identity: Identity | null;
  child: ChildProcess | null;
  conn: Connection | null;
  connClosed: boolean;
  control: ProcessControl$Client | null;
  generation: number;
  restarts: number;
  startedAt: number;
  readyWaiters: (() => void)[];
  held: Map<string, HeldGrant>;
  pendingAcquire: Map<string, Promise<MembraneClient>>;
  served: Set<{ revoker: Revoker; grantee: string; grant: string }>;
  exited: Promise<void>;
  restartTimer: ReturnType<typeof setTimeout> | null;
  /**
   * Starts killed for not answering health in time. Each one doubles the next start's health timeout (up to 8×):
   * on a machine under load a process that needs longer than its manifest says would otherwise be killed at
   * the same point of every start, forever (the fault suite saw the chain driver do that at load 30).
   */
  slowStarts: number;
  /** Resolves true once /proc matched the launch plan (this generation), false on a mismatch or exit. */
  verified: Promise<boolean>;
  settleVerified: (ok: boolean) => void;
  /** The facts read from /proc at verification. */
  sandbox: SandboxFacts | null;
  /** `${root}` for this process: the manifest's, or the release a live upgrade started it from. */
  root: string;
  /** An on-demand start in progress (shared by every caller that needs the process meanwhile). */
  demand: Promise<void> | null;
  /** This generation was started on demand and has not answered ready yet: an exit goes back to idle. */
  demanding: boolean;
  /** Why the last start never ran the process (a host that cannot give it its sandbox); a start whose process ran
   * and ended is told by its exit report (lastExit): one source for every "why not ready" (whyStartFailed). */
  spawnFailure: string | null;
  /** The image's read-only code cache folder this process runs with (its DENO_DIR), or null. */
  codeCache: string | null;
  /** The last lines this run wrote to stderr (a failed start's error message quotes them). */
  lastOutput: string[];
  /** Why the kernel is ending this run, when it is (health timeout, sandbox mismatch, lost connection). */
  killedBecause: string | null;
  /** How its last run ended, and when that run's stderr was read to its end. */
  lastExit: ExitReport | null;
  lastExitOutput: Promise<void>;
  /** Why the last replaceProcess did not get it ready (whyNotReady). */
  notReady: { reason: string; exit: ExitReport | null } | null;
}

/** Lines of a process's stderr forwarded as events per second; more are counted, not forwarded. */
export const OUTPUT_LINES_PER_S = 500;

/** The run dir a kernel with this state dir uses unless told otherwise. */
export function defaultRunDir(stateDir: string): string {
  const hash = createHash("sha256").update(resolve(stateDir)).digest("hex").slice(0, 12);
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  return join(existsSync("/run") && isRoot ? "/run" : tmpdir(), `zos-kernel-${hash}`);
}

/** Where kernels of this user keep Deno's transpile caches (shared by runs, so boots after the first are warm). */
export function defaultCacheDir(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return join(existsSync("/run") && uid === 0 ? "/run" : tmpdir(), `zos-kernel-cache-${uid}`);
}

/** Creates `dir` (mode `mode`) and refuses one in a shared place that someone else owns or that is a symlink. */
function ownDir(dir: string, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  const st = lstatSync(dir);
  if (!st.isDirectory() || (typeof process.getuid === "function" && st.uid !== process.getuid())) {
    throw new Error(`${dir} is not a directory owned by this user; remove it or choose another place`);
  }
  chmodSync(dir, mode);
}

/**
 * chown -R of what is not yet theirs, without following symlinks (a planted link must not hand over a file
 * elsewhere) and without crossing into another filesystem: what a driver mounted in its folder (the
 * blockdev driver's pools) holds other owners' data and is not the kernel's to hand over.
 */
function chownTree(path: string, uid: number, gid: number, keepGroups: readonly number[], dev?: number): void {
  const st = lstatSync(path);
  // A mount point inside (pools, the netlink driver's namespace pins) is not a file to hand over.
  if (dev !== undefined && st.dev !== dev) return;
  // A file the driver gave to one of its own groups (flist roots to `vm`) keeps that group.
  const group = keepGroups.includes(st.gid) ? st.gid : gid;
  if (st.uid !== uid || st.gid !== group) lchownSync(path, uid, group);
  if (st.isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid, keepGroups, st.dev);
}

/**
 * Drivers under their own uids reach `${state}/<name>` only if every directory above it can be traversed
 * (x, not r: nobody can list them). The state dir is the kernel's, and so are temp dirs its caller made for
 * it (tests): both are made traversable, and named in the returned list. Any other ancestor that is not is
 * the caller's to fix; the error says how.
 */
function openStateDirForDrivers(stateDir: string): string[] {
  const opened: string[] = [];
  const tmp = resolve(tmpdir());
  for (let d = stateDir; ; d = dirname(d)) {
    const st = lstatSync(d);
    if (!(st.mode & 0o001)) {
      const ours = st.uid === process.getuid?.() && (d === stateDir || d.startsWith(tmp + "/"));
      if (!ours) {
        throw new Error(`drivers run under their own uids and cannot reach the state dir ${stateDir}: ${d} is not searchable by others (chmod o+x ${d}, or choose a state dir elsewhere)`);
      }
      chmodSync(d, (st.mode & 0o7777) | 0o011);
      opened.push(d);
    }
    if (dirname(d) === d) break;
  }
  return opened;
}

export class Kernel {
  /** The running manifest (a live upgrade swaps it: adoptManifest). */
  manifest: Manifest;
  private readonly opts: KernelOptions;
  private readonly procs = new Map<string, Proc>();
  private readonly counters = new Map<string, GrantCounters>();
  private readonly t0 = performance.now();
  private stopping = false;
  private readonly runDir: string;
  private readonly denoDir: string;
  private readonly isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  private readonly rss: RssWatch;
  private readonly slots: StartSlots;
  /** ${bootid}: this start of the kernel (a boot); a caller's `bootid` var wins */
  private readonly bootId = randomUUID();
  /** What the kernel serves as "upgrade": the upgrade agent its host runs beside it (kernel/upgrade/), if any. */
  upgrade: UpgradeService | null = null;

  constructor(opts: KernelOptions) {
    this.opts = opts;
    this.slots = new StartSlots(opts.startSlots ?? defaultStartSlots());
    this.manifest = opts.manifest;
    // Per-process working dirs and the caches of processes with their own uid live in a run dir every uid
    // can traverse (the state dir's ancestors may not be): /run/zos-kernel-<hash> when it exists, else tmp.
    this.runDir = opts.runDir ?? defaultRunDir(opts.stateDir);
    this.denoDir = opts.cacheDir ?? defaultCacheDir();
    this.rss = new RssWatch({
      intervalMs: opts.rssIntervalMs,
      emit: (event, fields) => this.emit(event, fields),
      list: () => [...this.procs.values()].filter((p) => running(p.child))
        .map((p) => ({ process: p.spec.name, pid: p.child!.pid!, budgetMb: p.spec.memoryMb })),
    });
    opts.manifest.processes.forEach((spec, index) => {
      this.procs.set(spec.name, {
        spec, index, state: "pending", identity: null, child: null, conn: null, connClosed: false, control: null, generation: 0,
        restarts: 0, startedAt: 0, readyWaiters: [], held: new Map(), pendingAcquire: new Map(), served: new Set(),
        exited: Promise.resolve(), restartTimer: null, slowStarts: 0, verified: Promise.resolve(false), settleVerified: () => {}, sandbox: null,
        root: opts.manifest.root, demand: null, demanding: false, spawnFailure: null, codeCache: null, lastOutput: [],
        killedBecause: null, lastExit: null, lastExitOutput: Promise.resolve(), notReady: null,
      });
      for (const g of spec.grants) this.counters.set(`${spec.name}.${g.name}`, { calls: 0, errors: 0, inflight: 0, overloaded: 0 });
    });
  }

  emit(event: string, fields: Record<string, unknown> = {}): void {
    const e: KernelEvent = { t: Math.round((performance.now() - this.t0) * 10) / 10, event, ...fields };
    try {
      this.opts.onEvent?.(e);
    } catch { /* an observer must not break the kernel */ }
  }

  /** Where processes' working dirs and caches live (tests remove it after stopping). */
  get runDirectory(): string {
    return this.runDir;
  }

  /** Per-grant call counters, keyed "grantee.grantName". */
  callCounts(): Record<string, GrantCounters> {
    return Object.fromEntries([...this.counters].map(([k, v]) => [k, { ...v }]));
  }

  states(): Record<string, string> {
    return Object.fromEntries([...this.procs].map(([k, p]) => [k, p.state]));
  }

  /** Resident set of every running process now, with its memoryMb budget (MiB). */
  memory(): RssSample[] {
    return this.rss.sample();
  }

  pid(name: string): number | undefined {
    return this.procs.get(name)?.child?.pid;
  }

  /** How `name`'s last run ended (exit code or signal, its last stderr lines), once its output was read. */
  async lastExit(name: string): Promise<ExitReport | null> {
    const p = this.procs.get(name);
    const exit = p?.lastExit;
    if (!p || !exit) return null;
    // stderr can still hold its last lines after the exit is seen; a grandchild holding it open must not stall us
    await Promise.race([p.lastExitOutput, new Promise((r) => setTimeout(r, 1000))]);
    return { ...exit, output: [...exit.output] };
  }

  /**
   * Why the last `replaceProcess(name)` did not get the new process ready, in words without a subject
   * ("exited with code 3 after 2.9 s, before it answered ready; its last output: …"), and that run's exit:
   * what the kernel saw, not a guess from a timeout. Null when it got ready.
   */
  whyNotReady(name: string): { reason: string; exit: ExitReport | null } | null {
    const w = this.procs.get(name)?.notReady;
    return w ? { reason: w.reason, exit: w.exit && { ...w.exit, output: [...w.exit.output] } } : null;
  }

  /** Starts everything; resolves when every process is ready or `timeoutMs` passed (returns the laggards). */
  async start(timeoutMs = 30_000): Promise<string[]> {
    mkdirSync(this.opts.stateDir, { recursive: true, mode: 0o700 });
    const usesState = this.manifest.processes.some((p) => JSON.stringify([p.args, p.sandbox]).includes("${state}"));
    if (this.isRoot && usesState) {
      const opened = openStateDirForDrivers(resolve(this.opts.stateDir));
      if (opened.length) this.emit("state-dir-traversable", { dirs: opened });
    }
    // Both live in shared places (/run or tmp): refuse ones we do not own (or symlinks planted there).
    ownDir(this.runDir, 0o711);
    ownDir(this.denoDir, 0o711);
    claimRunDir(this.runDir);
    const swept = sweepStaleRunDirs(this.runDir);
    if (swept.length) this.emit("swept-stale-run-dirs", { dirs: swept });
    const onDemand = this.manifest.processes.filter((p) => p.start === "on-demand").map((p) => p.name);
    this.emit("kernel-starting", { processes: this.manifest.processes.length, waves: this.manifest.waves, root: this.isRoot, startSlots: this.opts.startSlots ?? defaultStartSlots(), onDemand });
    this.rss.start();
    for (const name of onDemand) {
      const p = this.procs.get(name)!;
      p.state = "idle";
      // Its state dir is its own from boot on, as a boot driver's: others hand it things before its first use
      // (the storage module gives a zdb workload's volume to the owner of ${state}/zdb, then the 0-db starts).
      // Only the folder itself: its first launch hands over the contents (ownStateDir), as every launch does.
      try {
        this.claimStateDir(p);
      } catch { /* its launch reports the same error, with the process's name */ }
      this.emit("idle", { process: name, start: "on-demand" });
    }
    const all = [...this.procs.values()].filter((p) => p.spec.start === "boot").map(async (p) => {
      const bootDeps = this.bootDepends(p);
      await Promise.all(bootDeps.map((d) => this.whenSettled(d)));
      if (this.stopping) return;
      const missing = bootDeps.filter((d) => this.procs.get(d)!.state !== "ready");
      if (missing.length) {
        // A dependency gave up (restart policy exhausted): this process would only fail to get its grants.
        this.emit("blocked", { process: p.spec.name, waitingFor: missing });
        return;
      }
      // A slot per first start, held through its CPU-bound part: until its first health answer (the runtime
      // is up and its top-level code ran), or until it gave up. Waiting to be ready (pools, the chain) is I/O
      // and holds no slot.
      const release = await this.slots.acquire();
      try {
        if (!this.stopping) await this.launch(p, release);
      } finally {
        release();
      }
      await this.whenSettled(p.spec.name);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(all), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    // An on-demand process nobody used yet is not late: it is meant to be idle.
    const notReady = [...this.procs.values()].filter((p) => p.state !== "ready" && p.state !== "idle").map((p) => p.spec.name);
    this.emit("kernel-ready", { ms: Math.round(performance.now() - this.t0), notReady });
    return notReady;
  }

  /** The processes `p` waits for before it starts: its dependencies that start at boot (on-demand ones start at first use). */
  private bootDepends(p: Proc): string[] {
    return p.spec.depends.filter((d) => this.procs.get(d)?.spec.start === "boot");
  }

  /**
   * The first use of a grant to an on-demand process starts it; the call is held until it is ready (a no-op for
   * a process that starts at boot or already runs). `what` names the grant in the error.
   */
  private async startedForUse(provider: Proc, by: string, grant: string, what: string): Promise<void> {
    if (provider.state !== "idle" && !provider.demand) return;
    try {
      await this.startOnDemand(provider, by, grant);
    } catch (err) {
      throw new Error(`"${provider.spec.name}" (provider of ${what}, started on demand) did not start: ${(err as Error).message}`);
    }
  }

  /**
   * Starts an idle on-demand process for its first use and resolves once it answered ready; rejects with why
   * it did not (it then goes back to idle, so the next use tries again, until its restart policy is spent).
   * Concurrent users share one start. Its boot dependencies are waited for as at boot.
   */
  private startOnDemand(p: Proc, by: string, grant: string): Promise<void> {
    if (p.state === "ready") return Promise.resolve();
    if (p.demand) return p.demand;
    const run = async () => {
      const deps = this.bootDepends(p);
      await Promise.all(deps.map((d) => this.whenSettled(d)));
      const missing = deps.filter((d) => this.procs.get(d)!.state !== "ready");
      if (missing.length) throw new Error(`it needs ${missing.join(", ")}, which failed`);
      if (this.stopping) throw new Error("the kernel is stopping");
      if (p.state !== "idle") return; // started meanwhile (a live upgrade) or failed for good: the caller re-checks
      this.emit("starting-on-demand", { process: p.spec.name, by, grant });
      p.demanding = true;
      const release = await this.slots.acquire();
      try {
        await this.launch(p, release);
      } finally {
        release();
      }
      // Not ready: wait for its exit to be handled (back to idle, or failed) before saying why.
      const generation = p.generation;
      if ((p.state as State) !== "ready" && p.child) await p.exited;
      if ((p.state as State) !== "ready") throw new Error(await this.whyStartFailed(p, generation));
    };
    p.demand = run().finally(() => (p.demand = null));
    return p.demand;
  }

  /** Resolves when `name` is ready, or has failed for good (callers check the state). */
  private whenSettled(name: string): Promise<void> {
    const p = this.procs.get(name)!;
    if (p.state === "ready" || p.state === "failed") return Promise.resolve();
    return new Promise((r) => p.readyWaiters.push(r));
  }

  /** Null when the kernel is not root: every process then runs as the kernel's user, with no capabilities. */
  private identityFor(p: Proc): Identity | null {
    if (!this.isRoot) return null;
    const id = this.manifest.uidBase + p.index;
    const groups: number[] = [];
    for (const name of p.spec.linux.groups) {
      const gid = groupId(name);
      if (gid === null) throw new Error(`process "${p.spec.name}": linux.groups names "${name}", which is not in the kernel's group table (capabilities/lib/linux-groups.ts)`);
      groups.push(gid);
    }
    return { uid: id, gid: id, groups, capabilities: [...p.spec.linux.capabilities] };
  }

  /**
   * A driver's own state dir, `${state}/<name>`: mode 0700, owned by its uid (files a previous run or the
   * kernel's caller left there are handed over too), so no other process can read it.
   */
  private ownStateDir(p: Proc): void {
    if (p.spec.kind !== "driver") return;
    const dir = join(resolve(this.opts.stateDir), p.spec.name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) throw new Error(`${dir} (state of ${p.spec.name}) is not a directory; move it away`);
    chmodSync(dir, 0o700);
    // Files the kernel's caller wrote since (the dev faucet) are handed over too, at every start; files the
    // driver gave to one of its groups (flist roots to `vm`) keep that group.
    if (p.identity) chownTree(dir, p.identity.uid, p.identity.gid, p.identity.groups);
  }

  /** An idle on-demand driver's `${state}/<name>` made and owned by its uid now (the folder, not what it holds). */
  private claimStateDir(p: Proc): void {
    if (p.spec.kind !== "driver") return;
    const identity = this.identityFor(p);
    const dir = join(resolve(this.opts.stateDir), p.spec.name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!lstatSync(dir).isDirectory()) return;
    chmodSync(dir, 0o700);
    if (identity) chownSync(dir, identity.uid, identity.gid);
  }

  private async launch(p: Proc, onAnswered?: () => void): Promise<void> {
    if (this.stopping) return;
    const spec = p.spec;
    p.state = "starting";
    p.generation++;
    p.spawnFailure = null;
    let plan: LaunchPlan;
    try {
      p.identity = this.identityFor(p);
      this.ownStateDir(p);
      const cwd = join(this.runDir, spec.name);
      rmSync(cwd, { recursive: true, force: true });
      mkdirSync(cwd, { recursive: true, mode: 0o700 });
      if (p.identity) chownSync(cwd, p.identity.uid, p.identity.gid);
      const vars = { bootid: this.bootId, ...(this.opts.vars ?? {}), state: resolve(this.opts.stateDir), root: p.root };
      // The image's read-only V8 code cache of this process when it carries one nobody but root can change
      // (kernel/code-cache.ts); else Deno's caches are SQLite databases it must write: each uid gets its own
      // so no process can write into a cache another uid reads.
      const cache = chooseCodeCache(p.root, spec.name, p.identity?.uid ?? null);
      if (cache.kind === "refused") this.emit("code-cache-refused", { process: spec.name, dir: cache.dir, reason: cache.reason });
      let denoDir: string;
      if (cache.kind === "image") denoDir = cache.dir;
      else {
        const uid = p.identity?.uid ?? (typeof process.getuid === "function" ? process.getuid() : 0);
        denoDir = join(this.denoDir, String(uid));
        mkdirSync(denoDir, { recursive: true, mode: 0o700 });
        if (p.identity) {
          const st = lstatSync(denoDir);
          if (!st.isDirectory()) throw new Error(`${denoDir} is not a directory`);
          chownSync(denoDir, p.identity.uid, p.identity.gid);
        }
      }
      p.codeCache = cache.kind === "image" ? cache.dir : null;
      plan = launchPlan(spec, { vars, cwd, identity: p.identity, denoDir });
    } catch (err) {
      // A host that cannot give the process what its manifest says: it does not start at all.
      p.state = "failed";
      p.demanding = false;
      p.spawnFailure = (err as Error).message;
      this.emit("failed", { process: spec.name, restarts: p.restarts, reason: (err as Error).message });
      for (const w of p.readyWaiters.splice(0)) w();
      return;
    }
    const started = performance.now();
    const actual = this.opts.alterCommandLine?.(spec.name, plan.command, [...plan.args]) ?? { command: plan.command, args: plan.args };
    p.sandbox = null;
    p.verified = new Promise((r) => (p.settleVerified = r));
    const child = spawn(actual.command, actual.args, {
      cwd: plan.cwd,
      env: plan.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    trackExit(child);
    p.child = child;
    p.startedAt = Date.now();
    const generation = p.generation;
    let exitResolve!: () => void;
    p.exited = new Promise((r) => (exitResolve = r));
    const output: string[] = [];
    p.lastOutput = output;
    p.killedBecause = null;
    let answeredReady = false;
    const outputRead = this.forwardStderr(p, child, output);
    child.stdin!.on("error", () => {}); // EPIPE after the child died: the connection reports it
    const conn = connect(streamTransport(child.stdout!, child.stdin!), {
      bootstrap: this.sessionFor(p),
      name: spec.name,
      maxIncomingCalls: this.opts.maxInflight ?? 256,
    });
    p.conn = conn;
    p.connClosed = false;
    p.control = conn.bootstrap(ProcessControl);
    conn.closed.then(async (err) => {
      p.connClosed = true;
      const protocol = !!err && /protocol error|peer aborted/.test(err.message);
      // End of stream usually means the process is exiting: give its exit a moment to be seen first.
      if (!protocol) await new Promise((r) => setTimeout(r, 200));
      if (!running(child) || this.stopping || p.state === "stopping") return;
      // A process that lost its connection (protocol violation, or it closed its end) can do nothing useful
      // and could be holding resources: end it; the exit handler revokes and restarts as for a crash.
      const reason = err?.message ?? "connection closed";
      if (p.generation === generation) p.killedBecause = `lost its connection to the kernel (${reason})`;
      // Only protocol violations (malformed or oversized frames, forged references) end up here as
      // `protocol-error`; overload never does: excess calls are answered `overloaded`.
      this.emit(protocol ? "protocol-error" : "disconnected", { process: spec.name, reason, ...(protocol ? { violation: reason.replace(/^.*protocol error: /, "") } : {}) });
      try {
        signal(child, "SIGKILL");
      } catch { /* gone */ }
    });
    child.on("error", (err) => this.emit("spawn-error", { process: spec.name, error: err.message }));
    child.on("exit", (code, signal) => {
      const current = p.generation === generation;
      p.lastExit = {
        process: spec.name, pid: child.pid, generation, code, signal, ranMs: Math.round(performance.now() - started), at: Date.now(), wasReady: answeredReady,
        // the kernel's reason to kill it counts only if the kill ended it: one that exited with a code on its own
        // first (its end of the connection closed just before its exit was seen) ended by itself
        killedBecause: current && signal ? p.killedBecause : null, output,
      };
      p.lastExitOutput = outputRead;
      p.settleVerified(false);
      exitResolve();
      conn.close();
      if (p.generation === generation) this.onExit(p, code, signal);
    });
    // Readiness is a health call, polled until it says ready (a sleep would be a guess). The first answer
    // proves the process is Deno running its entry: then /proc is checked against the plan, before the
    // process is announced as spawned or given anything through its Session.
    const healthMs = spec.healthTimeoutMs * 2 ** Math.min(p.slowStarts, 3);
    const deadline = performance.now() + healthMs;
    const alive = () => !this.stopping && p.generation === generation && !p.connClosed;
    while (alive()) {
      const left = deadline - performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ready = await Promise.race([
        p.control.health().promise().then((r) => (r.ready ? "ready" : "answered"), () => "error"),
        new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), Math.max(0, left)))),
      ]);
      clearTimeout(timer);
      if ((ready === "ready" || ready === "answered") && !p.sandbox && alive()) {
        if (!this.verify(p, plan, child.pid!, generation)) return;
        onAnswered?.();
      }
      if (ready === "ready") break;
      if (performance.now() > deadline) {
        if (alive()) {
          this.emit("unhealthy", { process: spec.name, afterMs: healthMs });
          p.killedBecause = `did not answer ready within ${healthMs} ms (healthTimeoutMs)`;
          p.slowStarts++;
          signal(child, "SIGKILL");
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!alive()) return;
    p.state = "ready";
    answeredReady = true;
    p.demanding = false;
    this.emit(generation > 1 ? "restarted" : "ready", { process: spec.name, ms: Math.round((performance.now() - started) * 10) / 10, generation, pid: child.pid, sandbox: p.sandbox });
    for (const w of p.readyWaiters.splice(0)) w();
  }

  /**
   * Compares /proc with the plan. On a difference the process is killed and left failed (a restart would
   * start it the same way), `sandbox-mismatch` names each difference, and its Session serves nothing.
   */
  private verify(p: Proc, plan: LaunchPlan, pid: number, generation: number): boolean {
    let differences: string[];
    let facts: SandboxFacts | null = null;
    try {
      facts = readSandboxFacts(pid);
      differences = sandboxDifferences(expectedFacts(plan), facts);
    } catch (err) {
      differences = [`cannot read /proc/${pid}: ${(err as Error).message}`];
    }
    if (!differences.length && facts) {
      p.sandbox = facts;
      this.emit("spawned", { process: p.spec.name, pid, generation, uid: facts.uid, argv: facts.argv, sandbox: facts, codeCache: p.codeCache });
      p.settleVerified(true);
      return true;
    }
    p.settleVerified(false);
    p.state = "failed";
    p.demanding = false;
    if (p.generation === generation) p.killedBecause = `did not run in the sandbox its launch plan says: ${differences.join("; ")}`;
    this.emit("sandbox-mismatch", { process: p.spec.name, pid, generation, differences, ...(facts ? { sandbox: facts } : {}) });
    this.emit("failed", { process: p.spec.name, restarts: p.restarts, reason: `sandbox mismatch: ${differences.join("; ")}` });
    try {
      signal(p.child, "SIGKILL");
    } catch { /* gone */ }
    for (const w of p.readyWaiters.splice(0)) w();
    return false;
  }

  /** Forwards `child`'s stderr lines as events and keeps its last lines in `last`; resolves when stderr ends. */
  private forwardStderr(p: Proc, child: ChildProcess, last: string[]): Promise<void> {
    let buf = "";
    // A process may print, but not drown the kernel's event stream: at most OUTPUT_LINES_PER_S lines per
    // second are forwarded; the rest are counted and reported once per second.
    let windowStart = Date.now();
    let inWindow = 0;
    let dropped = 0;
    const report = () => {
      if (dropped) this.emit("output-dropped", { process: p.spec.name, lines: dropped });
      dropped = 0;
    };
    const forward = (line: string) => {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        report();
        windowStart = now;
        inWindow = 0;
      }
      last.push(line.slice(0, 300));
      if (last.length > LAST_OUTPUT_LINES) last.shift();
      if (++inWindow <= OUTPUT_LINES_PER_S) this.emit("output", { process: p.spec.name, line });
      else if (dropped++ === 0) setTimeout(report, Math.max(0, 1000 - (now - windowStart)));
    };
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line) forward(line.slice(0, 8192));
      }
      if (buf.length > 65536) {
        forward(buf.slice(0, 8192) + "… (truncated)");
        buf = "";
      }
    });
    return new Promise((resolve) => {
      child.stderr!.on("end", () => {
        report();
        resolve();
      });
      child.stderr!.on("close", () => resolve());
    });
  }

  private onExit(p: Proc, code: number | null, signal: string | null): void {
    if (p.state === "failed") {
      // Killed for a sandbox mismatch: revoke what it held, never restart it.
      this.revokeAll(p, `${p.spec.name} failed its sandbox check`);
      p.child = null;
      p.conn = null;
      p.control = null;
      return;
    }
    const wasStopping = this.stopping || p.state === "stopping";
    this.revokeAll(p, wasStopping ? `${p.spec.name} stopped` : `${p.spec.name} crashed`);
    p.child = null;
    p.conn = null;
    p.control = null;
    if (wasStopping) {
      p.state = "stopped";
      this.emit("stopped", { process: p.spec.name, code, signal });
      return;
    }
    this.emit("crashed", { process: p.spec.name, code, signal, generation: p.generation });
    const policy = p.spec.restart;
    if (p.demanding) {
      // Its on-demand start failed: the caller waiting for it gets why; the process goes back to idle and the
      // next use starts it again (no restart loop for a process nobody is using), until the policy is spent.
      p.demanding = false;
      p.restarts++;
      if (p.restarts > policy.maxRestarts) {
        p.state = "failed";
        this.emit("failed", { process: p.spec.name, restarts: p.restarts, reason: `started on demand ${p.restarts} times in a row without getting ready; restart.maxRestarts is ${policy.maxRestarts}` });
      } else {
        p.state = "idle";
        this.emit("on-demand-failed", { process: p.spec.name, attempt: p.restarts, reason: p.lastExit ? describeExit(p.lastExit) : `it exited (${signal ?? `code ${code}`})` });
      }
      for (const w of p.readyWaiters.splice(0)) w();
      return;
    }
    if (Date.now() - p.startedAt > policy.resetAfterMs) p.restarts = 0;
    if (p.restarts >= policy.maxRestarts) {
      p.state = "failed";
      this.emit("failed", { process: p.spec.name, restarts: p.restarts, reason: `crashed ${p.restarts + 1} times in a row; restart.maxRestarts is ${policy.maxRestarts}` });
      for (const w of p.readyWaiters.splice(0)) w();
      return;
    }
    const delayMs = Math.min(policy.backoffMs * 2 ** p.restarts, policy.maxBackoffMs);
    p.restarts++;
    p.state = "backoff";
    this.emit("restarting", { process: p.spec.name, delayMs, attempt: p.restarts });
    p.restartTimer = setTimeout(() => {
      p.restartTimer = null;
      this.launch(p).catch((err) => this.emit("spawn-error", { process: p.spec.name, error: String(err) }));
    }, delayMs);
  }

  /** Revokes every reference `p` served to others and every reference it held. */
  private revokeAll(p: Proc, reason: string): void {
    for (const s of p.served) {
      if (!s.revoker.revoked) {
        s.revoker.revoke(reason);
        this.emit("revoked", { process: s.grantee, grant: s.grant, provider: p.spec.name, reason });
      }
    }
    p.served.clear();
    for (const [name, h] of p.held) {
      if (!h.revoker.revoked) {
        h.revoker.revoke(reason);
        this.emit("revoked", { process: p.spec.name, grant: name, provider: h.grant.from, reason });
      }
      h.inner.close();
    }
    p.held.clear();
    p.pendingAcquire.clear();
  }

  /** The bootstrap Session a process gets: exactly its grants, nothing else. */
  private sessionFor(p: Proc): Session$Server {
    return new Session$Server({
      get: async (params, results) => {
        const name = params.name;
        // Nothing is handed out before /proc confirmed the process runs as planned.
        if (!(await p.verified)) throw new Error(`denied: process "${p.spec.name}" is not running in its verified sandbox`);
        const grant = p.spec.grants.find((g) => g.name === name);
        if (!grant) {
          const granted = p.spec.grants.map((g) => g.name);
          throw new Error(`denied: process "${p.spec.name}" has no grant named "${name.slice(0, 64)}" (granted: ${granted.length ? granted.join(", ") : "nothing"})`);
        }
        setCap(results.cap, await this.acquire(p, grant));
      },
      list: (_params, results) => {
        const l = results._initNames(p.spec.grants.length);
        p.spec.grants.forEach((g, i) => l.set(i, g.name));
        return Promise.resolve();
      },
    });
  }

  /**
   * For the embedding host (tests, dev tools): the reference process `name` gets for its grant `grant`,
   * through the same membrane and counters. Fails like Session.get does for anything not granted.
   */
  grantFor(name: string, grant: string): Promise<$.Client> {
    const p = this.procs.get(name);
    if (!p) return Promise.reject(new Error(`denied: no process named "${name}"`));
    const g = p.spec.grants.find((x) => x.name === grant);
    if (!g) return Promise.reject(new Error(`denied: process "${name}" has no grant named "${grant}"`));
    return this.acquire(p, g);
  }

  /**
   * A reference the kernel itself holds (grantee "kernel") on `from`'s `cap`, narrowed by `restrictions`:
   * its live upgrade agent's flist grant (kernel/upgrade/fetch.ts), so the kernel never fetches nor decodes
   * anything itself. Through a membrane like any grant, revoked when the provider ends; the caller closes it.
   */
  async kernelGrant(from: string, cap: string, restrictions: Record<string, unknown>): Promise<$.Client> {
    const provider = this.procs.get(from);
    const iface = provider?.spec.exposes[cap]?.interface;
    if (!provider || !iface) throw new Error(`denied: no process "${from}" exposing "${cap}" in the running manifest`);
    // The kernel's own use starts an on-demand provider like any holder's first use does.
    await this.startedForUse(provider, KERNEL_PROVIDER, cap, `the kernel's ${cap}`);
    if (provider.state !== "ready" || !provider.control) throw disconnectedError(`"${from}" (provider of the kernel's ${cap}) is ${provider.state}`);
    const res = await provider.control.provide((q) => {
      q.name = cap;
      q.restrictions = JSON.stringify(restrictions);
      q.grantee = KERNEL_PROVIDER;
    }).promise();
    const revoker = new Revoker();
    provider.served.add({ revoker, grantee: KERNEL_PROVIDER, grant: cap });
    const key = `${KERNEL_PROVIDER}.${from}.${cap}`;
    this.ensureCounter(key);
    this.emit("granted", { process: KERNEL_PROVIDER, grant: cap, provider: from, cap, restrictions });
    return new MembraneClient(getCap(res.cap), {
      label: `the kernel's ${cap} (${from}.${cap})`, revoker, counters: this.counters.get(key)!,
      interfaceId: interfaceId(iface), interfaceName: iface, ownsInner: true,
    });
  }

  private acquire(p: Proc, grant: Grant): Promise<MembraneClient> {
    const held = p.held.get(grant.name);
    if (held && !held.revoker.revoked) {
      if (!held.membrane.isReleased) return Promise.resolve(held.membrane);
      held.membrane = this.membraneFor(p, grant, held.inner, held.revoker);
      return Promise.resolve(held.membrane);
    }
    const pending = p.pendingAcquire.get(grant.name);
    if (pending) return pending;
    const generation = p.generation;
    const promise = this.provide(p, grant, generation).finally(() => p.pendingAcquire.delete(grant.name));
    p.pendingAcquire.set(grant.name, promise);
    return promise;
  }

  /** A capability the kernel serves itself (`"from": "kernel"`), created per grantee. */
  private kernelCap(name: string): $.Client {
    if (name === "memory") {
      return new ProcessMemory$Server({
        sample: (_p, r) => {
          // One /proc pass per 2 s at most, however often a caller asks.
          const latest = this.rss.latest();
          const fresh = this.rss.latestAt > performance.now() - 2000 && latest.length ? latest : this.rss.sample();
          r.json = JSON.stringify(fresh);
          return Promise.resolve();
        },
      });
    }
    if (name === "upgrade") return upgradeServer(() => this.upgrade);
    throw new Error(`the kernel does not serve "${name}"`);
  }

  private async provide(p: Proc, grant: Grant, generation: number): Promise<MembraneClient> {
    if (grant.from === KERNEL_PROVIDER) {
      const inner = this.kernelCap(grant.cap);
      const revoker = new Revoker();
      const membrane = this.membraneFor(p, grant, inner, revoker);
      p.held.set(grant.name, { grant, inner, revoker, membrane });
      this.emit("granted", { process: p.spec.name, grant: grant.name, provider: grant.from, cap: grant.cap, restrictions: grant.restrictions });
      return membrane;
    }
    const provider = this.procs.get(grant.from)!;
    await this.startedForUse(provider, p.spec.name, grant.name, grant.name);
    if (provider.state !== "ready") {
      const timeout = this.opts.acquireTimeoutMs ?? 10_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ok = await Promise.race([
        this.whenSettled(grant.from).then(() => provider.state === "ready"),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeout))),
      ]);
      clearTimeout(timer);
      if (!ok) {
        const why = provider.state === "failed" ? "failed (its restart policy is exhausted)" : `${provider.state}, not ready after ${timeout} ms`;
        throw disconnectedError(`"${grant.from}" (provider of ${grant.name}) is ${why}`);
      }
    }
    const control = provider.control!;
    const res = await control.provide((q) => {
      q.name = grant.cap;
      q.restrictions = JSON.stringify(grant.restrictions);
      q.grantee = p.spec.name;
    }).promise();
    const inner = getCap(res.cap);
    if (p.generation !== generation || !p.conn || p.connClosed) {
      inner.close();
      throw disconnectedError(`"${p.spec.name}" restarted while acquiring ${grant.name}`);
    }
    const revoker = new Revoker();
    const membrane = this.membraneFor(p, grant, inner, revoker);
    p.held.set(grant.name, { grant, inner, revoker, membrane });
    provider.served.add({ revoker, grantee: p.spec.name, grant: grant.name });
    this.emit("granted", { process: p.spec.name, grant: grant.name, provider: grant.from, cap: grant.cap, restrictions: grant.restrictions });
    return membrane;
  }

  private membraneFor(p: Proc, grant: Grant, inner: $.Client, revoker: Revoker): MembraneClient {
    const iface = (grant.from === KERNEL_PROVIDER ? KERNEL_EXPOSES : this.procs.get(grant.from)!.spec.exposes)[grant.cap]?.interface;
    return new MembraneClient(inner, {
      label: `grant "${grant.name}" of ${p.spec.name} (${grant.from}.${grant.cap})`,
      revoker,
      counters: this.counters.get(`${p.spec.name}.${grant.name}`)!,
      interfaceId: iface ? interfaceId(iface) : undefined,
      interfaceName: iface,
      ownsInner: false,
    });
  }

  /**
   * Live upgrade (kernel/upgrade/): ends `name`'s running process the way a crash would — SIGTERM, then
   * SIGKILL after 3 s; not shutdown(), which tells a driver the node is going down for good (the hypervisor
   * would stop its VMs instead of leaving them for the next version to adopt) — revoking what it served and
   * held, then starts `spec` with `${root}` = `root` in its place under the same uid. Resolves true when the
   * new process answered ready within its healthTimeoutMs; otherwise the kernel supervises it as a crash
   * and `whyNotReady(name)` says what happened (its exit code or signal and last output lines).
   */
  async replaceProcess(name: string, spec: ProcessSpec, root: string): Promise<boolean> {
    const p = this.procs.get(name);
    if (!p || spec.name !== name) throw new Error(`replaceProcess: no process "${name}" to replace (or the new spec is named "${spec.name}")`);
    if (this.stopping) return false;
    if (p.state === "idle" && spec.start === "on-demand" && !p.demand) {
      // Not running, nobody used it: it stays idle and its first use starts the new spec.
      this.adoptSpec(p, spec, root);
      return true;
    }
    if (p.restartTimer) clearTimeout(p.restartTimer);
    p.restartTimer = null;
    p.state = "stopping";
    const child = p.child;
    if (running(child)) {
      const exited = p.exited;
      try {
        signal(child, "SIGTERM");
      } catch { /* gone */ }
      const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      if (!gone) {
        try {
          signal(child, "SIGKILL");
        } catch { /* gone */ }
        await exited;
      }
    }
    this.adoptSpec(p, spec, root);
    p.notReady = null;
    await this.launch(p);
    if ((p.state as State) === "ready") return true;
    // Not ready: let its exit be seen (a connection can close before the exit is reported), so that
    // whyNotReady names the exit code or signal, not a guess. The exit is this start's (its restart, which
    // the exit schedules, is a later generation), and its last lines are read before they are quoted.
    const generation = p.generation;
    // (bounded: a child that failed to spawn may never report an exit)
    await Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))]);
    const reason = await this.whyStartFailed(p, generation);
    p.notReady = { reason, exit: p.lastExit?.generation === generation ? p.lastExit : null };
    return false;
  }

  /**
   * Why start `generation` of `p` did not get it ready, in words without a subject: how its process ended (exit
   * code or signal, the kernel's reason when it killed it, its last stderr lines, read to their end first), or
   * why it never ran. The on-demand caller and the live upgrade's rollback quote the same sentence.
   */
  private async whyStartFailed(p: Proc, generation: number): Promise<string> {
    const exit = p.lastExit?.generation === generation ? p.lastExit : null;
    if (!exit) return p.spawnFailure ?? `it is ${p.state}`;
    await Promise.race([p.lastExitOutput, new Promise((r) => setTimeout(r, 1000))]);
    return describeExit(exit);
  }

  /** The process runs `spec` (from `root`) from its next start on; counters for grants the new spec adds. */
  private adoptSpec(p: Proc, spec: ProcessSpec, root: string): void {
    p.spec = spec;
    p.root = root;
    p.restarts = 0;
    for (const g of spec.grants) this.ensureCounter(`${spec.name}.${g.name}`);
  }

  private ensureCounter(key: string): void {
    if (!this.counters.has(key)) this.counters.set(key, { calls: 0, errors: 0, inflight: 0, overloaded: 0 });
  }

  /** Live upgrade: the manifest every process now runs from (stop order, defaults), once all were replaced. */
  adoptManifest(m: Manifest): void {
    this.manifest = m;
  }

  /** Stops every process in reverse start order; each wave gets the time left until the deadline. */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.rss.stop();
    const end = performance.now() + deadlineMs;
    this.emit("kernel-stopping", { deadlineMs });
    for (const p of this.procs.values()) {
      if (p.restartTimer) clearTimeout(p.restartTimer);
      for (const w of p.readyWaiters.splice(0)) w();
    }
    for (const wave of [...this.manifest.waves].reverse()) {
      await Promise.all(wave.map((name) => this.stopOne(this.procs.get(name)!, end)));
    }
    this.emit("calls", { counts: this.callCounts() });
    rmSync(this.runDir, { recursive: true, force: true }); // the private working dirs; caches stay
    this.emit("kernel-stopped", { ms: Math.round(performance.now() - this.t0) });
  }

  private async stopOne(p: Proc, end: number): Promise<void> {
    const child = p.child;
    if (!running(child)) {
      if (p.state !== "failed") p.state = "stopped";
      return;
    }
    p.state = "stopping";
    const left = () => Math.max(0, end - performance.now());
    const exited = p.exited;
    const timeout = (ms: number) => new Promise<boolean>((r) => setTimeout(() => r(false), ms));
    if (p.control) {
      const deadline = Math.min(left(), 2000);
      p.control.shutdown((q) => (q.deadlineMs = Math.round(deadline))).promise().catch(() => {});
      if (await Promise.race([exited.then(() => true), timeout(deadline)])) return;
    }
    try {
      signal(child, "SIGTERM");
    } catch { /* gone */ }
    if (await Promise.race([exited.then(() => true), timeout(Math.min(left(), 1000))])) return;
    try {
      signal(child, "SIGKILL");
    } catch { /* gone */ }
    await exited;
  }
}
