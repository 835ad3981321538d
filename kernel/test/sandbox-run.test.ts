// Launch plans started for real (kernel/sandbox.ts → a Deno child, under root through setpriv as its own uid)
// and read back from /proc by the kernel's check (kernel/sandbox-check.ts): no difference when started as
// planned, the difference named when the command line was widened. The plans themselves, exactly, are in
// sandbox-plan.test.ts (run first by `npm run mutate -- sandbox`, which stops at the first red suite).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { denoBinary, launchPlan, type LaunchPlan } from "../sandbox.ts";
import { expectedFacts, readSandboxFacts, sandboxDifferences, type SandboxFacts } from "../sandbox-check.ts";
import { rootOnly } from "../../tools/test-env.ts";
import { entryDir as tmp, opts, specs } from "./fixtures/sandbox-specs.ts";

/** Starts a plan for real, waits for the script's "up", returns what /proc shows and the differences. */
async function startAndRead(plan: LaunchPlan): Promise<{ facts: SandboxFacts; differences: string[] }> {
  const child = spawn(plan.command, plan.args, { cwd: plan.cwd, env: plan.env, stdio: ["ignore", "pipe", "pipe"] });
  try {
    let err = "";
    child.stderr!.on("data", (b) => (err += b));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (b) => String(b).includes("up") && resolve());
      child.on("exit", (code) => reject(new Error(`exited ${code} before it was up: ${err.slice(0, 500)}`)));
    });
    const facts = readSandboxFacts(child.pid!);
    return { facts, differences: sandboxDifferences(expectedFacts(plan), facts) };
  } finally {
    child.kill("SIGKILL");
  }
}

const isRoot = process.getuid?.() === 0;
const uid = 61000 + (process.pid % 1000);

/** The kernel's way: under root every process gets a uid of its own (and a Deno cache that uid owns). */
function ownIdentity(groups: number[], capabilities: string[]): Pick<LaunchPlan, "identity"> & { denoDir: string } {
  if (!isRoot) {
    mkdirSync(opts.denoDir, { recursive: true });
    return { identity: null, denoDir: opts.denoDir };
  }
  const denoDir = join(tmp, `deno-${uid}`);
  mkdirSync(denoDir, { recursive: true, mode: 0o700 });
  chownSync(denoDir, uid, uid);
  return { identity: { uid, gid: uid, groups, capabilities }, denoDir };
}

test("a module started from its plan runs exactly as planned, and the check sees an inserted -A", async () => {
  const plan = launchPlan({ ...specs().mod, memoryMb: 64 }, { ...opts, ...ownIdentity([], []) });
  const { facts, differences } = await startAndRead(plan);
  assert.equal(differences, []);
  assert.ok(facts.argv.includes("--deny-read") && facts.argv.includes("--v8-flags=--max-old-space-size=64"));
  if (isRoot) assert.equal([facts.uid, facts.groups, facts.capEff, facts.capBnd, facts.noNewPrivs], [uid, [], "0000000000000000", "0000000000000000", true]);
  const at = plan.args.indexOf(denoBinary()) + 2; // after Deno's `run`
  const widened = { ...plan, args: [...plan.args.slice(0, at), "-A", ...plan.args.slice(at)] };
  const seen = sandboxDifferences(expectedFacts(plan), (await startAndRead(widened)).facts);
  assert.equal(seen, ["argv differs; added: -A"]);
});

test("under root, a driver started through setpriv runs as its own uid with exactly its capability and group, no_new_privs", async () => {
  if (!rootOnly("setpriv identity of a launch plan")) return;
  const plan = launchPlan(specs().drv, { ...opts, ...ownIdentity([6], ["CAP_NET_BIND_SERVICE"]) });
  const { facts, differences } = await startAndRead(plan);
  assert.equal(differences, []);
  assert.equal([facts.uid, facts.gid, facts.groups, facts.capAmb, facts.capBnd, facts.capEff, facts.noNewPrivs], [uid, uid, [6], "0000000000000400", "0000000000000400", "0000000000000400", true]);
});

test.run();
