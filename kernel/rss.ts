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
  /**
   * Proportional set (shared pages divided among the processes mapping them) and unique set (pages only this
   * process maps), from /proc/PID/smaps_rollup; null when it cannot be read (another uid and the kernel is
   * not root). The sum of PSS over all processes is their honest footprint: RSS counts the Deno binary's
   * shared text once per process.
   */
  pssMb: number | null;
  ussMb: number | null;
}

export interface SmapsRollup {
  rssKb: number;
  pssKb: number;
  /** Private_Clean + Private_Dirty. */
  ussKb: number;
}

/** The totals of a /proc/PID/smaps_rollup text (null when a field is missing). */
export function parseSmapsRollup(text: string): SmapsRollup | null {
  const field = (name: string): number | null => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, "m").exec(text);
    return m ? Number(m[1]) : null;
  };
  const [rss, pss, pc, pd] = [field("Rss"), field("Pss"), field("Private_Clean"), field("Private_Dirty")];
  if (rss === null || pss === null || pc === null || pd === null) return null;
  return { rssKb: rss, pssKb: pss, ussKb: pc + pd };
}

const mib = (kb: number): number => Math.round((kb / 1024) * 10) / 10;

/** PSS and USS of `pid` in MiB, or null when unreadable (gone, or not ours to read). */
export function readPssUssMb(pid: number): { pssMb: number; ussMb: number } | null {
  try {
    const r = parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return r ? { pssMb: mib(r.pssKb), ussMb: mib(r.ussKb) } : null;
  } catch {
    return null;
  }
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
  /** Reads a pid's PSS/USS (default /proc/PID/smaps_rollup). */
  readShared?: (pid: number) => { pssMb: number; ussMb: number } | null;
}

export class RssWatch {
  private readonly o: RssWatchOptions;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Processes (by name + pid, so a restart starts fresh) currently over budget. */
  private readonly over = new Set<string>();
  private last: RssSample[] = [];
  /** performance.now() of the last pass (0 = none yet). */
  latestAt = 0;

  constructor(o: RssWatchOptions) {
    this.o = o;
  }

  /** One pass over every running process; emits on each budget crossing. */
  sample(): RssSample[] {
    const read = this.o.read ?? readRssMb;
    const readShared = this.o.readShared ?? readPssUssMb;
    const out: RssSample[] = [];
    for (const p of this.o.list()) {
      const rssMb = read(p.pid);
      if (rssMb === null) continue;
      const shared = readShared(p.pid);
      out.push({ ...p, rssMb, pssMb: shared?.pssMb ?? null, ussMb: shared?.ussMb ?? null });
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
    this.latestAt = performance.now();
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
