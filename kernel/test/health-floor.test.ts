// startKernel({ minHealthTimeoutMs }): a floor under every process's readiness timeout (PID 1 under TCG).
// A manifest timeout no process can meet (1 ms) gets the process killed as unhealthy; with the floor the
// same manifest comes up ready.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../sandbox.ts";
import { stripComments, validateManifest } from "../manifest.ts";
import { defaultRunDir } from "../kernel.ts";
import { type KernelEvent, startKernel } from "../mod.ts";

const tmp = mkdtempSync(join(tmpdir(), "zt-health-"));

function impatientManifest(restart: Record<string, number> = { backoffMs: 10_000, maxRestarts: 1 }) {
  const m = JSON.parse(stripComments(readFileSync(join(repoRoot, "manifests", "dev-example.json"), "utf8")));
  const log = { ...m.processes.log, healthTimeoutMs: 1, restart };
  const r = validateManifest({ version: 1, root: repoRoot, processes: { log } }, { path: join(tmp, "m.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.manifest;
}

test("without a floor, a 1 ms readiness timeout gets the process killed as unhealthy", async () => {
  const events: KernelEvent[] = [];
  const state = join(tmp, "a");
  const h = await startKernel({ manifest: impatientManifest(), stateDir: state, bootTimeoutMs: 3000, onEvent: (e) => events.push(e) });
  try {
    assert.equal(h.notReady, ["log"]);
    assert.ok(events.some((e) => e.event === "unhealthy" && e.process === "log"), "unhealthy reported");
  } finally {
    await h.stop(2000);
    rmSync(defaultRunDir(state), { recursive: true, force: true });
  }
});

test("minHealthTimeoutMs raises it: the same manifest comes up ready; bad values refused", async () => {
  const events: KernelEvent[] = [];
  const state = join(tmp, "b");
  const h = await startKernel({ manifest: impatientManifest(), stateDir: state, minHealthTimeoutMs: 30_000, onEvent: (e) => events.push(e) });
  try {
    assert.equal(h.notReady, []);
    assert.not.ok(events.some((e) => e.event === "unhealthy"));
  } finally {
    await h.stop(2000);
    rmSync(defaultRunDir(state), { recursive: true, force: true });
  }
  await startKernel({ manifest: impatientManifest(), stateDir: state, minHealthTimeoutMs: 0 }).then(
    () => assert.unreachable("0 accepted"),
    (e) => assert.match((e as Error).message, /minHealthTimeoutMs must be a positive integer/),
  );
});

test("each start killed as unhealthy gives the next one twice the time, up to 8× (no endless kill at the same point under load)", async () => {
  const events: KernelEvent[] = [];
  const state = join(tmp, "c");
  const h = await startKernel({ manifest: impatientManifest({ backoffMs: 10, maxRestarts: 4 }), stateDir: state, bootTimeoutMs: 3000, onEvent: (e) => events.push(e) });
  try {
    const unhealthy = () => events.filter((e) => e.event === "unhealthy" && e.process === "log").map((e) => e.afterMs);
    for (let i = 0; i < 200 && unhealthy().length < 5; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(unhealthy(), [1, 2, 4, 8, 8]);
  } finally {
    await h.stop(2000);
    rmSync(defaultRunDir(state), { recursive: true, force: true });
  }
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
