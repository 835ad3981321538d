// The boot trace: every PID 1 phase with its duration, printed on the serial console as it ends and
// kept as JSON (/run/zos/boot-trace.json) for the API. Times are relative to the kernel's start
// (/proc/uptime at PID 1 start) so the trace shows where the whole boot went.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface PhaseRecord {
  name: string;
  /** Seconds since the kernel started, when the phase began / ended. */
  start: number;
  end: number;
  ms: number;
  ok: boolean;
  detail: string;
}

export interface BootTrace {
  /** Seconds from kernel start to PID 1's first line (null when /proc/uptime was unreadable). */
  kernelToPid1: number | null;
  phases: PhaseRecord[];
  notes: string[];
  /**
   * The verified sandbox of every process as the capability kernel read it from /proc (the `sandbox`
   * of its latest spawned/ready event), by process name: what a reviewer compares with the manifest.
   */
  sandbox: Record<string, unknown>;
  /** Per process: seconds since kernel start when it was spawned and when it answered its first health call. */
  processes: Record<string, { spawned?: number; ready?: number; readyMs?: number }>;
}

export const TRACE_PREFIX = "zos-boot:";

export class Tracer {
  readonly trace: BootTrace;
  private readonly base: number;
  private readonly write: (line: string) => void;
  private readonly file: string | null;

  /** `uptimeAtStart`: seconds since kernel start when PID 1 began (from /proc/uptime). */
  constructor(uptimeAtStart: number | null, write: (line: string) => void, file: string | null = null) {
    this.trace = { kernelToPid1: uptimeAtStart, phases: [], notes: [], sandbox: {}, processes: {} };
    this.base = (uptimeAtStart ?? 0) - performance.now() / 1000;
    this.write = write;
    this.file = file;
  }

  now(): number {
    return this.base + performance.now() / 1000;
  }

  note(text: string): void {
    this.trace.notes.push(text);
    this.write(`${TRACE_PREFIX} note ${text}`);
    this.save();
  }

  private events = 0;

  /** A capability-kernel event (process started, ready, crashed...), echoed on the console. */
  event(e: unknown): void {
    const ev = (e && typeof e === "object" ? e : {}) as { event?: unknown; process?: unknown; sandbox?: unknown; ms?: unknown };
    if (typeof ev.process === "string" && (ev.event === "spawned" || ev.event === "ready" || ev.event === "restarted")) {
      const p = (this.trace.processes[ev.process] ??= {});
      const at = Math.round(this.now() * 1000) / 1000;
      if (ev.event === "spawned") p.spawned = at;
      else if (p.ready === undefined) {
        p.ready = at;
        if (typeof ev.ms === "number") p.readyMs = ev.ms;
      }
      if (ev.sandbox && typeof ev.sandbox === "object") this.trace.sandbox[ev.process] = ev.sandbox;
      this.save();
    }
    // the console is for boot; the API keeps the full history — but a live upgrade's events (its outcome and
    // a rollback's reason) reach the console whenever they happen
    const upgrade = typeof ev.event === "string" && ev.event.startsWith("upgrade-");
    if (++this.events > 1000 && !upgrade) return;
    this.write(`zos-kernel: ${JSON.stringify(e)}`);
  }

  /** Runs one phase; its duration is recorded whether it succeeds or throws (then rethrows). */
  async phase<T>(name: string, fn: () => Promise<T> | T, describe?: (r: T) => string): Promise<T> {
    const start = this.now();
    this.write(`${TRACE_PREFIX} phase ${name} start t=${start.toFixed(3)}s`);
    try {
      const r = await fn();
      this.record(name, start, true, describe ? describe(r) : "");
      return r;
    } catch (err) {
      this.record(name, start, false, (err as Error)?.message ?? String(err));
      throw err;
    }
  }

  private record(name: string, start: number, ok: boolean, detail: string): void {
    const end = this.now();
    const p: PhaseRecord = { name, start, end, ms: Math.round((end - start) * 1000), ok, detail };
    this.trace.phases.push(p);
    this.write(`${TRACE_PREFIX} phase ${name} ${ok ? "ok" : "FAILED"} ${p.ms}ms t=${end.toFixed(3)}s${detail ? " " + detail : ""}`);
    this.save();
  }

  /** The whole trace as a table for the console. */
  summary(): string {
    const rows = this.trace.phases.map((p) => `${TRACE_PREFIX}   ${p.name.padEnd(10)} ${String(p.ms).padStart(7)} ms  ${p.ok ? "ok" : "FAILED"}  ${p.detail}`);
    const k = this.trace.kernelToPid1;
    return [`${TRACE_PREFIX} summary (kernel start → PID 1: ${k === null ? "?" : (k * 1000).toFixed(0) + " ms"})`, ...rows].join("\n");
  }

  private save(): void {
    if (!this.file) return;
    try {
      writeAtomic(this.file, JSON.stringify(this.trace, null, 2) + "\n");
    } catch {
      // /run may not be mounted yet during the first phase; the next save catches up.
    }
  }
}

/** temp + fsync + rename: a reader (or a kill -9) never sees a half-written file. */
export function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Parses the first field of /proc/uptime. */
export function parseUptime(text: string): number | null {
  const n = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : null;
}
