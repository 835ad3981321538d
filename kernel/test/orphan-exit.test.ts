// A process whose kernel died must not linger: every process of manifests/node.json, started as the kernel
// starts it (kernel/sandbox.ts launchPlan: its permissions, its manifest arguments; under root an unprivileged
// uid of its own with no capabilities, so nothing privileged happens here), must reach its RPC connection to
// the kernel (its first frame on stdout) even when nothing it talks to answers (the chain and relay URLs
// point at a closed port), and exit with status 0 — itself and every process it started — once its stdin
// closes, as it does when the kernel dies.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { launchPlan, repoRoot } from "../sandbox.ts";
import { loadManifest, type ProcessSpec } from "../manifest.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { descendants } from "../../tools/test-proc.ts";

const isRoot = process.getuid?.() === 0;
const uid = 62000 + (process.pid % 1000);
const work = tempDir("zt-footprint-orphan-");
const state = join(work, "state");
chmodSync(work, 0o711); // the processes' own uid passes through to its folders (as the kernel's state dir)

/** `p`, or `fallback` after `ms` (the timer cleared either way, so it holds no event loop). */
async function within<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const dead = `127.0.0.1:${await closedPort()}`;
const vars: Record<string, string> = {
  state, root: repoRoot, farm: "1",
  chainurl: `ws://${dead}`, chainhost: dead, relayurl: `ws://${dead}`, relayhost: dead,
  activationurl: `http://${dead}/activation/activate`, activationhost: dead,
  zdblisten: "127.0.0.1:0", gatewaylisten: "127.0.0.1:0", gatewayns: "-",
  hubhosts: dead, hubstore: `http://${dead}/blocks`, qemu: "/usr/bin/qemu-system-x86_64",
  disks: "-", hdd: "-", requiressd: "no",
};

const loaded = loadManifest(join(repoRoot, "manifests", "node.json"));
if (!loaded.ok) throw new Error("manifests/node.json does not load");
const specs = loaded.manifest.processes;

const alive = (pid: number) => {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

interface Outcome { name: string; framed: boolean; exit: number | string | null; leftover: number[]; stderr: string }

async function runOne(spec: ProcessSpec): Promise<Outcome> {
  const dir = join(state, spec.name);
  const cwd = join(work, "cwd", spec.name);
  const denoDir = join(work, "deno");
  for (const d of [dir, cwd, denoDir]) mkdirSync(d, { recursive: true, mode: 0o711 });
  if (isRoot) for (const d of [state, dir, join(work, "cwd"), cwd, denoDir]) chownSync(d, uid, uid);
  const identity = isRoot ? { uid, gid: uid, groups: [], capabilities: [] } : null;
  const plan = launchPlan(spec, { vars, cwd, identity, denoDir });
  const child: ChildProcess = spawn(plan.command, plan.args, { cwd: plan.cwd, env: plan.env, stdio: ["pipe", "pipe", "pipe"] });
  const out: Outcome = { name: spec.name, framed: false, exit: null, leftover: [], stderr: "" };
  child.stderr!.on("data", (b) => (out.stderr = (out.stderr + b).slice(-2000)));
  const exited = new Promise<number | string>((r) => child.on("exit", (code, sig) => r(code ?? sig ?? -1)));
  try {
    // its first frame: the bootstrap request startProcess sends (a cold Deno cache under load: generous)
    const framed = Promise.race([new Promise<boolean>((r) => child.stdout!.once("data", () => r(true))), exited.then(() => false)]);
    out.framed = await within(framed, 90_000, false);
    const kids = descendants(child.pid!);
    child.stdin!.end(); // the kernel is gone
    out.exit = await within(exited, 30_000, null);
    // what it started ends with it (a child reading the pipe it held sees the end): poll for that, up to 10 s
    for (let i = 0; i < 100 && kids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    out.leftover = kids.filter(alive);
    return out;
  } finally {
    child.kill("SIGKILL");
    for (const k of descendants(child.pid!)) {
      try {
        process.kill(k, "SIGKILL");
      } catch { /* gone */ }
    }
  }
}

test("every process of the node manifest reaches its kernel connection, and exits (status 0, nothing left) when its stdin closes", async () => {
  mkdirSync(state, { recursive: true });
  const outcomes: Outcome[] = [];
  const queue = [...specs];
  // three at a time: 18 Deno starts on a shared 2-core machine
  await Promise.all([0, 1, 2].map(async () => {
    for (let s = queue.shift(); s; s = queue.shift()) outcomes.push(await runOne(s));
  }));
  const bad = outcomes.filter((o) => !o.framed || o.exit !== 0 || o.leftover.length).map((o) =>
    `${o.name}: ${!o.framed ? "no RPC frame before stdin closed (top-level code waits before startProcess); " : ""}` +
    `exit ${o.exit === null ? "none within 30 s" : o.exit}${o.leftover.length ? `; left running: ${o.leftover.join(",")}` : ""}` +
    `${o.exit !== 0 ? ` — stderr: ${o.stderr.slice(-300)}` : ""}`
  );
  assert.equal(bad, [], bad.join("\n"));
  assert.equal(outcomes.length, specs.length);
});

test.run();
