// How one run of a process ended, as the kernel saw it, and the sentence that says so: what a caller waiting
// for the process (an on-demand start, a live upgrade deciding to roll back) reports instead of a guess such
// as "not ready within N ms" when the process in fact exited with code 3 after 3 s.

/** Lines of a process's stderr the kernel keeps for these reports (each cut to 300 characters). */
export const LAST_OUTPUT_LINES = 3;

export interface ExitReport {
  process: string;
  pid: number | undefined;
  generation: number;
  code: number | null;
  signal: string | null;
  /** ms from spawn to exit */
  ranMs: number;
  /** when it ended (ms since the epoch) */
  at: number;
  /** whether this run had answered ready */
  wasReady: boolean;
  /** why the kernel ended it, when it did, worded after the process's name ("did not answer ready within …") */
  killedBecause: string | null;
  /** its last stderr lines */
  output: string[];
}

/** "exited with code 3 after 2.9 s, before it answered ready; its last output: "…" "…"" (no subject: callers name the process). */
export function describeExit(r: ExitReport): string {
  const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
  const when = `after ${(r.ranMs / 1000).toFixed(1)} s`;
  const phase = r.wasReady ? "after it had answered ready" : "before it answered ready";
  const cause = r.killedBecause ? `${r.killedBecause}: it ${how} ${when}` : `${how} ${when}, ${phase}`;
  return `${cause}${outputClause(r.output)}`;
}

/** "; its last output: "…" "…"", or nothing when it printed nothing. */
function outputClause(lines: string[]): string {
  return lines.length ? `; its last output: ${lines.map((l) => JSON.stringify(l)).join(" ")}` : "";
}
