// Idle memory of the node on the host: the dev grid on loopback (chain, relay, activation service),
// the node under the capability kernel (startNode, what `npm start` runs) registered, then left idle;
// every process's resident set as the kernel measures it (Kernel.memory(): VmRSS, PSS and USS from /proc)
// against its manifest memoryMb budget, next to one bare Deno process that only waits (the floor per process).
// In one run, one node after the other on the same grid, each variant of manifests/node.json:
//   "every process at boot" (the manifest with every `start` removed: the node before on-demand start),
//   "as the manifest says" (on-demand processes idle until used), and for each --v8=FLAGS (repeatable) the latter
//   with those V8 flags for every process (the manifest's top-level v8Flags), or for every process but those
//   named by --v8-skip (e.g. chain: under --lite-mode its metadata decoding outlasts its connect timeout), or
//   only for the processes after an "@" (--v8="--max-semi-space-size=1@identity,chain").
// --skip-eager leaves out the first variant. --baseline REV adds, right after it, the manifest and code of git revision REV (extracted into a
// temp dir; the same node_modules; booted once unmeasured first, to warm its transpile cache), so a code change is
// measured before/after in the same run.
//   node_modules/deno/deno run -A bench/idle-rss.ts [--idle 60] [--baseline HEAD~1] [--v8="--max-semi-space-size=1" ...] [--v8-skip chain]
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { NODE_MANIFEST, startNode } from "../modules/node.ts";
import { denoBinary, repoRoot } from "../kernel/sandbox.ts";
import { stripComments } from "../kernel/manifest.ts";
import { readPssUssMb, readRssMb } from "../kernel/rss.ts";
import { startGrid } from "../vm-tests/scenarios.ts";
import { machineLine, writeSection } from "./lib/report.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { idle: { type: "string", default: "60" }, baseline: { type: "string" }, "skip-eager": { type: "boolean", default: false }, v8: { type: "string", multiple: true }, "v8-skip": { type: "string", default: "" } },
});
const idleS = Math.max(5, Number(values.idle) || 60);
const v8Sets = (values.v8 ?? []).map((v) => {
  const [flags, only = ""] = v.split("@");
  return { flags: flags.split(/[\s,]+/).filter(Boolean), only: new Set(only.split(",").filter(Boolean)) };
}).filter((v) => v.flags.length);
const v8Skip = new Set(values["v8-skip"].split(",").filter(Boolean));
const work = mkdtempSync(join(tmpdir(), "zt-footprint-idle-rss-"));
const load0 = os.loadavg()[0].toFixed(1);

interface Row { process: string; rssMb: number; pssMb: number | null; ussMb: number | null; budgetMb: number | null }
interface Variant { name: string; manifest: string; rows: Row[]; overBudget: string[]; idle: string[]; error?: string; warmUp?: boolean }

/** manifests/node.json rewritten for a variant (absolute root, so it can live in the temp dir). */
function variantManifest(name: string, edit: (m: { v8Flags?: string[]; processes: Record<string, Record<string, unknown>> }) => void, root = repoRoot): string {
  const m = JSON.parse(stripComments(readFileSync(join(root, "manifests", "node.json"), "utf8")));
  m.root = root;
  edit(m);
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify(m, null, 2));
  return path;
}

