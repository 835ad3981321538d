// Memory budgets: each process's resident set (from /proc) against its manifest's memoryMb, with real
// processes — one Deno process holding a known amount of memory, and a kernel running the log driver
// under a budget it cannot meet.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseVmRssKb, readRssMb, RssWatch } from "./rss.ts";
import { startKernel, type KernelEvent } from "./mod.ts";
import { denoBinary, repoRoot } from "./sandbox.ts";
import { tempDir } from "../tools/test-tmp.ts";

test("VmRSS is read from /proc/PID/status", () => {
  assert.is(parseVmRssKb("Name:\tdeno\nVmPeak:\t  9 kB\nVmRSS:\t   51396 kB\nThreads: 9\n"), 51396);
  assert.is(parseVmRssKb("Name:\tkworker\n"), null);
  const mine = readRssMb(process.pid)!;
  assert.ok(mine > 5 && mine < 4096, `own RSS ${mine} MiB`);
  assert.is(readRssMb(2 ** 22 + 12345), null, "a pid that does not exist");
});

test("crossing the budget is one event, falling back another", async () => {
  // a real process holding 96 MiB of touched memory
  const child = spawn(denoBinary(), ["eval", "const b = new Uint8Array(96 << 20).fill(7); setInterval(() => b[0]++, 1000); console.log('ok')"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise((r) => child.stdout!.once("data", r));
    const events: [string, Record<string, unknown>][] = [];
    let budget = 64;
    const w = new RssWatch({ list: () => [{ process: "hog", pid: child.pid!, budgetMb: budget }], emit: (e, f) => events.push([e, f]) });
    const [s] = w.sample();
    assert.ok(s.rssMb > 96, `rss ${s.rssMb} MiB`);
    w.sample();
    assert.equal(events.map(([e]) => e), ["memory-over-budget"], "once per crossing");
    assert.equal(events[0][1].budgetMb, 64);
    assert.is(events[0][1].process, "hog");
    budget = 4096;
    w.sample();
    assert.equal(events.map(([e]) => e), ["memory-over-budget", "memory-within-budget"]);
    assert.is(w.latest()[0].pid, child.pid);
  } finally {
    child.kill("SIGKILL");
  }
});

test("the kernel measures every process against its memoryMb and reports the excess as an event", async () => {
  const dir = tempDir("zt-image-rss-");
  const manifest = join(dir, "manifest.json");
  writeFileSync(manifest, JSON.stringify({
    version: 1,
    root: repoRoot,
    processes: {
      // 16 MiB: the smallest budget a manifest may give, below any Deno process's resident set
      log: { kind: "driver", entry: "capabilities/log/main.ts", memoryMb: 16, exposes: { log: { interface: "Log" } } },
    },
  }));
  const events: KernelEvent[] = [];
  const h = await startKernel({ manifest, stateDir: join(dir, "state"), onEvent: (e) => events.push(e), bootTimeoutMs: 30_000, rssIntervalMs: 200 });
  try {
    assert.equal(h.notReady, []);
    const deadline = Date.now() + 10_000;
    while (!events.some((e) => e.event === "memory-over-budget") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const over = events.find((e) => e.event === "memory-over-budget");
    assert.ok(over, `no memory-over-budget event: ${events.map((e) => e.event).join(", ")}`);
    assert.is(over!.process, "log");
    assert.is(over!.budgetMb, 16);
    assert.ok((over!.rssMb as number) > 16);
    assert.ok(!events.some((e) => e.event === "crashed" || e.event === "stopped"), "an excess is reported, the process is not killed");
    const now = h.kernel.memory();
    assert.equal(now.map((s) => s.process), ["log"]);
    assert.is(now[0].pid, h.kernel.pid("log"));
  } finally {
    await h.stop(3000);
  }
});

test.run();
