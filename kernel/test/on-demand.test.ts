// On-demand start ("start": "on-demand" in the manifest): the process is not spawned at boot, READY does
// not wait for it, the first use of a grant to it starts it (under the same launch plan and /proc check as
// at boot) and holds that call until it is ready; a start that fails gives the caller the reason and leaves
// the process idle for the next use; once running, kill -9 is a crash as for any process.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { CounterClient } from "../../capabilities/lib/guest/clients.ts";
import { Echo$Client } from "../../capabilities/schema/gen/kernel.ts";
import { type Manifest, validateManifest } from "../manifest.ts";
import { audit, renderAudit } from "../audit.ts";
import { diffManifests } from "../diff.ts";
import { startKernel, type KernelEvent, type KernelHandle } from "../mod.ts";
import { launchPlan, repoRoot } from "../sandbox.ts";
import { rootOnly } from "../../tools/test-env.ts";

const state = mkdtempSync(join(tmpdir(), "zt-footprint-ondemand-"));
const events: KernelEvent[] = [];
let handle: KernelHandle;

function raw(): Record<string, unknown> {
  return {
    version: 1, root: repoRoot,
    processes: {
      // kv and clock start on demand; counter (boot) uses kv only when it is asked to count
      kv: {
        kind: "driver", entry: "capabilities/kv/main.ts", args: ["${state}/kv"], start: "on-demand",
        sandbox: { read: ["${state}/kv"], write: ["${state}/kv"] }, exposes: { kv: { interface: "Kv" } },
        restart: { backoffMs: 50 },
      },
      log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
      clock: { kind: "driver", entry: "capabilities/clock/main.ts", start: "on-demand", exposes: { clock: { interface: "Clock" } } },
      broken: {
        kind: "driver", entry: "kernel/test/fixtures/fail-start/main.ts", start: "on-demand",
        exposes: { echo: { interface: "Echo" } }, restart: { maxRestarts: 1 },
      },
      // nobody holds a grant to it: only the kernel itself uses it (as the upgrade agent uses flist)
      echo: { kind: "driver", entry: "kernel/test/fixtures/echo/main.ts", start: "on-demand", exposes: { echo: { interface: "Echo" } } },
      counter: {
        kind: "module", entry: "modules/counter/main.ts",
        exposes: { counter: { interface: "Counter" } },
        grants: { kv: { from: "kv", restrictions: { namespace: "counter" } }, log: { from: "log" }, broken: { from: "broken", cap: "echo" } },
      },
      greeter: {
        kind: "module", entry: "modules/greeter/main.ts",
        exposes: { greeter: { interface: "Greeter" } },
        grants: { counter: { from: "counter" }, clock: { from: "clock" } },
      },
    },
  };
}

function manifest(r: Record<string, unknown> = raw()): Manifest {
  const m = validateManifest(r, { path: join(repoRoot, "manifests", "on-demand-test.json") });
  if (!m.ok) throw new Error(JSON.stringify(m.errors));
  return m.manifest;
}

function errorsOf(r: Record<string, unknown>): string[] {
  const m = validateManifest(r, { path: join(repoRoot, "manifests", "on-demand-test.json") });
  return m.ok ? [] : m.errors.map((e) => `${e.process}: ${e.key}: ${e.message}`);
}

async function until<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const of = (event: string, process: string) => events.filter((e) => e.event === event && e.process === process);

