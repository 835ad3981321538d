// The capability kernel: starts every process of a manifest in dependency order, serves each one its
// bootstrap Session, routes every granted reference through a membrane, restarts crashed processes with
// backoff (revoking what they held and served), and stops everything in reverse order.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { ProcessControl$Client, Session$Client } from "../capabilities/schema/gen/kernel.ts";
import { interfaceId } from "./interfaces.ts";
import type { Grant, Manifest, ProcessSpec } from "./manifest.ts";
import { MembraneCap, Revoker, type GrantCounters } from "./membrane.ts";
import { launchPlan, type Identity } from "./sandbox.ts";
import { RpcError } from "./wire/errors.ts";
import type { Cap, Peer, RemoteCap } from "./wire/peer.ts";
import { peerOverStreams } from "./wire/stream.ts";
import { invoke, serve } from "./wire/typed.ts";

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
}

type State = "pending" | "starting" | "ready" | "backoff" | "stopping" | "stopped" | "failed";

interface HeldGrant {
  grant: Grant;
  inner: Cap;
  revoker: Revoker;
  membrane: MembraneCap;
}

interface Proc {
  spec: ProcessSpec;
  index: number;
  state: State;
  identity: Identity | null;
  child: ChildProcess | null;
  peer: Peer | null;
  control: RemoteCap | null;
  generation: number;
  restarts: number;
  startedAt: number;
  readyWaiters: (() => void)[];
  held: Map<string, HeldGrant>;
  pendingAcquire: Map<string, Promise<MembraneCap>>;
  served: Set<{ revoker: Revoker; grantee: string; grant: string }>;
  exited: Promise<void>;
  restartTimer: ReturnType<typeof setTimeout> | null;
}

export class Kernel {
  readonly manifest: Manifest;
  private readonly opts: KernelOptions;
  private readonly procs = new Map<string, Proc>();
  private readonly counters = new Map<string, GrantCounters>();
  private readonly t0 = performance.now();
  private stopping = false;
  private readonly runDir: string;
  private readonly denoDir: string;
  private readonly isRoot = typeof process.getuid === "function" && process.getuid() === 0;

  constructor(opts: KernelOptions) {
    this.opts = opts;
    this.manifest = opts.manifest;
    this.runDir = join(resolve(opts.stateDir), "run");
    this.denoDir = join(resolve(opts.stateDir), "deno-cache");
    opts.manifest.processes.forEach((spec, index) => {
      this.procs.set(spec.name, {
        spec, index, state: "pending", identity: null, child: null, peer: null, control: null, generation: 0,
        restarts: 0, startedAt: 0, readyWaiters: [], held: new Map(), pendingAcquire: new Map(), served: new Set(),
        exited: Promise.resolve(), restartTimer: null,
      });
      for (const g of spec.grants) this.counters.set(`${spec.name}.${g.name}`, { calls: 0, errors: 0 });
    });
  }

  emit(event: string, fields: Record<string, unknown> = {}): void {
    const e: KernelEvent = { t: Math.round((performance.now() - this.t0) * 10) / 10, event, ...fields };
    try {
      this.opts.onEvent?.(e);
    } catch { /* an observer must not break the kernel */ }
  }

  /** Per-grant call counters, keyed "grantee.grantName". */
  callCounts(): Record<string, GrantCounters> {
    return Object.fromEntries([...this.counters].map(([k, v]) => [k, { ...v }]));
  }

  states(): Record<string, string> {
    return Object.fromEntries([...this.procs].map(([k, p]) => [k, p.state]));
  }

  pid(name: string): number | undefined {
    return this.procs.get(name)?.child?.pid;
  }

