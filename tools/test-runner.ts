// Runs every uvu suite file (`*.test.ts`) under Deno — the runtime the OS ships — each in its own
// process, and ends with the one line CI reads: `N passed, N failed`.
//
// usage: deno run -A tools/test-runner.ts [--jobs N] [--timeout SECONDS] [--bail] [filter ...]
//   filter: substrings; only files whose path contains one of them run.
// A file that dies without uvu's summary, or exceeds its timeout, counts as one failure.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { findDenoBinary } from "../bin/deno-binary.js";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const roots = ["kernel", "capabilities", "modules", "grid", "cli", "rootfs", "vm-tests", "tools", "test", "bench"];

export interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
  output: string;
  crashed: string | null;
}

function findTests(dir: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries.sort()) {
    if (name === "node_modules" || name.startsWith(".") || name === "out") continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) findTests(p, out);
    else if (name.endsWith(".test.ts")) out.push(p);
  }
}

/** Parses uvu's closing block (`Total: / Passed: / Skipped:`). */
export function parseUvuSummary(output: string): { total: number; passed: number; skipped: number } | null {
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const total = /Total:\s+(\d+)/.exec(plain);
  const passed = /Passed:\s+(\d+)/.exec(plain);
  const skipped = /Skipped:\s+(\d+)/.exec(plain);
  if (!total || !passed) return null;
  return { total: Number(total[1]), passed: Number(passed[1]), skipped: skipped ? Number(skipped[1]) : 0 };
}

/** The same runtime the CLI shim and the kernel use (bin/deno-binary.js). */
function denoBinary(): string {
  const deno = findDenoBinary(root);
  if (!deno) throw new Error(`the Deno runtime is missing under ${root}/node_modules; run npm ci`);
  return deno;
}

/**
 * A file may ask for a longer limit than the runner's default with a `// test-timeout: SECONDS` line in its
 * first lines (the QEMU boot test: a TCG boot, a reboot and workloads take longer than any host suite).
 */
export function declaredTimeoutS(source: string): number | null {
  const m = /^\/\/ test-timeout: (\d+)\s*$/m.exec(source.slice(0, 4096));
  return m ? Number(m[1]) : null;
}

function runFile(file: string, defaultTimeoutS: number): Promise<FileResult> {
  const started = performance.now();
  const timeoutS = Math.max(defaultTimeoutS, declaredTimeoutS(readFileSync(file, "utf8")) ?? 0);
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
    delete env.NODE_EXTRA_CA_CERTS;
    const child = spawn(denoBinary(), ["run", "-A", "--quiet", "--no-lock", file], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // own process group: a timeout kills the suite and whatever it spawned
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGTERM");
        setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch { /* gone */ }
        }, 5000);
      } catch { /* gone */ }
    }, timeoutS * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const summary = parseUvuSummary(output);
      const rel = relative(root, file);
      if (timedOut) {
        resolve({ file: rel, passed: summary?.passed ?? 0, failed: 1, skipped: 0, ms, output, crashed: `timed out after ${timeoutS}s` });
      } else if (!summary) {
        resolve({ file: rel, passed: 0, failed: 1, skipped: 0, ms, output, crashed: `exited ${signal ?? code} without a uvu summary` });
      } else {
        // uvu's Total counts run tests only (skips are reported apart), so failures = Total - Passed.
        const failed = Math.max(0, summary.total - summary.passed);
        const extra = failed === 0 && code !== 0 ? 1 : 0; // e.g. an error after the suites finished
        resolve({
          file: rel,
          passed: summary.passed,
          failed: failed + extra,
          skipped: summary.skipped,
          ms,
          output,
          crashed: extra ? `exited ${code} after its tests` : null,
        });
      }
    });
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      jobs: { type: "string", default: process.env.ZOS_TEST_JOBS ?? "2" },
      timeout: { type: "string", default: "600" },
      verbose: { type: "boolean", short: "v" },
      // stop starting files after the first failure (mutation runs: one red file kills the mutant)
      bail: { type: "boolean" },
    },
    allowPositionals: true,
  });
  const files: string[] = [];
  for (const r of roots) findTests(join(root, r), files);
  const selected = positionals.length ? files.filter((f) => positionals.some((p) => f.includes(p))) : files;
  const jobs = Math.max(1, Number(values.jobs) || 1);
  const timeoutS = Number(values.timeout) || 600;
  console.log(`running ${selected.length} test files, ${jobs} at a time`);
  const results: FileResult[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < selected.length && !(values.bail && results.some((r) => r.failed))) {
      const file = selected[next++];
      const r = await runFile(file, timeoutS);
      results.push(r);
      const mark = r.failed ? "✘" : "✓";
      console.log(`${mark} ${r.file}  ${r.passed} passed, ${r.failed} failed  (${(r.ms / 1000).toFixed(1)} s)`);
      if (r.failed || values.verbose) {
        if (r.crashed) console.log(`  ${r.crashed}`);
        console.log(r.output.split("\n").map((l) => "  | " + l).join("\n"));
      }
    }
  }
  await Promise.all(Array.from({ length: jobs }, worker));
  const passed = results.reduce((a, r) => a + r.passed, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  const skipped = results.reduce((a, r) => a + r.skipped, 0);
  const slow = [...results].sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(`slowest: ${slow.map((r) => `${r.file} ${(r.ms / 1000).toFixed(1)}s`).join(", ")}`);
  if (failed) console.log(`failing files: ${results.filter((r) => r.failed).map((r) => r.file).join(", ")}`);
  console.log(skipped ? `${passed} passed, ${failed} failed, ${skipped} skipped` : `${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

if (import.meta.main) {
  process.exitCode = await main();
}
