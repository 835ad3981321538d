// The escape suite as a user meets it: `npx zos kernel run --manifest F` (Node → bin/zos.js → the Deno CLI →
// the kernel), with an untrusted module granted only `log`. Asserted from /proc, not from the kernel's
// plan: no process under the kernel runs with -A/--allow-all, as root, or with a Deno permission beyond its
// manifest; the kernel's verified `spawned` facts equal /proc. The untrusted module's ≥ 29 ambient attempts
// (files, sockets, processes, FFI, environment, computed imports) and its capability attempts all fail.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:net";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { permissionFlags, repoRoot } from "../sandbox.ts";
import { validateManifest } from "../manifest.ts";
import { readSandboxFacts } from "../sandbox-check.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { descendants } from "../../tools/test-proc.ts";
import { rootOnly } from "../../tools/test-env.ts";

const tmp = tempDir("zt-sandbox-escape-cli-");
const state = join(tmp, "state");
const unixPath = join(tmp, "s.sock");
const fixtures = "kernel/test/fixtures";
let tcp: Server;
let unix: Server;
let tcpConnections = 0;
let unixConnections = 0;
let cli: ChildProcess;
let out = "";
let manifestPath = "";
let raw: Record<string, unknown> = {};

type Event = { event: string; process?: string; [k: string]: unknown };
const events = (): Event[] => out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));

function waitFor(pred: (e: Event) => boolean, ms: number, what: string): Promise<Event> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      const e = events().find(pred);
      if (e) {
        clearInterval(iv);
        resolve(e);
      } else if (Date.now() - t0 > ms || cli.exitCode !== null) {
        clearInterval(iv);
        reject(new Error(`${what}: not seen within ${ms} ms (cli exit ${cli.exitCode}); output:\n${out.slice(-2000)}`));
      }
    }, 20);
  });
}

function untrustedLines(): Record<string, unknown>[] {
  return events()
    .filter((e) => e.event === "output" && e.process === "log")
    .map((e) => JSON.parse(e.line as string))
    .filter((l) => l.log === "untrusted")
    .map((l) => JSON.parse(l.message));
}

test.before(async () => {
  tcp = createServer((s) => {
    tcpConnections++;
    s.destroy();
  });
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  unix = createServer((s) => {
    unixConnections++;
    s.destroy();
  });
  await new Promise<void>((r) => unix.listen(unixPath, r));
  chmodSync(tmp, 0o755);
  chmodSync(unixPath, 0o777); // reachable by any uid: only the sandbox stands in the way
  const port = (tcp.address() as { port: number }).port;
  raw = {
    version: 1,
    root: repoRoot,
    processes: {
      kv: { kind: "driver", entry: "capabilities/kv/main.ts", args: ["${state}/kv"], sandbox: { read: ["${state}/kv"], write: ["${state}/kv"] }, exposes: { kv: { interface: "Kv" } } },
      log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
      counter: { kind: "module", entry: "modules/counter/main.ts", exposes: { counter: { interface: "Counter" } }, grants: { kv: { from: "kv", cap: "kv", restrictions: { namespace: "counter" } }, log: { from: "log", cap: "log" } } },
      untrusted: { kind: "module", entry: `${fixtures}/untrusted/main.ts`, args: [String(port), unixPath, "${state}/kv/counter/k_value"], depends: ["counter"], grants: { log: { from: "log", cap: "log" } }, restart: { maxRestarts: 0 } },
    },
  };
  manifestPath = join(tmp, "untrusted.json");
  writeFileSync(manifestPath, JSON.stringify(raw, null, 2));
  // Exactly what a user types, from the repository (npx finds the package's own `zos` bin there).
  cli = spawn("npx", ["--no-install", "zos", "kernel", "run", "--manifest", manifestPath, "--state", state, "--json"], {
    cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, NO_COLOR: "1" },
  });
  cli.stdout!.setEncoding("utf8");
  cli.stdout!.on("data", (d: string) => (out += d));
  cli.stderr!.on("data", () => {});
  await waitFor((e) => e.event === "kernel-ready", 60_000, "kernel-ready");
});

test.after(async () => {
  // SIGTERM to the Deno CLI (the kernel) stops everything in order; the group kill is the safety net.
  const kernelPid = descendants(cli.pid!).find((p) => readFileSync(`/proc/${p}/cmdline`, "utf8").includes("cli/zos.ts"));
  if (kernelPid) process.kill(kernelPid, "SIGTERM");
  await new Promise((r) => { const t = setTimeout(r, 8000); cli.on("exit", () => { clearTimeout(t); r(null); }); });
  try {
    process.kill(-cli.pid!, "SIGKILL");
  } catch { /* all gone */ }
  tcp?.close();
  unix?.close();
});

