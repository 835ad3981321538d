import { test } from "uvu";
import * as assert from "uvu/assert";
import { type DiagnosticsMemory, median, summariseDiagnostics } from "./memory-samples.ts";

const p = (name: string, rss: number, pss: number | null, uss: number | null, budget: number | null = 100) =>
  ({ name, rss_mb: rss, pss_mb: pss, uss_mb: uss, budget_mb: budget });

test("median of odd and even counts", () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test("totals are the median of each sample's sum; rows the median per process, largest PSS first", () => {
  const answers: DiagnosticsMemory[] = [
    { processes: [p("kv", 50, 20, 18), p("chain", 100, 60, 55)] }, // Σ PSS 80
    { processes: [p("kv", 52, 21, 19), p("chain", 130, 90, 85)] }, // Σ PSS 111 (a spike in one sample)
    { processes: [p("kv", 51, 22, 20), p("chain", 101, 61, 56)] }, // Σ PSS 83
  ];
  const s = summariseDiagnostics(answers);
  assert.is(s.samples, 3);
  assert.equal(s.total, { rssMb: 152, pssMb: 83, ussMb: 76 });
  assert.is(s.pssSpreadMb, 31);
  assert.equal(s.rows.map((r) => r.process), ["chain", "kv"]);
  assert.equal(s.rows[0], { process: "chain", rssMb: 101, pssMb: 61, ussMb: 56, budgetMb: 100, seen: 3 });
  assert.equal(s.rows[1], { process: "kv", rssMb: 51, pssMb: 21, ussMb: 19, budgetMb: 100, seen: 3 });
});

test("a process that starts between samples counts where seen; unreadable PSS stays null, not 0", () => {
  const s = summariseDiagnostics([
    { processes: [p("kv", 50, 20, 18)] },
    { processes: [p("kv", 50, 20, 18), p("zdb", 40, null, null, null)] },
  ]);
  const zdb = s.rows.find((r) => r.process === "zdb")!;
  assert.equal(zdb, { process: "zdb", rssMb: 40, pssMb: null, ussMb: null, budgetMb: null, seen: 1 });
  assert.is(s.total.pssMb, null); // one sample's sum is unknown: no total rather than a low one
  assert.is(s.total.rssMb, 70);
});

test("an answer without process memory is an error naming the sample", () => {
  assert.throws(() => summariseDiagnostics([{ processes: [p("kv", 1, 1, 1)] }, {}]), /sample 2 lists no process memory/);
  assert.throws(() => summariseDiagnostics([]), /no diagnostics samples/);
});

test.run();
