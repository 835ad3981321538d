// One self-contained ES module per entry point, made with the esbuild that `npm ci` installed from the
// lock (node_modules/@esbuild/<platform>/bin/esbuild). `deno bundle` fetched its own esbuild from the
// registry at build time, so a build with an empty Deno cache failed; this downloads nothing.
// The output is pre-transpiled JavaScript: the runtime in the image only parses it (no TypeScript
// transpile at boot), and it has no node_modules or source tree to read.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export class BundleError extends Error {}

/** The esbuild binary installed by `npm ci` (the platform package esbuild's own shim would exec). */
export function esbuildBinary(root: string): string {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  for (const p of [join(root, "node_modules", "@esbuild", `linux-${arch}`, "bin", "esbuild"), join(root, "node_modules", "esbuild", "bin", "esbuild")]) {
    if (existsSync(p)) return p;
  }
  throw new BundleError(`esbuild is missing under node_modules (it is pinned in package-lock.json); run \`npm ci\` in the repository first`);
}

// CommonJS packages inside the bundle call require() for Node built-ins; an ES module has no
// `require`, so the bundle gets one from node:module (built-ins only: the image has no node_modules).
const REQUIRE_SHIM = 'import { createRequire as __zosCreateRequire } from "node:module"; const require = __zosCreateRequire(import.meta.url);';

/**
 * The esbuild command-line arguments for one entry (exported for the tests). `conditions`: the process's extra
 * export conditions from the manifest (ProcessSpec.conditions), so the bundle holds the files Deno loads on a host.
 */
export function bundleArgs(entry: string, out: string, conditions: string[] = []): string[] {
  return [
    entry,
    "--bundle",
    "--format=esm",
    // platform node: `node:` built-ins stay imports, npm packages resolve their Node entry points;
    // the "deno" condition first, as Deno itself resolves packages.
    "--platform=node",
    `--conditions=${[...new Set([...conditions, "deno", "node", "import"])].join(",")}`,
    "--target=esnext",
    // V8 keeps a script's source in the heap for as long as the process lives (lazy functions compile from it),
    // and a source with one character above U+00FF (an em dash in a comment) is a two-byte string: the whole
    // bundle at 2 bytes a character in every process. ASCII only (strings and names escaped) and no comments
    // (esbuild keeps some, unescaped) nor indentation: one byte a character, a third fewer characters; names
    // stay, so stack traces still say which function; lines cut at 240 columns to stay readable
    // (docs/PERFORMANCE.md, idle-rss-image)
    "--charset=ascii",
    "--minify-whitespace",
    "--line-limit=240",
    "--legal-comments=none",
    "--log-level=warning",
    `--banner:js=${REQUIRE_SHIM}`,
    `--outfile=${out}`,
  ];
}

/** Bundles `entry` (relative to `root`) into `out`. Deterministic: same inputs, same bytes. */
export function bundle(root: string, entry: string, out: string, conditions: string[] = []): void {
  const r = spawnSync(esbuildBinary(root), bundleArgs(entry, out, conditions), { cwd: root, encoding: "utf8", maxBuffer: 64 << 20, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1" } });
  if (r.error) throw new BundleError(`esbuild could not run: ${r.error.message}`);
  if (r.status !== 0) throw new BundleError(`bundling ${entry} failed (esbuild exit ${r.status}):\n${(r.stderr || r.stdout).trim().slice(-2000)}`);
  assertAscii(entry, out);
}

/**
 * Throws unless the bundle `out` of `entry` is pure ASCII (esbuild leaves regular expression literals as written):
 * one character above U+00FF makes V8 hold the whole bundle at two bytes a character in every process. Every
 * bundle the node runs goes through it: the image's (bundle) and a release's (kernel/upgrade/build.ts).
 */
export function assertAscii(entry: string, out: string): void {
  const where = nonAscii(readFileSync(out, "utf8"));
  if (where) {
    throw new BundleError(`the bundle of ${entry} is not pure ASCII (esbuild leaves regular expression literals as written): ${where}; ` +
      "one such character makes V8 hold the whole bundle at two bytes a character in every process — write it as a \\u escape");
  }
}

/**
 * Each process entry of a manifest (relative to `root`) with the export conditions its process declares
 * (ProcessSpec.conditions): one bundle per entry, so processes sharing an entry must declare the same ones.
 */
export function entryConditions(root: string, processes: { name: string; entryPath: string; conditions: string[] }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of processes) {
    const rel = relative(root, p.entryPath);
    if (rel.startsWith("..")) throw new BundleError(`process ${p.name}: entry ${p.entryPath} is outside ${root}`);
    const had = out.get(rel);
    if (had && had.join(",") !== p.conditions.join(",")) {
      throw new BundleError(`process ${p.name}: entry ${rel} is shared with a process of other export conditions; one bundle per entry needs the same ones`);
    }
    out.set(rel, p.conditions);
  }
  return out;
}

/** Where the first character above U+007F is in `text` (line:column and the code around it), or null. */
export function nonAscii(text: string): string | null {
  const i = text.search(/[^\x00-\x7f]/);
  if (i < 0) return null;
  const line = text.slice(0, i).split("\n").length;
  const col = i - text.lastIndexOf("\n", i - 1);
  return `line ${line}:${col} ${JSON.stringify(text.slice(Math.max(0, i - 30), i + 10))}`;
}
