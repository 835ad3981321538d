// `zos kernel` and `zos caps` as a user runs them: exit codes, --json, --help, errors without stacks.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { denoBinary, repoRoot } from "../sandbox.ts";
import { stripComments } from "../manifest.ts";
import { defaultRunDir } from "../kernel.ts";

const tmp = mkdtempSync(join(tmpdir(), "zt-cli-"));
const example = join(repoRoot, "manifests", "dev-example.json");

function zos(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(denoBinary(), ["run", "-A", "--quiet", "--no-lock", join(repoRoot, "cli", "zos.ts"), ...args], { encoding: "utf8", cwd: tmp, env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

// deno-lint-ignore no-explicit-any -- raw manifest JSON
function variant(name: string, edit: (m: any) => void): string {
  const m = JSON.parse(stripComments(readFileSync(example, "utf8")));
  m.root = repoRoot;
  edit(m);
  const p = join(tmp, name);
  writeFileSync(p, JSON.stringify(m));
  return p;
}

test("--help everywhere, exit 0", () => {
  for (const args of [["caps", "--help"], ["caps", "audit", "--help"], ["caps", "diff", "--help"], ["kernel", "--help"], ["kernel", "run", "--help"], ["kernel", "check", "--help"]]) {
    const r = zos(...args);
    assert.is(r.code, 0, args.join(" "));
    assert.match(r.out, /usage:/);
  }
});

test("caps audit: text matrix and --json, default manifest", () => {
  const text = zos("caps", "audit", "--manifest", example);
  assert.is(text.code, 0, text.err);
  assert.match(text.out, /Matrix/);
  assert.match(text.out, /grant kv: kv\.kv \(Kv\) \{"namespace":"counter"\}/);
  const j = zos("caps", "audit", "--manifest", example, "--json");
  assert.is(j.code, 0);
  const a = JSON.parse(j.out);
  const greeter = a.processes.find((p: { name: string }) => p.name === "greeter");
  assert.ok(greeter.reach.some((r: { capability: string }) => r.capability === "kv.kv"));
  assert.is(zos("caps", "audit").code, 0, "manifests/node.json by default");
  // uid, groups and Linux capabilities per process
  assert.match(text.out, /^kv {2}\(driver, uid 61000, no groups, no Linux capabilities, entry capabilities\/kv\/main\.ts\)/m);
  const node = JSON.parse(zos("caps", "audit", "--json").out);
  const hostfacts = node.processes.find((p: { name: string }) => p.name === "hostfacts");
  assert.equal(hostfacts.linux, { capabilities: ["CAP_DAC_READ_SEARCH"], groups: [] });
  assert.is(typeof hostfacts.uid, "number");
  // the vm group: exactly the hypervisor, flist and blockdev drivers, with its gid in the text
  assert.equal(node.processes.filter((p: { linux: { groups: string[] } }) => p.linux.groups.includes("vm")).map((p: { name: string }) => p.name).sort(), ["blockdev", "flist", "hypervisor"]);
  assert.match(zos("caps", "audit").out, /^hypervisor {2}\(driver, uid \d+, groups vm\(gid 60990\), /m);
});

test("caps diff: 0 when equal or narrower, 1 when widened, 2 on bad input", () => {
  assert.is(zos("caps", "diff", example, example).code, 0);
  const narrower = variant("narrow.json", (m) => delete m.processes.reporter.grants.log);
  const n = zos("caps", "diff", example, narrower);
  assert.is(n.code, 0, n.out + n.err);
  assert.match(n.out, /- grant log/);
  const wider = variant("wide.json", (m) => (m.processes.greeter.grants.kv = { from: "kv", cap: "kv", restrictions: { namespace: "counter" } }));
  const w = zos("caps", "diff", example, wider, "--json");
  assert.is(w.code, 1);
  const d = JSON.parse(w.out);
  assert.is(d.widened, true);
  assert.equal(d.processes[0].gained[0], { what: 'grant kv: kv.kv {"namespace":"counter"}', widens: true });
  const capable = variant("capable.json", (m) => (m.processes.log.linux = { capabilities: ["CAP_NET_ADMIN"] }));
  const c = zos("caps", "diff", example, capable);
  assert.is(c.code, 1, "an added Linux capability widens");
  assert.match(c.out, /\+ linux capability CAP_NET_ADMIN {3}\(widens\)/);
  const grouped = variant("grouped.json", (m) => (m.processes.log.linux = { groups: ["vm"] }));
  const g = zos("caps", "diff", example, grouped);
  assert.is(g.code, 1, "joining the vm group widens");
  assert.match(g.out, /\+ linux group vm {3}\(widens\)/);
  const missing = zos("caps", "diff", example, join(tmp, "nope.json"));
  assert.is(missing.code, 2);
  assert.match(missing.err, /does not exist/);
  assert.is(zos("caps", "diff", example).code, 2);
  const bad = zos("caps", "audit", "--bogus");
  assert.is(bad.code, 2);
  assert.not.match(bad.err, /\n\s+at /, "no stack trace");
});

test("kernel check names the process and key of each error", () => {
  const broken = variant("broken.json", (m) => {
    m.processes.greeter.grants.secret = { from: "kv", cap: "root" };
    m.processes.counter.colour = "red";
  });
  const r = zos("kernel", "check", "--manifest", broken);
  assert.is(r.code, 2);
  assert.match(r.err, /process "greeter", grants\.secret\.cap: "kv" does not expose "root"/);
  assert.match(r.err, /process "counter", colour: unknown key/);
  assert.not.match(r.err, /\n\s+at /);
  assert.is(zos("kernel", "run").code, 2);
  const ok = zos("kernel", "check", "--manifest", example, "--json");
  assert.is(ok.code, 0);
  assert.equal(JSON.parse(ok.out).waves, [["kv", "log", "clock"], ["counter"], ["greeter"], ["reporter"]]);
});

test("kernel run --json: one JSON event per line, SIGTERM stops everything, exit 0", async () => {
  const child = spawn(denoBinary(), ["run", "-A", "--quiet", "--no-lock", join(repoRoot, "cli", "zos.ts"), "kernel", "run", "--manifest", example, "--json", "--state", join(tmp, "state")], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  try {
    const deadline = Date.now() + 30_000;
    while (!out.includes('"kernel-ready"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(out.includes('"kernel-ready"'), out);
    assert.ok(out.includes('"notReady":[]'), "every process ready");
  } finally {
    // process.kill, not child.kill: Deno's ChildProcess reports a signal it sent itself as the exit cause.
    process.kill(child.pid!, "SIGTERM");
  }
  const code = await exited;
  assert.is(code, 0);
  const events = out.trim().split("\n").map((l) => JSON.parse(l));
  const kinds = events.map((e) => e.event);
  for (const k of ["kernel-starting", "spawned", "ready", "granted", "kernel-ready", "kernel-stopping", "stopped", "calls", "kernel-stopped"]) assert.ok(kinds.includes(k), k);
  assert.is(events.filter((e) => e.event === "stopped").length, 6);
});

test.after(() => {
  rmSync(defaultRunDir(join(tmp, "state")), { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

test.run();
