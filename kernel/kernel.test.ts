// The kernel with real processes: the example manifest (kv, log, clock drivers; counter, greeter, reporter
// modules) booted once, then crashes, revocation, re-acquisition, sandbox identity and ordered shutdown.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { CounterClient, GreeterClient } from "../capabilities/lib/guest/clients.ts";
import { loadManifest, type Manifest, validateManifest } from "./manifest.ts";
import { startKernel, type KernelEvent, type KernelHandle } from "./mod.ts";
import { repoRoot } from "./sandbox.ts";
import { RpcError } from "../capabilities/lib/rpc/mod.ts";
import { rootOnly } from "../tools/test-env.ts";
import { alive } from "../tools/test-proc.ts";

const state = mkdtempSync(join(tmpdir(), "zt-kernel-"));
const events: KernelEvent[] = [];
let handle: KernelHandle;

function manifest(): Manifest {
  const r = loadManifest(join(repoRoot, "manifests", "dev-example.json"));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  // The reporter reports once at start, then not again during the test (its counter use would race ours).
  r.manifest.processes.find((p) => p.name === "reporter")!.args = ["600000"];
  for (const p of r.manifest.processes) p.restart = { ...p.restart, backoffMs: 50 };
  // A module granted `log` and the kernel's `memory` that asks its own Session for `log` and for what it was
  // not granted; and one granted nothing that asks for `log`.
  const probe = validateManifest({
    version: 1, root: repoRoot,
    processes: {
      log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
      probe: { kind: "module", entry: "kernel/test/fixtures/session-probe/main.ts", args: ["log", "kv", "clock", "counter", "x".repeat(100)], grants: { log: { from: "log", cap: "log" }, memory: { from: "kernel", cap: "memory" } } },
      bare: { kind: "module", entry: "kernel/test/fixtures/session-probe/main.ts", args: ["log"] },
    },
  }, { path: join(repoRoot, "manifests", "probe.json") });
  if (!probe.ok) throw new Error(JSON.stringify(probe.errors));
  // Started last, so they cannot disturb the order the first test checks.
  const specs = ["probe", "bare"].map((n) => ({ ...probe.manifest.processes.find((p) => p.name === n)!, depends: ["log", "reporter"] }));
  return { ...r.manifest, processes: [...r.manifest.processes, ...specs], waves: [...r.manifest.waves, ["probe", "bare"]] };
}

function waitFor(pred: (e: KernelEvent) => boolean, ms = 10_000): Promise<KernelEvent> {
  const hit = events.find(pred);
  if (hit) return Promise.resolve(hit);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`event not seen within ${ms} ms`)), ms);
    const iv = setInterval(() => {
      const e = events.find(pred);
      if (e) {
        clearTimeout(timer);
        clearInterval(iv);
        resolve(e);
      }
    }, 5);
  });
}

function statusOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

test.before(async () => {
  handle = await startKernel({ manifest: manifest(), stateDir: state, onEvent: (e) => events.push(e), bootTimeoutMs: 20_000 });
});

