// Summaries of several `zos.system.diagnostics` answers taken from one idle node: per process and for the node's
// totals, the median of each measure (RSS, PSS, USS in MiB, as the kernel read them from /proc). One sample can
// catch a process mid-GC or mid-request; the median of a few is what the node holds at idle.

/** The memory part of one `zos.system.diagnostics` answer (modules/api/handlers/system.ts). */
export interface DiagnosticsMemory {
  processes?: { name: string; rss_mb: number; pss_mb: number | null; uss_mb: number | null; budget_mb: number | null }[];
  memory?: { rss_mb: number | null; pss_mb: number | null; uss_mb: number | null };
}

export interface MemoryRow {
  process: string;
  rssMb: number;
  pssMb: number | null;
  ussMb: number | null;
  budgetMb: number | null;
  /** in how many of the samples the process was running */
  seen: number;
}

export interface MemorySummary {
  samples: number;
  /** medians over the samples of each sample's own sum (not the sum of the per-process medians) */
  total: { rssMb: number; pssMb: number | null; ussMb: number | null };
  /** largest Σ PSS minus smallest over the samples: how much the node moved while idle */
  pssSpreadMb: number | null;
  rows: MemoryRow[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const nums = (xs: (number | null | undefined)[]) => xs.every((x) => typeof x === "number") ? xs as number[] : null;

/** Medians of several diagnostics answers; throws when an answer carries no process memory (an old node). */
export function summariseDiagnostics(answers: DiagnosticsMemory[]): MemorySummary {
  if (!answers.length) throw new Error("no diagnostics samples to summarise");
  for (const [i, a] of answers.entries()) {
    if (!Array.isArray(a.processes) || !a.processes.length) throw new Error(`diagnostics sample ${i + 1} lists no process memory (processes[] missing: the api module has no memory grant?)`);
  }
  const sums = answers.map((a) => {
    const ps = a.processes!;
    const pss = nums(ps.map((p) => p.pss_mb));
    const uss = nums(ps.map((p) => p.uss_mb));
    return {
      rss: ps.reduce((s, p) => s + p.rss_mb, 0),
      pss: pss ? pss.reduce((s, x) => s + x, 0) : null,
      uss: uss ? uss.reduce((s, x) => s + x, 0) : null,
    };
  });
  const pssSums = nums(sums.map((s) => s.pss));
  const ussSums = nums(sums.map((s) => s.uss));
  const names = [...new Set(answers.flatMap((a) => a.processes!.map((p) => p.name)))];
  const rows = names.map((name): MemoryRow => {
    const seen = answers.map((a) => a.processes!.find((p) => p.name === name)).filter((p) => p !== undefined);
    const pss = nums(seen.map((p) => p.pss_mb));
    const uss = nums(seen.map((p) => p.uss_mb));
    return {
      process: name,
      rssMb: round1(median(seen.map((p) => p.rss_mb))),
      pssMb: pss ? round1(median(pss)) : null,
      ussMb: uss ? round1(median(uss)) : null,
      budgetMb: seen[0].budget_mb,
      seen: seen.length,
    };
  }).sort((a, b) => (b.pssMb ?? b.rssMb) - (a.pssMb ?? a.rssMb));
  return {
    samples: answers.length,
    total: {
      rssMb: round1(median(sums.map((s) => s.rss))),
      pssMb: pssSums ? round1(median(pssSums)) : null,
      ussMb: ussSums ? round1(median(ussSums)) : null,
    },
    pssSpreadMb: pssSums ? round1(Math.max(...pssSums) - Math.min(...pssSums)) : null,
    rows,
  };
}