  /** Starts everything; resolves when every process is ready or `timeoutMs` passed (returns the laggards). */
  async start(timeoutMs = 30_000): Promise<string[]> {
    mkdirSync(this.runDir, { recursive: true, mode: 0o711 });
    if (this.isRoot) {
      // Processes with their own uid must traverse the state dir to reach their private cwd and cache
      // (search permission only: they cannot list it, and each data dir below stays 0700).
      const st = resolve(this.opts.stateDir);
      chmodSync(st, statSync(st).mode & 0o7777 | 0o001);
      chmodSync(this.runDir, 0o711);
    }
    mkdirSync(this.denoDir, { recursive: true, mode: 0o755 });
    this.emit("kernel-starting", { processes: this.manifest.processes.length, waves: this.manifest.waves, root: this.isRoot });
    const all = [...this.procs.values()].map(async (p) => {
      await Promise.all(p.spec.depends.map((d) => this.whenReady(d)));
      if (this.stopping) return;
      await this.launch(p);
      await this.whenReady(p.spec.name);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(all), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    const notReady = [...this.procs.values()].filter((p) => p.state !== "ready").map((p) => p.spec.name);
    this.emit("kernel-ready", { ms: Math.round(performance.now() - this.t0), notReady });
    return notReady;
  }

  private whenReady(name: string): Promise<void> {
    const p = this.procs.get(name)!;
    if (p.state === "ready") return Promise.resolve();
    return new Promise((r) => p.readyWaiters.push(r));
  }

  private identityFor(p: Proc): Identity | null {
    if (!this.isRoot || p.spec.user !== "own") return null;
    const id = this.manifest.uidBase + p.index;
    return { uid: id, gid: id };
  }

  private async launch(p: Proc): Promise<void> {
    if (this.stopping) return;
    const spec = p.spec;
    p.state = "starting";
    p.generation++;
    p.identity = this.identityFor(p);
    const cwd = join(this.runDir, spec.name);
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd, { recursive: true, mode: 0o700 });
    if (p.identity) chownSync(cwd, p.identity.uid, p.identity.gid);
    const vars = { state: resolve(this.opts.stateDir), root: this.manifest.root };
    // Deno's transpile cache is a SQLite database it must write; each identity gets its own so no process
    // can write into a cache another uid reads.
    const denoDir = p.identity ? join(this.denoDir, String(p.identity.uid)) : this.denoDir;
    if (p.identity) {
      mkdirSync(denoDir, { recursive: true, mode: 0o700 });
      chownSync(denoDir, p.identity.uid, p.identity.gid);
    }
    const plan = launchPlan(spec, { vars, cwd, identity: p.identity, denoDir });
    const started = performance.now();
    const child = spawn(plan.command, plan.args, {
      cwd: plan.cwd,
      env: plan.env,
      stdio: ["pipe", "pipe", "pipe"],
      ...(plan.spawnIdentity ? { uid: plan.spawnIdentity.uid, gid: plan.spawnIdentity.gid } : {}),
    });
    p.child = child;
    p.startedAt = Date.now();
    const generation = p.generation;
    let exitResolve!: () => void;
    p.exited = new Promise((r) => (exitResolve = r));
    this.forwardStderr(p, child);
    const peer = peerOverStreams(child.stdout!, child.stdin!, this.sessionFor(p), {
      name: spec.name,
      maxInflight: this.opts.maxInflight ?? 256,
    });
    p.peer = peer;
    p.control = peer.bootstrap();
    peer.onClose((reason) => {
      if (reason.startsWith("protocol error") || reason.startsWith("the other side aborted")) {
        this.emit("protocol-error", { process: spec.name, reason });
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
    });
    child.on("error", (err) => this.emit("spawn-error", { process: spec.name, error: err.message }));
    child.on("exit", (code, signal) => {
      exitResolve();
      peer.close(`process exited (${signal ?? code})`);
      if (p.generation === generation) this.onExit(p, code, signal);
    });
    this.emit("spawned", { process: spec.name, pid: child.pid, generation, uid: p.identity?.uid ?? process.getuid?.(), argv: [plan.command, ...plan.args] });
    // Readiness is a health call, polled until it says ready (a sleep would be a guess).
    const deadline = performance.now() + spec.healthTimeoutMs;
    while (!this.stopping && p.generation === generation && !peer.closed) {
      try {
        const { results } = await invoke(p.control, ProcessControl$Client.methods[0]);
        if (results.ready) break;
      } catch { /* not answering yet */ }
      if (performance.now() > deadline) {
        this.emit("unhealthy", { process: spec.name, afterMs: spec.healthTimeoutMs });
        child.kill("SIGKILL");
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (this.stopping || p.generation !== generation || peer.closed) return;
    p.state = "ready";
    this.emit(generation > 1 ? "restarted" : "ready", { process: spec.name, ms: Math.round((performance.now() - started) * 10) / 10, generation });
    for (const w of p.readyWaiters.splice(0)) w();
  }

  private forwardStderr(p: Proc, child: ChildProcess): void {
    let buf = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line) this.emit("output", { process: p.spec.name, line: line.slice(0, 8192) });
      }
      if (buf.length > 65536) {
        this.emit("output", { process: p.spec.name, line: buf.slice(0, 8192) + "… (truncated)" });
        buf = "";
      }
    });
  }

  private onExit(p: Proc, code: number | null, signal: string | null): void {
    const wasStopping = this.stopping || p.state === "stopping";
    this.revokeAll(p, wasStopping ? `${p.spec.name} stopped` : `${p.spec.name} crashed`);
    p.child = null;
    p.peer = null;
    p.control = null;
    if (wasStopping) {
      p.state = "stopped";
      this.emit("stopped", { process: p.spec.name, code, signal });
      return;
    }
    this.emit("crashed", { process: p.spec.name, code, signal, generation: p.generation });
    const policy = p.spec.restart;
    if (Date.now() - p.startedAt > policy.resetAfterMs) p.restarts = 0;
    if (p.restarts >= policy.maxRestarts) {
      p.state = "failed";
      this.emit("failed", { process: p.spec.name, restarts: p.restarts, reason: `crashed ${p.restarts + 1} times in a row; restart.maxRestarts is ${policy.maxRestarts}` });
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
      h.inner.release();
    }
    p.held.clear();
    p.pendingAcquire.clear();
  }

