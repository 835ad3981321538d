// `zos release build`: a release tree (kernel/upgrade/release.ts) from this repository, bundled the way the
// image bundles /lib/zos (rootfs/build.ts): one self-contained module per process entry beside a stub at
// the entry's manifest path, the helper programs drivers start, the kernel's bundle, the manifest as is,
// a package.json carrying the version and release.json pinning the tree's sha256 and listing every file's.
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { assertAscii, bundle, bundleArgs, BundleError, entryConditions, esbuildBinary } from "../../rootfs/lib/bundle.ts";
import { bundlePath, processStub } from "../../rootfs/build.ts";
import { HELPER_ENTRIES } from "../../rootfs/image-config.ts";
import { formatErrors, loadManifest } from "../manifest.ts";
import { describeTree, RELEASE_FILE, RELEASE_FORMAT, RELEASE_KERNEL, RELEASE_MANIFEST, ReleaseError, type ReleaseInfo } from "./release.ts";

export interface BuildReleaseOptions {
  /** the repository to build from */
  root: string;
  /** a new (or empty) folder */
  out: string;
  version: string;
  /** the manifest to ship (default the repository's manifests/node.json) */
  manifest?: string;
  progress?: (msg: string) => void;
}

/** Writes release.json for the tree in `dir` (after any change to it: tests derive releases this way). */
export function writeReleaseInfo(dir: string, version: string): ReleaseInfo {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "zos-ts", version, private: true }, null, 2) + "\n");
  const info: ReleaseInfo = { format: RELEASE_FORMAT, version, manifest: RELEASE_MANIFEST, kernel: RELEASE_KERNEL, ...describeTree(dir) };
  writeFileSync(join(dir, RELEASE_FILE), JSON.stringify(info, null, 2) + "\n");
  return info;
}

/** One esbuild run per set of export conditions (it bundles the entries in parallel), each entry to
 * `<out>/<entry dir>/<name>.bundle.js` with the image's flags (rootfs/lib/bundle.ts). */
function bundleAll(root: string, entries: Map<string, string[]>, out: string): void {
  const groups = new Map<string, string[]>();
  for (const [entry, conditions] of entries) groups.set(conditions.join(","), [...(groups.get(conditions.join(",")) ?? []), entry]);
  for (const [conditions, group] of [...groups].sort()) {
    const flags = bundleArgs("x", "y", conditions ? conditions.split(",") : []).slice(1).filter((a) => !a.startsWith("--outfile="));
    const args = [...group.sort(), ...flags, `--outdir=${out}`, `--outbase=.`, "--entry-names=[dir]/[name].bundle"];
    const r = spawnSync(esbuildBinary(root), args, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1" } });
    if (r.error) throw new ReleaseError(`esbuild could not run: ${r.error.message}`);
    if (r.status !== 0) throw new ReleaseError(`bundling failed (esbuild exit ${r.status}):\n${(r.stderr || r.stdout).trim().slice(-2000)}`);
  }
}

/** `f()`, its BundleError (a bundle or an entry the release cannot have) reported as a ReleaseError. */
function asReleaseError<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof BundleError) throw new ReleaseError(err.message);
    throw err;
  }
}

export function buildRelease(o: BuildReleaseOptions): ReleaseInfo {
  const root = resolve(o.root);
  const out = resolve(o.out);
  if (existsSync(out) && readdirSync(out).length) throw new ReleaseError(`${out} is not empty; give a new folder for the release`);
  const manifestPath = resolve(o.manifest ?? join(root, "manifests/node.json"));
  const r = loadManifest(manifestPath);
  if (!r.ok) throw new ReleaseError(`the manifest is invalid:\n${formatErrors(r.errors, manifestPath)}`);
  const entries = asReleaseError(() => entryConditions(r.manifest.root, r.manifest.processes));
  for (const h of HELPER_ENTRIES) if (!entries.has(h)) entries.set(h, []);
  mkdirSync(out, { recursive: true });
  const all = [...entries.keys()].sort();
  o.progress?.(`bundling ${all.length} entries`);
  bundleAll(r.manifest.root, entries, out);
  for (const entry of all) {
    if (!existsSync(join(out, bundlePath(entry)))) throw new ReleaseError(`bundling ${entry}: esbuild wrote no ${bundlePath(entry)}`);
    asReleaseError(() => assertAscii(entry, join(out, bundlePath(entry))));
    writeFileSync(join(out, entry), processStub(bundlePath(entry).split("/").pop()!));
  }
  o.progress?.("bundling kernel/mod.ts");
  mkdirSync(join(out, "kernel"), { recursive: true });
  asReleaseError(() => bundle(root, "kernel/mod.ts", join(out, RELEASE_KERNEL)));
  mkdirSync(join(out, "manifests"), { recursive: true });
  copyFileSync(manifestPath, join(out, RELEASE_MANIFEST));
  return writeReleaseInfo(out, o.version);
}