test("the manifest: start is \"boot\" (default) or \"on-demand\"; audit, check and diff show it, and it widens nothing", () => {
  const m = manifest();
  assert.equal(Object.fromEntries(m.processes.map((p) => [p.name, p.start])), {
    kv: "on-demand", log: "boot", clock: "on-demand", broken: "on-demand", echo: "on-demand", counter: "boot", greeter: "boot",
  });
  const a = audit(m);
  assert.is(a.processes.find((p) => p.name === "kv")!.start, "on-demand");
  assert.match(renderAudit(a), /^kv {2}\(driver, uid \d+, .*starts on demand \(first use of a grant to it\)/m);
  const r = raw() as { processes: Record<string, Record<string, unknown>> };
  delete r.processes.kv.start;
  const d = diffManifests(manifest(r), m);
  assert.equal(d.processes, [{ process: "kv", gained: [{ what: "start on-demand", widens: false }], lost: [{ what: "start boot", widens: false }] }]);
  assert.is(d.widened, false);
});

test("the manifest refuses a bad start value, an on-demand process nothing can reach, and boot waiting for one", () => {
  const bad = raw() as { processes: Record<string, Record<string, unknown>> };
  bad.processes.log.start = "lazy";
  bad.processes.counter.depends = ["clock"];
  delete bad.processes.clock.exposes;
  delete (bad.processes.greeter.grants as Record<string, unknown>).clock;
  assert.equal(errorsOf(bad), [
    `log: start: must be "boot" (start with the kernel, the default) or "on-demand" (start at the first use of a grant to it); got "lazy"`,
    "clock: start: an on-demand process starts at the first use of a grant to it, and this one exposes nothing, so nothing could ever start it; expose a capability or start it at boot",
    `counter: depends: "clock" starts on demand (its first use starts it), so nothing waits for it at boot; drop it from depends (a grant to it is enough) or remove "start": "on-demand" from "clock"`,
  ]);
});

test.before(async () => {
  handle = await startKernel({ manifest: manifest(), stateDir: state, onEvent: (e) => events.push(e), bootTimeoutMs: 60_000 });
});

test.after(async () => {
  await handle?.stop(3000);
  if (handle) rmSync(handle.kernel.runDirectory, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
});

test("boot starts only the boot processes; READY does not wait for the on-demand ones", () => {
  assert.equal(handle.notReady, []);
  const states = handle.kernel.states();
  assert.equal([states.log, states.counter, states.greeter], ["ready", "ready", "ready"]);
  assert.equal([states.kv, states.clock, states.broken, states.echo], ["idle", "idle", "idle", "idle"]);
  for (const n of ["kv", "clock", "broken", "echo"]) {
    assert.is(handle.kernel.pid(n), undefined, `${n} has no process`);
    assert.is(of("spawned", n).length, 0, n);
    assert.is(of("idle", n).length, 1, n);
  }
  assert.equal(events.find((e) => e.event === "kernel-starting")!.onDemand, ["kv", "clock", "broken", "echo"]);
  assert.equal(events.find((e) => e.event === "kernel-ready")!.notReady, []);
  // an idle driver's state dir is its own from boot on (others hand it things before its first use: a zdb
  // workload's volume goes to the owner of ${state}/zdb, then the 0-db starts)
  const st = statSync(join(state, "kv"));
  assert.is(st.mode & 0o777, 0o700, "${state}/kv made with mode 0700 at boot");
  if (rootOnly("an idle driver's state dir owned by its uid at boot")) {
    const m = manifest();
    assert.is(st.uid, m.uidBase + m.processes.findIndex((p) => p.name === "kv"), "owned by kv's uid before kv ever ran");
  }
});

test("a call through a grant starts the provider, holds the call until it is ready, with the sandbox boot would give it", async () => {
  const counter = new CounterClient(await handle.kernel.grantFor("greeter", "counter"));
  assert.is(handle.kernel.states().kv, "idle", "getting the counter starts nothing");
  // counter (running) asks its Session for kv at this first use: the kernel starts kv, then answers
  assert.is(await counter.increment(2), 2);
  assert.is(handle.kernel.states().kv, "ready");
  const started = of("starting-on-demand", "kv");
  assert.equal(started.map((e) => [e.by, e.grant]), [["counter", "kv"]]);
  const spawned = of("spawned", "kv");
  assert.is(spawned.length, 1);
  assert.is(of("sandbox-mismatch", "kv").length, 0);
  // the same command line a boot start has (the launch plan does not depend on when), verified from /proc
  const m = manifest();
  const spec = { ...m.processes.find((p) => p.name === "kv")!, start: "boot" as const };
  const sandbox = spawned[0].sandbox as { argv: string[]; uid: number; noNewPrivs: boolean };
  const root = rootOnly("an on-demand process's own uid and no_new_privs");
  const plan = launchPlan(spec, { vars: { state, root: repoRoot }, cwd: "/", identity: null, denoDir: "/" });
  assert.equal(sandbox.argv.slice(1), plan.args, "argv as at boot");
  if (root) {
    assert.is(sandbox.uid, m.uidBase + m.processes.findIndex((p) => p.name === "kv"), "its own uid, as at boot");
    assert.is(sandbox.noNewPrivs, true);
  }
  // the order of events: the grant is handed out only after kv was verified and ready
  const i = (ev: string, p: string) => events.findIndex((e) => e.event === ev && e.process === p);
  assert.ok(i("starting-on-demand", "kv") < i("spawned", "kv") && i("spawned", "kv") < i("ready", "kv"));
  assert.ok(i("ready", "kv") < events.findIndex((e) => e.event === "granted" && e.process === "counter" && e.grant === "kv"));
  assert.is(await counter.increment(1), 3, "later calls go straight through");
  assert.is(of("starting-on-demand", "kv").length, 1, "started once");
});

test("a process that fails to start gives the caller a clear error, goes back to idle, and is failed once its restart policy is spent", async () => {
  const first = await handle.kernel.grantFor("counter", "broken").then(() => null, (e: Error) => e);
  assert.ok(first, "the grant is refused");
  // the same sentence a live upgrade's rollback quotes (kernel/exit-report.ts), its output read to the end
  assert.match(
    first!.message,
    /^"broken" \(provider of broken, started on demand\) did not start: exited with code 3 after \d+\.\d s, before it answered ready; its last output: "fail-start: cannot open \/dev\/zt-missing-device: no such device"$/,
  );
  assert.is(handle.kernel.states().broken, "idle");
  assert.equal(of("on-demand-failed", "broken").map((e) => e.attempt), [1]);
  assert.is(of("restarting", "broken").length, 0, "nobody uses it: no restart loop");
  // the next use tries again; maxRestarts 1 → the second failure is final
  const second = await handle.kernel.grantFor("counter", "broken").then(() => null, (e: Error) => e);
  assert.match(second!.message, /did not start: exited with code 3 after/);
  assert.is(handle.kernel.states().broken, "failed");
  assert.match(String(of("failed", "broken")[0].reason), /started on demand 2 times in a row without getting ready; restart.maxRestarts is 1/);
  const third = await handle.kernel.grantFor("counter", "broken").then(() => null, (e: Error) => e);
  assert.match(third!.message, /"broken" \(provider of broken\) is failed \(its restart policy is exhausted\)/);
  assert.is(of("spawned", "broken").length, 0, "it never answered, so it was never announced as spawned");
});

test("kill -9 of a process started on demand is a crash as for any process: restarted, its grantees re-acquire", async () => {
  const counter = new CounterClient(await handle.kernel.grantFor("greeter", "counter"));
  const pid = handle.kernel.pid("kv")!;
  assert.ok(pid > 0);
  process.kill(pid, "SIGKILL");
  await until("kv restarted", () => of("restarted", "kv")[0]);
  assert.is(of("crashed", "kv")[0].signal, "SIGKILL");
  assert.ok(of("revoked", "counter").some((e) => e.grant === "kv"), "what it served was revoked");
  assert.is.not(handle.kernel.pid("kv"), pid);
  assert.is(handle.kernel.states().kv, "ready");
  assert.is(await counter.increment(1), 4, "the counter re-acquired kv (its data survived)");
  assert.is(of("starting-on-demand", "kv").length, 1, "a restart, not a new on-demand start");
});

test("two callers at once share one on-demand start", async () => {
  const [a, b] = await Promise.all([handle.kernel.grantFor("greeter", "clock"), handle.kernel.grantFor("greeter", "clock")]);
  assert.ok(a && b);
  assert.is(of("starting-on-demand", "clock").length, 1);
  assert.is(of("spawned", "clock").length, 1);
});

test("the kernel's own use (Kernel.kernelGrant, the upgrade agent's flist) starts an on-demand provider too", async () => {
  const echo = new Echo$Client(await handle.kernel.kernelGrant("echo", "echo", {}));
  const got = await echo.echo((p) => p._initData(3).copyBuffer(new Uint8Array([1, 2, 3]))).promise();
  assert.equal([...got.data.toUint8Array()], [1, 2, 3]);
  assert.equal(of("starting-on-demand", "echo").map((e) => [e.by, e.grant]), [["kernel", "echo"]]);
  assert.is(handle.kernel.states().echo, "ready");
});

test.run();
