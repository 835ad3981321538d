// Measured memory of each process: its resident set (VmRSS in /proc/PID/status) against the manifest's
// `memoryMb` budget. V8's --max-old-space-size (which memoryMb also sets) caps only the JS heap; the
// resident set also counts compiled code, the runtime's native memory and buffers — what the node
// actually pays. Crossing the budget is an event (`memory-over-budget`, once per crossing;
// `memory-within-budget` when it falls back), not a kill: the operator and the tests decide.
import { readFileSync } from "node:fs";

export interface RssSample {
  process: string;
  pid: number;
  rssMb: number;
  budgetMb: number | null;
}

/** VmRSS of a /proc/PID/status text, in KiB (null when absent: a kernel thread or a zombie). */
export function parseVmRssKb(status: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** Resident set of `pid` in MiB, or null when the process is gone. */
export function readRssMb(pid: number): number | null {
  try {
    const kb = parseVmRssKb(readFileSync(`/proc/${pid}/status`, "utf8"));
    return kb === null ? null : Math.round((kb / 1024) * 10) / 10;
  } catch {
    return null;
  }
}

export interface RssWatchOptions {
  /** The running processes to sample: name, pid and budget (null = no budget, sampled only). */
  list: () => { process: string; pid: number; budgetMb: number | null }[];
  emit: (event: string, fields: Record<string, unknown>) => void;
  /** How often to sample (default 10 s). */
  intervalMs?: number;
  /** Reads a pid's RSS (tests may point it elsewhere; default /proc). */
  read?: (pid: number) => number | null;
}

export class RssWatch {
  private readonly o: RssWatchOptions;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Processes (by name + pid, so a restart starts fresh) currently over budget. */
  private readonly over = new Set<string>();
  private last: RssSample[] = [];

  constructor(o: RssWatchOptions) {
    this.o = o;
  }

  /** One pass over every running process; emits on each budget crossing. */
  sample(): RssSample[] {
    const read = this.o.read ?? readRssMb;
    const out: RssSample[] = [];
    for (const p of this.o.list()) {
      const rssMb = read(p.pid);
      if (rssMb === null) continue;
      out.push({ ...p, rssMb });
      if (p.budgetMb === null) continue;
      const key = `${p.process}/${p.pid}`;
      if (rssMb > p.budgetMb && !this.over.has(key)) {
        this.over.add(key);
        this.o.emit("memory-over-budget", { process: p.process, pid: p.pid, rssMb, budgetMb: p.budgetMb });
      } else if (rssMb <= p.budgetMb && this.over.delete(key)) {
        this.o.emit("memory-within-budget", { process: p.process, pid: p.pid, rssMb, budgetMb: p.budgetMb });
      }
    }
    this.last = out;
    return out;
  }

  /** The latest pass (what `zos.system.diagnostics` and the trace show as idle RSS). */
  latest(): RssSample[] {
    return this.last;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(), this.o.intervalMs ?? 10_000);
    // the kernel's own life is held by its children and connections, never by this timer
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