test("from /proc: no process under `zos kernel run` has -A, root, or a permission beyond its manifest", () => {
  const m = validateManifest(raw, { path: manifestPath });
  if (!m.ok) throw new Error(JSON.stringify(m.errors));
  const spawned = new Map(events().filter((e) => e.event === "spawned").map((e) => [e.pid as number, e]));
  const vars = { state, root: repoRoot };
  const root = rootOnly("no process under `zos kernel run` runs as root or holds a Linux capability");
  let checked = 0;
  for (const pid of descendants(cli.pid!)) {
    let facts;
    try {
      facts = readSandboxFacts(pid);
    } catch {
      continue; // exited meanwhile
    }
    const line = facts.argv.join(" ");
    if (line.includes("cli/zos.ts")) continue; // the user's own CLI (deno run -A cli/zos.ts) hosts the kernel
    assert.not.ok(facts.argv.includes("-A") || facts.argv.includes("--allow-all"), `pid ${pid} runs with all permissions: ${line}`);
    if (!facts.argv[0].endsWith("/deno") || facts.argv[1] !== "run") continue; // npx, sh, the Node shim
    const e = spawned.get(pid);
    assert.ok(e, `pid ${pid} (${line}) was announced by the kernel`);
    const spec = m.manifest.processes.find((p) => p.name === e!.process)!;
    const granted = permissionFlags(spec, vars);
    const allows = facts.argv.filter((a) => a.startsWith("--allow-"));
    assert.equal(allows, granted.filter((f) => f.startsWith("--allow-")), `${spec.name}: exactly its manifest's permissions`);
    assert.equal(facts.argv.filter((a) => a.startsWith("--deny-")).length + allows.length, 7, `${spec.name}: every permission stated`);
    assert.equal(e!.sandbox, facts, `${spec.name}: the kernel's verified facts are what /proc says`);
    if (root) {
      assert.is.not(facts.uid, 0, `${spec.name} runs as root`);
      assert.is(facts.capEff, "0000000000000000", `${spec.name} holds Linux capabilities`);
      assert.ok(facts.noNewPrivs, `${spec.name} no_new_privs`);
    }
    checked++;
  }
  assert.ok(checked >= 3, `checked ${checked} processes`); // kv, log, counter (untrusted may be gone already)
});

test("the untrusted module reaches nothing: ≥ 29 ambient attempts and every capability attempt fail", async () => {
  await waitFor((e) => e.event === "output" && e.process === "log" && String(e.line).includes('\\"summary\\"'), 60_000, "untrusted summary");
  const lines = untrustedLines();
  const attempts = lines.filter((l) => "attempt" in l) as { attempt: string; outcome: string }[];
  const summary = lines.find((l) => "summary" in l)!.summary as { attempts: number; escaped: number };
  const capability = (a: string) => /^Session\.|log grant|released reference|as another process/.test(a);
  const ambient = attempts.filter((a) => !capability(a.attempt));
  const escaped = attempts.filter((a) => !a.outcome.startsWith("blocked"));
  console.log(`through npx zos kernel run: ${ambient.length} ambient + ${attempts.length - ambient.length} capability attempts, escaped: ${escaped.length}`);
  for (const a of escaped) console.log(`  ✘ ${a.attempt} — ${a.outcome}`);
  assert.is(attempts.length, summary.attempts, "every attempt was reported");
  assert.ok(ambient.length >= 29, `at least 29 ambient attempts (got ${ambient.length})`);
  assert.ok(attempts.length - ambient.length >= 10, "capability attempts too");
  assert.equal(escaped, []);
  assert.is(summary.escaped, 0);
  assert.is(tcpConnections, 0, "no TCP connection reached the listener");
  assert.is(unixConnections, 0, "no unix socket connection reached the listener");
  assert.not.ok(existsSync("/tmp/zt-escape") || existsSync("/tmp/zt-escape-dir"));
  const spoof = events().find((e) => e.event === "output" && e.process === "log" && String(e.line).includes("spoof"));
  assert.is(JSON.parse(spoof!.line as string).log, "untrusted", "log lines carry the grantee the kernel named");
});

test("a forged reference gets the forger cut off and given up; the kernel serves on", async () => {
  const err = await waitFor((e) => e.event === "protocol-error" && e.process === "untrusted", 30_000, "untrusted protocol error");
  assert.match(String(err.reason), /unknown export id 777/);
  await waitFor((e) => e.event === "failed" && e.process === "untrusted", 30_000, "untrusted given up");
  assert.not.ok(events().some((e) => e.event === "crashed" && e.process !== "untrusted"), "nothing else crashed");
});

test.run();
