// The chain driver's idle memory, standalone: the dev chain in this process, then the driver's entry
// (capabilities/chain/main.ts) started as the kernel starts it (same deno flags, the manifest's v8Flags and
// memoryMb heap cap, a pipe on stdin that stays open: no kernel answers, the driver connects to the chain
// anyway), left idle, then its /proc/PID/smaps_rollup. Variants alternate within each round, so load from
// other processes hits them alike; each variant has its own DENO_DIR and is started once unmeasured first (warm).
// A variant is this tree, --baseline REV (repeatable: that revision's tree, extracted), this tree with extra deno
// flags (--deno="--conditions=browser") or V8 flags (--v8="--flag,--flag[|deno flags]", repeatable), or --bundle
// (this tree's entry bundled as the image bundles it). Prints each round and the medians (docs/PERFORMANCE.md
// "Session 8: the chain driver's idle memory").
//   node_modules/deno/deno run -A bench/chain-idle.ts [--rounds 3] [--idle 30] [--baseline main] [--v8="--stress-flush-code"]
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { denoBinary, repoRoot } from "../kernel/sandbox.ts";
import { stripComments } from "../kernel/manifest.ts";
import { startChain } from "../grid/chain/mod.ts";
import { bundle } from "../rootfs/lib/bundle.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rounds: { type: "string", default: "3" },
    idle: { type: "string", default: "30" },
    baseline: { type: "string", multiple: true },
    deno: { type: "string", multiple: true },
    v8: { type: "string", multiple: true },
    bundle: { type: "boolean", default: false },
  },
});
const rounds = Math.max(1, Number(values.rounds) || 3);
const idleS = Math.max(5, Number(values.idle) || 30);

interface Variant { denoDir?: string; name: string; root: string; v8: string[]; samples: Record<string, number>[]; entry?: string; deno?: string[] }
function chainSpec(root: string): { v8Flags: string[]; memoryMb: number; conditions?: string[] } {
  const m = JSON.parse(stripComments(readFileSync(join(root, "manifests", "node.json"), "utf8")));
  return m.processes.chain;
}
const variants: Variant[] = [{ name: "this tree", root: repoRoot, v8: [], samples: [] }];
const baselineDirs: string[] = [];
for (const b of values.baseline ?? []) {
  const rev = execFileSync("git", ["rev-parse", "--short", b], { cwd: repoRoot, encoding: "utf8" }).trim();
  const dir = mkdtempSync(join(tmpdir(), "zt-chainmem-baseline-"));
  baselineDirs.push(dir);
  chmodSync(dir, 0o755);
  execFileSync("sh", ["-c", `git archive ${rev} | tar -x -C ${dir}`], { cwd: repoRoot });
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  variants.splice(variants.length - 1, 0, { name: `${b} (${rev})`, root: dir, v8: [], samples: [] });
}
for (const d of values.deno ?? []) variants.push({ name: `this tree + ${d}`, root: repoRoot, v8: [], samples: [], deno: d.split(",").filter(Boolean) });
// --v8="FLAGS[|DENO FLAGS]": V8 flags, optionally with deno flags in the same variant
for (const v of values.v8 ?? []) {
  const [v8, deno = ""] = v.split("|");
  variants.push({ name: `this tree + ${v}`, root: repoRoot, v8: v8.split(",").filter(Boolean), deno: deno.split(",").filter(Boolean), samples: [] });
}

if (values.bundle) {
  // this tree's entry bundled as the image bundles it (rootfs/lib/bundle.ts): one module instead of the npm graph
  const dir = mkdtempSync(join(tmpdir(), "zt-chainmem-bundle-"));
  baselineDirs.push(dir); // removed at the end with the baselines
  const entry = join(dir, "main.bundle.js");
  bundle(repoRoot, "capabilities/chain/main.ts", entry);
  variants.push({ name: "this tree, bundled as in the image", root: repoRoot, v8: [], samples: [], entry });
}
// one DENO_DIR per variant: V8 refuses a code cache made under other flags, and alternating variants in one
// cache would then measure every flag variant cold
const denoDir = mkdtempSync(join(tmpdir(), "zt-chainmem-denodir-"));
variants.forEach((v, i) => (v.denoDir = join(denoDir, String(i))));
const chain = await startChain({ blockTimeMs: 500, log: () => {} });

function smaps(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").split("\n")) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]) / 1024;
  }
  return out;
}

async function runOnce(v: Variant, idle: number): Promise<Record<string, number>> {
  const spec = chainSpec(v.root);
  const flags = [...spec.v8Flags, ...v.v8, `--max-old-space-size=${spec.memoryMb}`];
  const child = spawn(denoBinary(), [
    "run", "--quiet", "--no-prompt", "--no-lock", "--no-remote", "--no-config", "--node-modules-dir=manual", "-A",
    ...(spec.conditions?.length ? [`--conditions=${spec.conditions.join(",")}`] : []), ...(v.deno ?? []),
    `--v8-flags=${flags.join(",")}`, v.entry ?? join(v.root, "capabilities", "chain", "main.ts"), chain.url, "", "",
  ], { cwd: v.root, env: { DENO_DIR: v.denoDir!, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", PATH: process.env.PATH ?? "" }, stdio: ["pipe", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const connected = new Promise<void>((res) => child.stderr!.on("data", () => err.includes("connected to") && res()));
  try {
    await Promise.race([connected, new Promise((_, rej) => setTimeout(() => rej(new Error(`not connected in 60 s: ${err}`)), 60_000))]);
    await new Promise((r) => setTimeout(r, idle * 1000));
    return smaps(child.pid!);
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  }
}

try {
  // warm every tree's transpile cache first (a cold start leaves its compile behind)
  for (const v of variants) await runOnce(v, 1);
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const s = await runOnce(v, idleS);
      v.samples.push(s);
      console.log(`round ${r + 1} ${v.name}: PSS ${s.Pss.toFixed(1)} RSS ${s.Rss.toFixed(1)} anon ${s.Anonymous.toFixed(1)} private_dirty ${s.Private_Dirty.toFixed(1)} MiB (load ${os.loadavg()[0].toFixed(1)})`);
    }
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nmedian of ${rounds} rounds, ${idleS} s idle:`);
  for (const v of variants) {
    console.log(`  ${v.name}: PSS ${med(v.samples.map((s) => s.Pss)).toFixed(1)}  RSS ${med(v.samples.map((s) => s.Rss)).toFixed(1)}  anon ${med(v.samples.map((s) => s.Anonymous)).toFixed(1)} MiB`);
  }
} finally {
  await chain.stop();
  rmSync(denoDir, { recursive: true, force: true });
  for (const d of baselineDirs) rmSync(d, { recursive: true, force: true });
}
