// The kernel's stop ends every process even when one does not act on shutdown() or SIGTERM (busy, stalled,
// stopped — as a driver deep in its teardown on a loaded machine): SIGKILL follows and is really sent. Deno's
// ChildProcess.kill() sends only a child's first signal, so the kernel's SIGKILL after SIGTERM was a no-op and a
// node's stop waited for such a process forever (kernel/child-signal.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { validateManifest } from "../manifest.ts";
import { type KernelEvent, startKernel } from "../mod.ts";
import { repoRoot } from "../sandbox.ts";
import { alive } from "../../tools/test-proc.ts";

test("a process stopped with SIGSTOP is killed at the stop deadline, and the stop returns", async () => {
  const state = mkdtempSync(join(tmpdir(), "zt-load-stop-"));
  const r = validateManifest({
    version: 1, root: repoRoot,
    processes: { log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } } },
  }, { path: join(repoRoot, "manifests", "stop-escalation.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const events: KernelEvent[] = [];
  const handle = await startKernel({ manifest: r.manifest, stateDir: state, onEvent: (e) => events.push(e), bootTimeoutMs: 60_000 });
  const pid = handle.kernel.pid("log")!;
  try {
    assert.ok(pid && alive(pid));
    process.kill(pid, "SIGSTOP"); // it can answer neither shutdown() nor SIGTERM
    const t0 = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopped = await Promise.race([handle.stop(1500).then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), 20_000)))]);
    clearTimeout(timer);
    assert.ok(stopped, "the kernel's stop returned");
    assert.ok(performance.now() - t0 < 15_000, `within the deadline and the SIGKILL (took ${Math.round(performance.now() - t0)} ms)`);
    assert.not.ok(alive(pid), "the stalled process is gone");
    const end = events.find((e) => e.event === "stopped" && e.process === "log");
    assert.is(end?.signal, "SIGKILL");
  } finally {
    if (alive(pid)) process.kill(pid, "SIGKILL");
    rmSync(state, { recursive: true, force: true });
  }
});

test.run();
