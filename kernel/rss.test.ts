// Memory budgets: each process's resident set (from /proc) against its manifest's memoryMb, with real
// processes — one Deno process holding a known amount of memory, and a kernel running the log driver
// under a budget it cannot meet.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSmapsRollup, parseVmRssKb, readPssUssMb, readRssMb, RssWatch, type RssSample } from "./rss.ts";
import { ProcessMemory$Client } from "../capabilities/schema/gen/system.ts";
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

test("PSS and USS are read from /proc/PID/smaps_rollup; shared pages make PSS smaller than RSS", async () => {
  const text = "55d-7ff ---p 00000000 00:00 0  [rollup]\nRss:  51200 kB\nPss:  20480 kB\nShared_Clean:  30000 kB\n" +
    "Private_Clean:  1024 kB\nPrivate_Dirty:  18432 kB\n";
  assert.equal(parseSmapsRollup(text), { rssKb: 51200, pssKb: 20480, ussKb: 19456 });
  assert.is(parseSmapsRollup("Rss: 1 kB\n"), null);
  assert.is(readPssUssMb(2 ** 22 + 12345), null, "a pid that does not exist");
  // two processes of the same Deno binary share its text: each one's PSS is below its RSS
  const kids = [0, 1].map(() => spawn(denoBinary(), ["eval", "console.log('ok'); setInterval(() => {}, 1 << 30)"], { stdio: ["ignore", "pipe", "inherit"] }));
  try {
    await Promise.all(kids.map((k) => new Promise((r) => k.stdout!.once("data", r))));
    const w = new RssWatch({ list: () => kids.map((k, i) => ({ process: `p${i}`, pid: k.pid!, budgetMb: null })), emit: () => {} });
    for (const s of w.sample()) {
      assert.ok(s.pssMb !== null && s.ussMb !== null, "readable as root or as the same user");
      assert.ok(s.ussMb! <= s.pssMb! && s.pssMb! < s.rssMb, `uss ${s.ussMb} ≤ pss ${s.pssMb} < rss ${s.rssMb}`);
    }
  } finally {
    for (const k of kids) k.kill("SIGKILL");
  }
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

test("a module granted the kernel's `memory` gets every process's measured memory through its membrane", async () => {
  const dir = tempDir("zt-boot-rss-");
  const manifest = join(dir, "manifest.json");
  writeFileSync(manifest, JSON.stringify({
    version: 1,
    root: repoRoot,
    processes: {
      log: { kind: "driver", entry: "capabilities/log/main.ts", memoryMb: 512, exposes: { log: { interface: "Log" } } },
      probe: {
        kind: "module", entry: "kernel/test/fixtures/session-probe/main.ts", args: ["memory"],
        grants: { log: { from: "log", cap: "log" }, memory: { from: "kernel", cap: "memory" } },
      },
      other: { kind: "module", entry: "kernel/test/fixtures/session-probe/main.ts", args: ["memory"] },
    },
  }));
  const events: KernelEvent[] = [];
  const h = await startKernel({ manifest, stateDir: join(dir, "state"), onEvent: (e) => events.push(e), bootTimeoutMs: 60_000 });
  try {
    assert.equal(h.notReady, []);
    const cap = await h.kernel.grantFor("probe", "memory");
    const samples = JSON.parse((await new ProcessMemory$Client(cap).sample().promise()).json) as RssSample[];
    assert.equal(samples.map((s) => s.process).sort(), ["log", "other", "probe"]);
    const log = samples.find((s) => s.process === "log")!;
    assert.is(log.pid, h.kernel.pid("log"));
    assert.is(log.budgetMb, 512);
    assert.ok(log.rssMb > 10 && log.pssMb !== null && log.pssMb <= log.rssMb, JSON.stringify(log));
    assert.ok(events.some((e) => e.event === "granted" && e.process === "probe" && e.provider === "kernel"), "granted is an event like any other");
    // the process itself got it through its Session; a process without the grant is refused
    const probes = () => events.filter((e) => e.event === "output" && /"probe"/.test(String(e.line)))
      .map((e) => ({ process: e.process, got: JSON.parse(String(e.line)).probe.got.memory }));
    const deadline = Date.now() + 20_000;
    while (probes().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const got = Object.fromEntries(probes().map((p) => [p.process, p.got]));
    assert.is(got.probe, "granted");
    assert.match(String(got.other), /denied: process "other" has no grant named "memory"/);
    const refused = await h.kernel.grantFor("other", "memory").then(() => null, (e: Error) => e.message);
    assert.match(String(refused), /has no grant named "memory"/);
  } finally {
    await h.stop(3000);
  }
});

test.run();