test.after(async () => {
  await handle?.stop(3000);
  if (handle) rmSync(handle.kernel.runDirectory, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
});

test("every process becomes ready, in dependency order", () => {
  assert.equal(handle.notReady, []);
  const readyAt = (n: string) => events.findIndex((e) => e.event === "ready" && e.process === n);
  for (const n of ["kv", "log", "clock", "counter", "greeter", "reporter", "probe"]) assert.ok(readyAt(n) >= 0, n);
  assert.ok(readyAt("kv") < readyAt("counter"));
  assert.ok(readyAt("counter") < readyAt("greeter"));
  assert.ok(readyAt("greeter") < readyAt("reporter"));
  const spawnedCounter = events.findIndex((e) => e.event === "spawned" && e.process === "counter");
  assert.ok(readyAt("kv") < spawnedCounter, "counter is spawned only after kv is ready");
});

test("every process, drivers too, runs with its own uid, no Linux capabilities and no_new_privs (when the kernel is root)", () => {
  const root = rootOnly("own uid, no Linux capabilities, no_new_privs");
  const uids = new Set<string>();
  for (const name of ["kv", "log", "clock", "counter", "greeter", "reporter"]) {
    const st = statusOf(handle.kernel.pid(name)!);
    const uid = st.Uid.split(/\s+/)[0];
    if (root) {
      assert.is.not(uid, "0", `${name} must not run as root`);
      assert.is(st.CapEff, "0000000000000000", `${name} CapEff`);
      assert.is(st.CapPrm, "0000000000000000", `${name} CapPrm`);
      assert.is(st.CapBnd, "0000000000000000", `${name} CapBnd`);
      assert.is(st.CapAmb, "0000000000000000", `${name} CapAmb`);
      assert.is(st.Groups.trim(), "", `${name} has no supplementary groups`);
      assert.is(st.NoNewPrivs, "1", `${name} NoNewPrivs`);
    }
    uids.add(uid);
  }
  if (root) {
    assert.is(uids.size, 6, "each process has a distinct uid");
    const kvState = statSync(join(state, "kv"));
    assert.is(kvState.mode & 0o777, 0o700, "the kv driver's state dir is private");
    assert.is(String(kvState.uid), statusOf(handle.kernel.pid("kv")!).Uid.split(/\s+/)[0], "owned by the kv driver's uid");
  }
  const argv = events.find((e) => e.event === "spawned" && e.process === "counter")!.argv as string[];
  assert.not.ok(argv.some((a) => a.startsWith("--allow-")), "a module gets no --allow-* flag");
  const kvArgv = events.find((e) => e.event === "spawned" && e.process === "kv")!.argv as string[];
  assert.ok(kvArgv.includes(`--allow-read=${state}/kv`) && kvArgv.includes(`--allow-write=${state}/kv`));
  assert.is(kvArgv.filter((a) => a.startsWith("--allow-")).length, 2, "kv gets exactly its two permissions");
});

test("a module → module → driver chain works through granted references and is counted", async () => {
  const before = handle.kernel.callCounts();
  const greeter = new GreeterClient(await handle.kernel.grantFor("reporter", "greeter"));
  const msg = await greeter.greet("test");
  assert.match(msg, /^Hello, test! You are visitor #\d+ \(\d{4}-\d\d-\d\dT/);
  const after = handle.kernel.callCounts();
  assert.ok(after["reporter.greeter"].calls > before["reporter.greeter"].calls);
  assert.ok(after["greeter.counter"].calls > before["greeter.counter"].calls);
  assert.ok(after["greeter.clock"].calls > before["greeter.clock"].calls);
  assert.ok(after["counter.kv"].calls >= before["counter.kv"].calls + 2, "counter read and wrote kv");
});

test("a process's own Session.get hands out exactly its grants", async () => {
  const line = await waitFor((e) => e.event === "output" && e.process === "probe" && String(e.line).includes('"probe"'));
  const { got, list } = JSON.parse(String(line.line)).probe as { got: Record<string, string>; list: string[] };
  assert.is(got.log, "granted");
  // the refusal names the process, the name asked (cut at 64 characters) and what it was granted
  for (const name of ["kv", "clock", "counter"]) assert.match(got[name], new RegExp(`denied: process "probe" has no grant named "${name}" \\(granted: log, memory\\)$`), name);
  assert.match(got["x".repeat(100)], new RegExp(`denied: process "probe" has no grant named "${"x".repeat(64)}" \\(granted: log, memory\\)$`));
  assert.equal(list, ["log", "memory"]);
  assert.not.ok(events.some((e) => e.event === "granted" && e.process === "probe" && e.grant !== "log"), "the kernel granted nothing else (memory was not asked for)");
  const bare = await waitFor((e) => e.event === "output" && e.process === "bare" && String(e.line).includes('"probe"'));
  assert.equal(JSON.parse(String(bare.line)).probe, { got: { log: 'denied: process "bare" has no grant named "log" (granted: nothing)' }, list: [] });
  assert.not.ok(events.some((e) => e.event === "granted" && e.process === "bare"));
});

test("the embedding host's grantFor refuses what is not granted, like Session.get", async () => {
  for (const [proc, name] of [["greeter", "kv"], ["reporter", "clock"], ["counter", "counter"], ["kv", "log"]]) {
    try {
      await handle.kernel.grantFor(proc, name);
      assert.unreachable(`${proc} got ${name}`);
    } catch (err) {
      assert.is((err as Error).message, `denied: process "${proc}" has no grant named "${name}"`);
    }
  }
  const ghost = await handle.kernel.grantFor("ghost", "log").then(() => "granted", (e: Error) => e.message);
  assert.is(ghost, 'denied: no process named "ghost"');
});

test("kv crashes (kill -9): its grants are revoked, it restarts with backoff, callers re-acquire, data persists", async () => {
  const counter = new CounterClient(await handle.kernel.grantFor("greeter", "counter"));
  const v1 = await counter.increment(5);
  const pid = handle.kernel.pid("kv")!;
  const mark = events.length;
  process.kill(pid, "SIGKILL");
  await waitFor((e) => e.event === "restarted" && e.process === "kv");
  const since = events.slice(mark);
  assert.ok(since.some((e) => e.event === "crashed" && e.process === "kv" && e.signal === "SIGKILL"));
  assert.ok(since.some((e) => e.event === "revoked" && e.process === "counter" && e.grant === "kv" && e.provider === "kv"));
  assert.ok(since.some((e) => e.event === "restarting" && e.process === "kv" && typeof e.delayMs === "number"));
  assert.is.not(handle.kernel.pid("kv"), pid);
  // The counter module's kv reference was revoked; it re-acquires through its Session and carries on.
  assert.is(await counter.increment(1), v1 + 1);
  assert.is(await counter.get(), v1 + 1);
});

test("a crashed module: references to it are disconnected until re-acquired", async () => {
  const held = new GreeterClient(await handle.kernel.grantFor("reporter", "greeter"));
  await held.greet("before");
  const mark = events.length;
  process.kill(handle.kernel.pid("greeter")!, "SIGKILL");
  await waitFor((e) => e.event === "crashed" && e.process === "greeter" && events.indexOf(e) >= mark);
  try {
    await held.greet("during");
    assert.unreachable("a revoked reference must not work");
  } catch (err) {
    assert.instance(err, RpcError);
    assert.is((err as RpcError).type, "disconnected");
    assert.match((err as Error).message, /revoked \(greeter crashed\)/);
  }
  const again = new GreeterClient(await handle.kernel.grantFor("reporter", "greeter"));
  assert.match(await again.greet("after"), /Hello, after!/);
  assert.ok(events.slice(mark).some((e) => e.event === "restarted" && e.process === "greeter"));
});

test("stop: reverse dependency order within the deadline, nothing left running", async () => {
  const pids = ["kv", "log", "clock", "counter", "greeter", "reporter"].map((n) => handle.kernel.pid(n)!);
  const t0 = performance.now();
  await handle.stop(5000);
  assert.ok(performance.now() - t0 < 5000);
  const stoppedAt = (n: string) => events.findIndex((e) => e.event === "stopped" && e.process === n);
  assert.ok(stoppedAt("reporter") < stoppedAt("greeter"));
  assert.ok(stoppedAt("greeter") < stoppedAt("counter"));
  assert.ok(stoppedAt("counter") < stoppedAt("kv"));
  for (const pid of pids) assert.not.ok(alive(pid), `pid ${pid} is gone`);
  assert.ok(events.some((e) => e.event === "calls"));
});

test.run();