  /** The bootstrap Session a process gets: exactly its grants, nothing else. */
  private sessionFor(p: Proc): Cap {
    return serve(Session$Client, {
      get: async (params, _r, ctx) => {
        const name: string = params.name;
        const grant = p.spec.grants.find((g) => g.name === name);
        if (!grant) {
          const granted = p.spec.grants.map((g) => g.name);
          throw new RpcError("denied", `process "${p.spec.name}" has no grant named "${name.slice(0, 64)}" (granted: ${granted.length ? granted.join(", ") : "nothing"})`);
        }
        ctx.resultCaps.push(await this.acquire(p, grant));
      },
      list: (_params, r) => {
        const l = r._initNames(p.spec.grants.length);
        p.spec.grants.forEach((g, i) => l.set(i, g.name));
      },
    });
  }

  /**
   * For the embedding host (tests, dev tools): the reference process `name` gets for its grant `grant`,
   * through the same membrane and counters. Fails like Session.get does for anything not granted.
   */
  grantFor(name: string, grant: string): Promise<Cap> {
    const p = this.procs.get(name);
    if (!p) return Promise.reject(new RpcError("denied", `no process named "${name}"`));
    const g = p.spec.grants.find((x) => x.name === grant);
    if (!g) return Promise.reject(new RpcError("denied", `process "${name}" has no grant named "${grant}"`));
    return this.acquire(p, g);
  }

  private acquire(p: Proc, grant: Grant): Promise<MembraneCap> {
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

  private async provide(p: Proc, grant: Grant, generation: number): Promise<MembraneCap> {
    const provider = this.procs.get(grant.from)!;
    if (provider.state !== "ready") {
      const timeout = this.opts.acquireTimeoutMs ?? 10_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ok = await Promise.race([
        this.whenReady(grant.from).then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeout))),
      ]);
      clearTimeout(timer);
      if (!ok) throw new RpcError("disconnected", `"${grant.from}" (provider of ${grant.name}) is ${provider.state}, not ready after ${timeout} ms`);
    }
    const control = provider.control!;
    const { caps } = await invoke(control, ProcessControl$Client.methods[1], (q) => {
      q.name = grant.cap;
      q.restrictions = JSON.stringify(grant.restrictions);
      q.grantee = p.spec.name;
    });
    const inner = caps[0];
    if (!inner) throw new RpcError("failed", `"${grant.from}" returned no capability for ${grant.cap}`);
    if (p.generation !== generation || !p.peer || p.peer.closed) {
      inner.release();
      throw new RpcError("disconnected", `"${p.spec.name}" restarted while acquiring ${grant.name}`);
    }
    const revoker = new Revoker();
    const membrane = this.membraneFor(p, grant, inner, revoker);
    p.held.set(grant.name, { grant, inner, revoker, membrane });
    provider.served.add({ revoker, grantee: p.spec.name, grant: grant.name });
    this.emit("granted", { process: p.spec.name, grant: grant.name, provider: grant.from, cap: grant.cap, restrictions: grant.restrictions });
    return membrane;
  }

  private membraneFor(p: Proc, grant: Grant, inner: Cap, revoker: Revoker): MembraneCap {
    const iface = this.procs.get(grant.from)!.spec.exposes[grant.cap]?.interface;
    return new MembraneCap(inner, {
      label: `grant "${grant.name}" of ${p.spec.name} (${grant.from}.${grant.cap})`,
      revoker,
      counters: this.counters.get(`${p.spec.name}.${grant.name}`)!,
      interfaceId: iface ? interfaceId(iface) : undefined,
      interfaceName: iface,
      ownsInner: false,
    });
  }

  /** Stops every process in reverse start order; each wave gets the time left until the deadline. */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
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
    this.emit("kernel-stopped", { ms: Math.round(performance.now() - this.t0) });
  }

  private async stopOne(p: Proc, end: number): Promise<void> {
    const child = p.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      if (p.state !== "failed") p.state = "stopped";
      return;
    }
    p.state = "stopping";
    const left = () => Math.max(0, end - performance.now());
    const exited = p.exited;
    const timeout = (ms: number) => new Promise<boolean>((r) => setTimeout(() => r(false), ms));
    if (p.control) {
      const deadline = Math.min(left(), 2000);
      invoke(p.control, ProcessControl$Client.methods[2], (q) => (q.deadlineMs = Math.round(deadline))).catch(() => {});
      if (await Promise.race([exited.then(() => true), timeout(deadline)])) return;
    }
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    if (await Promise.race([exited.then(() => true), timeout(Math.min(left(), 1000))])) return;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await exited;
  }
}
