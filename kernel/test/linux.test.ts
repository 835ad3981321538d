// The manifest's `linux` key on a real process: a driver granted CAP_NET_BIND_SERVICE and the disk group
// runs under its own uid with exactly that capability raised (inheritable, permitted, effective, ambient and
// bounding), exactly that supplementary group, no_new_privs, and a private state dir it owns. Root only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { repoRoot } from "../sandbox.ts";
import { stripComments, validateManifest } from "../manifest.ts";
import { defaultRunDir } from "../kernel.ts";
import { capabilityMask, groupId } from "../linux.ts";
import { type KernelEvent, startKernel } from "../mod.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { rmSync } from "node:fs";
import { rootOnly } from "../../tools/test-env.ts";

function status(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

test("a driver gets exactly its manifest's Linux capabilities and groups, under its own uid", async () => {
  if (!rootOnly("Linux capabilities under a root kernel")) return;
  const tmp = tempDir("zt-sandbox-linux-");
  const m = JSON.parse(stripComments(readFileSync(join(repoRoot, "manifests", "dev-example.json"), "utf8")));
  const log = { ...m.processes.log, linux: { capabilities: ["CAP_NET_BIND_SERVICE"], groups: ["disk"] } };
  const r = validateManifest({ version: 1, root: repoRoot, uidBase: 62100, processes: { clock: m.processes.clock, log } }, { path: join(tmp, "m.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const state = join(tmp, "state");
  // A file the caller left in the driver's state dir (as startNode does with the dev faucet) is handed over.
  mkdirSync(join(state, "log"), { recursive: true });
  writeFileSync(join(state, "log", "left-by-caller"), "x", { mode: 0o600 });
  const events: KernelEvent[] = [];
  const h = await startKernel({ manifest: r.manifest, stateDir: state, bootTimeoutMs: 20_000, onEvent: (e) => events.push(e) });
  try {
    assert.equal(h.notReady, []);
    const st = status(h.kernel.pid("log")!);
    const mask = capabilityMask(["CAP_NET_BIND_SERVICE"]);
    assert.is(mask, "0000000000000400");
    assert.is(st.Uid.split(/\s+/)[0], "62101", "uidBase + index");
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"]) assert.is(st[set], mask, `log ${set}`);
    assert.is(st.Groups.trim(), String(groupId("disk")), "only the disk group");
    assert.is(st.NoNewPrivs, "1");
    const clock = status(h.kernel.pid("clock")!);
    assert.is(clock.Uid.split(/\s+/)[0], "62100");
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"]) assert.is(clock[set], "0000000000000000", `clock ${set}`);
    const dir = statSync(join(state, "log"));
    assert.is(dir.uid, 62101, "the log driver owns its state dir");
    assert.is(dir.mode & 0o777, 0o700);
    assert.is(statSync(join(state, "log", "left-by-caller")).uid, 62101);
    assert.is(statSync(join(state, "clock")).uid, 62100);
  } finally {
    await h.stop(3000);
    rmSync(defaultRunDir(state), { recursive: true, force: true });
  }
});

test("a group the host does not have: the process fails to start, with the reason", async () => {
  if (!rootOnly("Linux capabilities under a root kernel")) return;
  const tmp = tempDir("zt-sandbox-linux-");
  const m = JSON.parse(stripComments(readFileSync(join(repoRoot, "manifests", "dev-example.json"), "utf8")));
  const log = { ...m.processes.log, linux: { groups: ["zt-no-such-group"] } };
  const r = validateManifest({ version: 1, root: repoRoot, processes: { log } }, { path: join(tmp, "m.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const events: KernelEvent[] = [];
  const state = join(tmp, "state");
  const h = await startKernel({ manifest: r.manifest, stateDir: state, bootTimeoutMs: 5000, onEvent: (e) => events.push(e) });
  try {
    assert.equal(h.notReady, ["log"]);
    const failed = events.find((e) => e.event === "failed" && e.process === "log");
    assert.match(String(failed?.reason), /linux.groups names "zt-no-such-group"/);
    assert.not.ok(events.some((e) => e.event === "spawned"), "nothing was started");
  } finally {
    await h.stop(2000);
    rmSync(defaultRunDir(state), { recursive: true, force: true });
  }
});

test.run();
