// `npm run defects [-- id ...]`: makes each of issue 17's defects again, in a copy of the tree, and runs the
// suites that claim to rule it out; every one of them must fail. A defect a suite no longer notices (green
// with the defect made) or an edit that no longer applies (the code moved on) fails the run. The working
// tree is never edited: each defect gets its own copy (the files git tracks or would track, node_modules
// linked), removed afterwards.
//
// usage: npm run defects [-- --json] [--keep] [--baseline] [id ...]   (no id: all of them; exit 0 = every defect caught)
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findDenoBinary } from "../../bin/deno-binary.js";
import { type Defect, DEFECTS } from "./list.ts";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

export interface SuiteResult {
  suite: string;
  passed: number;
  failed: number;
}

export interface DefectResult {
  id: string;
  what: string;
  /** caught: every suite listed failed; missed: one stayed green; stale: an edit no longer applies */
  verdict: "caught" | "missed" | "stale";
  detail: string;
  suites: SuiteResult[];
  seconds: number;
}

/** Copies the files git tracks (and untracked, not ignored ones) into a fresh temp folder. */
export function copyTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "zt-defects-"));
  // under root the kernel runs each process as its own uid: they must reach the tree like the real one
  chmodSync(dir, 0o755);
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
    .split("\0").filter(Boolean);
  for (const f of files) {
    const src = join(root, f);
    if (!existsSync(src)) continue; // deleted in the working tree, not yet committed
    const dst = join(dir, f);
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(src, dst);
    chmodSync(dst, statSync(src).mode & 0o7777);
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** Applies the defect's edits in `dir`; a reason when one no longer applies. */
export function applyDefect(dir: string, d: Defect): string | null {
  for (const e of d.edits) {
    const path = join(dir, e.file);
    const text = existsSync(path) ? readFileSync(path, "utf8") : null;
    if (text === null) return `${e.file} no longer exists; update the edit in tools/defects/list.ts`;
    const at = text.indexOf(e.find);
    if (at < 0) return `${e.file} no longer contains ${JSON.stringify(e.find.slice(0, 80))}; update the edit in tools/defects/list.ts`;
    if (text.indexOf(e.find, at + 1) >= 0) return `${e.file} contains ${JSON.stringify(e.find.slice(0, 80))} more than once; make the edit's text unique`;
    writeFileSync(path, text.slice(0, at) + e.replace + text.slice(at + e.find.length));
  }
  return null;
}

/** Runs the project's test runner on `suites` in `dir`; per-suite counts from its `✓`/`✗` lines. */
function runSuites(dir: string, suites: string[]): Promise<{ code: number; output: string; results: SuiteResult[] }> {
  const deno = findDenoBinary(root);
  if (!deno) throw new Error("the Deno runtime is missing under node_modules; run npm ci");
  return new Promise((resolve) => {
    const child = spawn(deno, ["run", "-A", "--quiet", "--no-lock", "tools/test-runner.ts", "--jobs", "1", ...suites], {
      cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (b) => (output += b));
    child.stderr.on("data", (b) => (output += b));
    child.on("close", (code) => {
      const results: SuiteResult[] = [];
      for (const m of output.matchAll(/^[✓✘] (\S+)\s+(\d+) passed, (\d+) failed/gm)) {
        results.push({ suite: m[1], passed: Number(m[2]), failed: Number(m[3]) });
      }
      resolve({ code: code ?? 1, output, results });
    });
  });
}

/** The suites of `d` on the copy without the defect: they must pass, or a red run proves nothing. */
export async function checkBaseline(d: Defect): Promise<{ green: boolean; detail: string }> {
  const dir = copyTree();
  try {
    const run = await runSuites(dir, d.tests);
    const red = run.results.filter((r) => r.failed > 0);
    const missing = d.tests.filter((t) => !run.results.some((r) => r.suite.includes(t)));
    const fails = [...run.output.matchAll(/FAIL\s+(.*)/g)].map((m) => m[1].trim().slice(0, 160));
    if (red.length || missing.length) {
      return { green: false, detail: `without the defect: ${[...red.map((r) => `${r.suite} ${r.failed} failed`), ...missing.map((m) => `${m} did not run`)].join(", ")}${fails.length ? `; failing: ${fails.slice(0, 4).join("; ")}` : ""}` };
    }
    return { green: true, detail: `without the defect: ${run.results.map((r) => `${r.suite} ${r.passed} passed`).join(", ")}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function checkDefect(d: Defect, keep = false): Promise<DefectResult> {
  const t0 = Date.now();
  const dir = copyTree();
  const done = (verdict: DefectResult["verdict"], detail: string, suites: SuiteResult[] = []): DefectResult =>
    ({ id: d.id, what: d.what, verdict, detail, suites, seconds: Math.round((Date.now() - t0) / 1000) });
  try {
    const stale = applyDefect(dir, d);
    if (stale) return done("stale", stale);
    const run = await runSuites(dir, d.tests);
    const green = d.tests.filter((t) => !run.results.some((r) => r.suite.includes(t) && r.failed > 0));
    if (green.length) {
      return done("missed", `still green with the defect made: ${green.join(", ")}`, run.results);
    }
    // uvu names the failing tests: the claims the defect broke
    const fails = [...run.output.matchAll(/FAIL\s+(.*)/g)].map((m) => m[1].trim().slice(0, 160));
    const red = run.results.map((r) => `${r.suite} ${r.failed} failed`).join(", ");
    return done("caught", `red: ${red}${fails.length ? `; failing: ${fails.slice(0, 4).join("; ")}${fails.length > 4 ? " …" : ""}` : ""}`, run.results);
  } finally {
    if (keep) console.error(`defect ${d.id}: tree kept at ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: { json: { type: "boolean" }, keep: { type: "boolean" }, baseline: { type: "boolean" }, help: { type: "boolean" } }, allowPositionals: true });
  } catch (e) {
    console.error(`defects: ${(e as Error).message} (see --help)`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(`usage: npm run defects [-- --json] [--keep] [--baseline] [id ...]\nMakes each defect in a copy of the tree and expects every suite listed to fail.\n` +
      `--baseline: first runs the suites on the copy without the defect (they must pass)\n` +
      DEFECTS.map((d) => `  ${d.id}  ${d.what}\n     suites: ${d.tests.join(", ")}`).join("\n"));
    return 0;
  }
  const unknown = positionals.filter((p) => !DEFECTS.some((d) => d.id === p));
  if (unknown.length) {
    console.error(`defects: unknown defect "${unknown[0]}" (known: ${DEFECTS.map((d) => d.id).join(", ")})`);
    return 2;
  }
  const chosen = positionals.length ? DEFECTS.filter((d) => positionals.includes(d.id)) : DEFECTS;
  const results: DefectResult[] = [];
  for (const d of chosen) {
    if (!values.json) console.log(`defect ${d.id}: ${d.what} … (${d.tests.join(", ")})`);
    if (values.baseline) {
      const b = await checkBaseline(d);
      if (!values.json) console.log(`  baseline ${b.green ? "green" : "RED"}: ${b.detail}`);
      if (!b.green) {
        results.push({ id: d.id, what: d.what, verdict: "missed", detail: `baseline red (${b.detail}): the defect's red run would prove nothing`, suites: [], seconds: 0 });
        continue;
      }
    }
    const r = await checkDefect(d, Boolean(values.keep));
    results.push(r);
    if (!values.json) console.log(`  ${r.verdict === "caught" ? "caught" : r.verdict.toUpperCase()} in ${r.seconds} s: ${r.detail}`);
  }
  const bad = results.filter((r) => r.verdict !== "caught");
  if (values.json) console.log(JSON.stringify({ ok: bad.length === 0, results }, null, 2));
  else console.log(`\n${results.length - bad.length} of ${results.length} defects caught${bad.length ? `; not caught: ${bad.map((r) => `${r.id} (${r.verdict})`).join(", ")}` : ""}`);
  return bad.length ? 1 : 0;
}

if (import.meta.main) process.exitCode = await main();