const variants: Variant[] = [
  { name: "every process at boot", manifest: variantManifest("eager", (m) => Object.values(m.processes).forEach((p) => delete p.start)), rows: [], overBudget: [], idle: [] },
  { name: "on-demand (the manifest)", manifest: variantManifest("on-demand", () => {}), rows: [], overBudget: [], idle: [] },
];
if (values["skip-eager"]) variants.shift(); // a quicker run: only the variants compared
// the tree of --baseline REV, readable by every process's uid, resolving npm packages from this tree's node_modules
let baselineDir = "";
if (values.baseline) {
  const rev = execFileSync("git", ["rev-parse", "--short", values.baseline], { cwd: repoRoot, encoding: "utf8" }).trim();
  baselineDir = mkdtempSync(join(tmpdir(), "zt-footprint-baseline-"));
  chmodSync(baselineDir, 0o755);
  execFileSync("sh", ["-c", `git archive ${rev} | tar -x -C ${baselineDir}`], { cwd: repoRoot });
  symlinkSync(join(repoRoot, "node_modules"), join(baselineDir, "node_modules"));
  variants.splice(values["skip-eager"] ? 0 : 1, 0, { name: `on-demand, code of ${values.baseline} (${rev})`, manifest: variantManifest("baseline", () => {}, baselineDir), rows: [], overBudget: [], idle: [], warmUp: true });
}
// with a baseline, every variant is booted once unmeasured first: an edit to this tree since its last boot
// (a merge touches many files) makes its own transpile cache cold, which costs each process as much as it saves
if (values.baseline) variants.forEach((v) => (v.warmUp = true));
v8Sets.forEach(({ flags: v8, only }, i) => {
  const edit = (m: { v8Flags?: string[]; processes: Record<string, Record<string, unknown>> }) => {
    if (!v8Skip.size && !only.size) return void (m.v8Flags = v8);
    for (const [name, p] of Object.entries(m.processes)) {
      if (only.size ? only.has(name) : !v8Skip.has(name)) p.v8Flags = [...new Set([...((p.v8Flags as string[] | undefined) ?? []), ...v8])];
    }
  };
  const name = `on-demand + ${v8.join(" ")}${only.size ? ` (${[...only].join(", ")} only)` : v8Skip.size ? ` (not ${[...v8Skip].join(", ")})` : ""}`;
  variants.push({ name, manifest: variantManifest(`v8-${i}`, edit), rows: [], overBudget: [], idle: [] });
});

