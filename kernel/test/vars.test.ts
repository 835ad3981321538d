// Manifest variables: which are unset (checked before anything starts), `--var NAME=VALUE` parsing, and
// `zos kernel run --var` end to end (exit 2 naming each unset variable; a set one reaches the process).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { denoBinary, repoRoot } from "../sandbox.ts";
import { loadManifest, stripComments } from "../manifest.ts";
import { defaultRunDir } from "../kernel.ts";
import { parseVarFlags, unsetVariables } from "../vars.ts";

const tmp = mkdtempSync(join(tmpdir(), "zt-vars-"));
const cli = join(repoRoot, "cli", "zos.ts");

// the dev example's kv driver, its data folder given by the caller as ${kvdir}
function kvManifest(): string {
  const m = JSON.parse(stripComments(readFileSync(join(repoRoot, "manifests", "dev-example.json"), "utf8")));
  const kv = m.processes.kv;
  kv.args = ["${kvdir}"];
  kv.sandbox = { read: ["${kvdir}"], write: ["${kvdir}"] };
  const p = join(tmp, "kv-vars.json");
  writeFileSync(p, JSON.stringify({ version: 1, root: repoRoot, processes: { kv } }));
  return p;
}

test("unsetVariables names each unset variable and where it is used; built-ins and set ones are fine", () => {
  const r = loadManifest(join(repoRoot, "manifests", "node.json"));
  if (!r.ok) throw new Error("node manifest invalid");
  const unset = unsetVariables(r.manifest, { chainurl: "ws://x:1", farm: "1" });
  assert.equal(unset.map((u) => u.name), ["activationhost", "activationurl", "chainhost", "disks", "gatewaylisten", "gatewayns", "hdd", "hubhosts", "hubstore", "qemu", "relayhost", "relayurl", "requiressd", "zdblisten"]);
  assert.equal(unset.find((u) => u.name === "chainhost")!.usedIn, ["chain sandbox.net"]);
  assert.equal(unset.find((u) => u.name === "relayurl")!.usedIn, ["rmb args"]);
  const all = { chainurl: "", chainhost: "", relayurl: "", relayhost: "", farm: "", activationurl: "", activationhost: "", zdblisten: "", gatewaylisten: "", gatewayns: "", disks: "", hdd: "", requiressd: "", hubhosts: "", hubstore: "", qemu: "" };
  assert.equal(unsetVariables(r.manifest, all), []);
});

test("parseVarFlags: NAME=VALUE, values may contain =; bad names, duplicates and built-ins refused", () => {
  assert.equal(parseVarFlags(["a=1", "url=ws://h:1/?x=y", "empty="]), { a: "1", url: "ws://h:1/?x=y", empty: "" });
  assert.throws(() => parseVarFlags(["novalue"]), /has no "="/);
  assert.throws(() => parseVarFlags(["1x=2"]), /not a variable name/);
  assert.throws(() => parseVarFlags(["a=1", "a=2"]), /given twice/);
  assert.throws(() => parseVarFlags(["state=/x"]), /use --state DIR/);
  assert.throws(() => parseVarFlags(["root=/x"]), /set by the kernel/);
});

test("zos kernel run: an unset variable stops the run before anything starts (exit 2, no stack)", () => {
  const state = join(tmp, "state-unset");
  const r = spawnSync(denoBinary(), ["run", "-A", "--quiet", "--no-lock", cli, "kernel", "run", "--manifest", kvManifest(), "--state", state], { encoding: "utf8", cwd: tmp });
  assert.is(r.status, 2);
  assert.match(r.stderr, /uses variables that are not set \(nothing was started\)/);
  assert.match(r.stderr, /\$\{kvdir\}\s+used in kv args, kv sandbox\.read, kv sandbox\.write/);
  assert.match(r.stderr, /--var kvdir=/);
  assert.not.match(r.stderr, /at .*\.ts:\d+/);
  assert.not.ok(existsSync(state), "nothing was created");
  const bad = spawnSync(denoBinary(), ["run", "-A", "--quiet", "--no-lock", cli, "kernel", "run", "--manifest", kvManifest(), "--var", "kvdir"], { encoding: "utf8", cwd: tmp });
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--var "kvdir" has no "="/);
});

test("zos kernel run --var: the value reaches the process's args and sandbox", async () => {
  const kvdir = join(tmp, "kvdata");
  const state = join(tmp, "state");
  const child = spawn(denoBinary(), ["run", "-A", "--quiet", "--no-lock", cli, "kernel", "run", "--manifest", kvManifest(), "--json", "--state", state, "--var", `kvdir=${kvdir}`], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  try {
    const deadline = Date.now() + 30_000;
    while (!out.includes('"kernel-ready"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(out.includes('"notReady":[]'), out);
  } finally {
    process.kill(child.pid!, "SIGTERM");
  }
  assert.is(await exited, 0);
  const spawned = out.trim().split("\n").map((l) => JSON.parse(l)).find((e) => e.event === "spawned" && e.process === "kv");
  const argv: string[] = spawned.argv;
  assert.ok(argv.includes(kvdir), argv.join(" "));
  assert.ok(argv.some((a) => a === `--allow-write=${kvdir}`), argv.join(" "));
  rmSync(defaultRunDir(state), { recursive: true, force: true });
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