const grid = await startGrid();
const bare = spawn(denoBinary(), ["eval", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
let bareMb = 0;
let bareShared: { pssMb: number; ussMb: number } | null = null;
try {
  for (const v of variants) {
    const state = join(work, v.name.replace(/\W+/g, "-"));
    if (v.warmUp) {
      // a tree never run before pays Deno's cold transpile in every process (≈ +5 MiB each, kept as heap):
      // boot it once unmeasured so it is compared warm, as this tree's code is
      const warm = await startNode({
        stateDir: `${state}-warm-up`, chainUrl: grid.chainUrl, relayUrl: grid.relayUrl, activationUrl: grid.activationUrl, farmId: 1,
        manifest: v.manifest, registerTimeoutMs: 600_000,
      }).catch(() => null);
      await warm?.stop();
    }
    // a variant that does not get the node registered is reported as such, the others still run
    const node = await startNode({
      stateDir: state, chainUrl: grid.chainUrl, relayUrl: grid.relayUrl, activationUrl: grid.activationUrl, farmId: 1,
      manifest: v.manifest,
      registerTimeoutMs: 600_000, // a busy shared machine starts the processes slowly
      onEvent: (e) => {
        if (e.event === "memory-over-budget") v.overBudget.push(`${e.process} ${e.rssMb} MiB > ${e.budgetMb} MiB`);
      },
    }).catch((err: Error) => {
      v.error = err.message.slice(0, 200);
      console.error(`${v.name}: ${v.error}`);
      return null;
    });
    if (!node) continue;
    try {
      console.error(`${v.name}: node ${node.nodeId} registered; idle for ${idleS} s`);
      await new Promise((r) => setTimeout(r, idleS * 1000));
      v.rows = node.kernel.memory().map((s) => ({ process: s.process, rssMb: s.rssMb, pssMb: s.pssMb, ussMb: s.ussMb, budgetMb: s.budgetMb }));
      v.idle = Object.entries(node.kernel.states()).filter(([, s]) => s === "idle").map(([n]) => n);
      bareMb = readRssMb(bare.pid!) ?? NaN;
      bareShared = readPssUssMb(bare.pid!);
    } finally {
      await node.stop();
    }
  }
} finally {
  bare.kill("SIGKILL");
  await grid.stop();
  rmSync(work, { recursive: true, force: true });
  if (baselineDir) rmSync(baselineDir, { recursive: true, force: true });
}

const f1 = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(1));
const meets = (mib: number) => (mib * 1.048576 <= 300 ? "meets" : "MISSES");
const sum = (rows: Row[], k: "rssMb" | "pssMb" | "ussMb") => rows.reduce((a, r) => a + (r[k] ?? NaN), 0);
const names = [...new Set(variants.flatMap((v) => v.rows.map((r) => r.process)))];
const first = variants[0].rows;
names.sort((a, b) => (first.find((r) => r.process === b)?.rssMb ?? 0) - (first.find((r) => r.process === a)?.rssMb ?? 0));
const cell = (v: Variant, n: string) => {
  const r = v.rows.find((x) => x.process === n);
  return r ? `${f1(r.rssMb)} / ${f1(r.pssMb)} / ${f1(r.ussMb)}` : v.idle.includes(n) ? "idle (not started)" : "—";
};
const base = variants[0];
const md = `
## Idle memory of the node (\`bench/idle-rss.ts\`)

Reproduce: \`node_modules/deno/deno run -A bench/idle-rss.ts --idle ${idleS}${values.baseline ? ` --baseline ${values.baseline}` : ""}${values["skip-eager"] ? " --skip-eager" : ""}${v8Sets.map((v) => ` --v8="${v.flags.join(" ")}${v.only.size ? `@${[...v.only].join(",")}` : ""}"`).join("")}${v8Skip.size ? ` --v8-skip ${[...v8Skip].join(",")}` : ""}\` (as root: every process under its own uid).
Machine: ${machineLine()}; load average (1 min) ${load0} → ${os.loadavg()[0].toFixed(1)} (**shared with other engineers**; memory
barely depends on it). The dev grid on loopback; in the same run, one node after the other on that grid, each
registered on the dev chain and then idle ${idleS} s: ${variants.map((v) => `**${v.name}**`).join(", ")}. As the kernel measures
it (\`Kernel.memory()\`): RSS from /proc/PID/status, PSS and USS (private pages) from /proc/PID/smaps_rollup. On the host
the kernel runs the source \`.ts\` entries (Deno's module graph and transpile cache); the image runs one pre-bundled
\`.js\` per process (section v8-flags measures those).

| | ${variants.map((v) => v.name).join(" | ")} |
|---|${variants.map(() => "---|").join("")}
| processes running at idle | ${variants.map((v) => v.error ? `**failed**: ${v.error}` : `${v.rows.length}${v.idle.length ? ` (idle: ${v.idle.join(", ")})` : ""}`).join(" | ")} |
| **Σ PSS MiB** (the honest footprint; goal ≤ 300 MB = 286 MiB) | ${variants.map((v) => `**${f1(sum(v.rows, "pssMb"))}** (${meets(sum(v.rows, "pssMb"))}${v === base ? "" : `, ${((sum(v.rows, "pssMb") / sum(base.rows, "pssMb") - 1) * 100).toFixed(0)} %`})`).join(" | ")} |
| Σ RSS MiB | ${variants.map((v) => `${sum(v.rows, "rssMb").toFixed(0)} (${meets(sum(v.rows, "rssMb"))}${v === base ? "" : `, ${((sum(v.rows, "rssMb") / sum(base.rows, "rssMb") - 1) * 100).toFixed(0)} %`})`).join(" | ")} |
| Σ USS MiB | ${variants.map((v) => f1(sum(v.rows, "ussMb"))).join(" | ")} |
| memory-over-budget events | ${variants.map((v) => (v.overBudget.length ? v.overBudget.join("; ") : "none")).join(" | ")} |

One bare Deno process (\`deno eval\` waiting, same binary) next to them: RSS ${f1(bareMb)} / PSS ${f1(bareShared?.pssMb)} / USS ${f1(bareShared?.ussMb)} MiB.

Per process, idle RSS / PSS / USS MiB (budget = the manifest's memoryMb, RSS):

| process | budget | ${variants.map((v) => v.name).join(" | ")} |
|---|---|${variants.map(() => "---|").join("")}
${names.map((n) => `| ${n} | ${first.find((r) => r.process === n)?.budgetMb ?? "none"} | ${variants.map((v) => cell(v, n)).join(" | ")} |`).join("\n")}

RSS counts the pages of the Deno binary every process maps once per process; PSS divides each shared page among
the processes that map it, so Σ PSS is the node's honest footprint (what the machine would get back if the node
stopped) and Σ USS what its processes hold alone. A process started on demand costs its share again once used
(a gateway or VM deployment starts its driver).
`;
writeSection("idle-rss", md);
console.log(md);
