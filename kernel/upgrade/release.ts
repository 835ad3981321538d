// A release: the tree a node runs its processes from — the manifest, one bundled entry per process, the
// kernel's bundle and package.json (the version `zos.system.version` reports) — described by release.json,
// which pins the whole tree by its sha256 (tree_sha256: the project's one tree hash, the one the QEMU
// extension is pinned by, capabilities/lib/flist/tree-digest.ts) and lists every file with its sha256 so a
// mismatch names the file. The tree digest is the release's identity: what nodes pin, record as active and
// farmers approve. Published on the hub as an flist (docs/upgrade.md). verifyRelease() is what a node runs on
// a downloaded tree before it trusts anything in it, and again before it boots one.
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { digestLines, parseFileLine, treeLines } from "../../capabilities/lib/flist/tree-digest.ts";
import { loadManifest, formatErrors, type Manifest } from "../manifest.ts";

export const RELEASE_FILE = "release.json";
/** 2: release.json pins tree_sha256 (format 1 listed files only) */
export const RELEASE_FORMAT = 2;
/** Where a release's manifest and kernel bundle sit in its tree (the image's /lib/zos layout). */
export const RELEASE_MANIFEST = "manifests/node.json";
export const RELEASE_KERNEL = "kernel/mod.js";
/** The runtime is the node's, not the release's: the installer links it here (drivers run helpers from it). */
export const RUNTIME_LINK = "node_modules/deno/deno";

export interface ReleaseInfo {
  format: 2;
  /** what `zos.system.version` reports once it runs (also package.json's version) */
  version: string;
  manifest: string;
  kernel: string;
  /** treeDigest of the tree without release.json and the runtime link: the release's identity */
  tree_sha256: string;
  /** every file of the tree but release.json: path → sha256 hex (to name the file that differs) */
  files: Record<string, string>;
}

export interface VerifiedRelease {
  dir: string;
  info: ReleaseInfo;
  manifest: Manifest;
}

export class ReleaseError extends Error {
  override name = "ReleaseError";
}

const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The tree's lines (tree-digest.ts) without release.json and the runtime link the installer adds (with its
 * folders); a symlink or anything but files and folders is refused. */
export function releaseLines(dir: string): string[] {
  let all: string[];
  try {
    all = treeLines(dir);
  } catch (e) {
    throw new ReleaseError(`release ${dir}: ${(e as Error).message} (a release holds only files and folders)`);
  }
  const lines = all.filter((l) =>
    l !== "d node_modules" && l !== "d node_modules/deno" && !l.startsWith(`l ${RUNTIME_LINK} `) && parseFileLine(l)?.path !== RELEASE_FILE
  );
  const link = lines.find((l) => l.startsWith("l "));
  if (link) throw new ReleaseError(`release ${dir}: ${link.split(" ")[1]} is a symlink (a release holds only files and folders)`);
  return lines;
}

/** What release.json records for a tree: its digest and every file's sha256. */
export function describeTree(dir: string): { tree_sha256: string; files: Record<string, string> } {
  const lines = releaseLines(dir);
  const files: Record<string, string> = {};
  for (const l of lines) {
    const f = parseFileLine(l);
    if (f) files[f.path] = f.sha256;
  }
  return { tree_sha256: digestLines(lines), files };
}

function parseInfo(dir: string): ReleaseInfo {
  const path = join(dir, RELEASE_FILE);
  if (!existsSync(path)) throw new ReleaseError(`release ${dir}: no ${RELEASE_FILE} (not a release; build one with \`zos release build\`)`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} is not JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== "object") throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} must be a JSON object`);
  if (raw.format !== RELEASE_FORMAT) throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} format must be ${RELEASE_FORMAT} (got ${JSON.stringify(raw.format)}; rebuild it with \`zos release build\`)`);
  if (typeof raw.tree_sha256 !== "string" || !SHA256.test(raw.tree_sha256)) throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} tree_sha256 must be a sha256 in hex`);
  if (typeof raw.version !== "string" || !VERSION.test(raw.version)) throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} version must match ${VERSION} (got ${JSON.stringify(raw.version)})`);
  if (raw.manifest !== RELEASE_MANIFEST || raw.kernel !== RELEASE_KERNEL) {
    throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} must name manifest "${RELEASE_MANIFEST}" and kernel "${RELEASE_KERNEL}"`);
  }
  const files = raw.files as Record<string, unknown>;
  if (!files || typeof files !== "object" || Array.isArray(files)) throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} files must be an object path → sha256`);
  for (const [p, h] of Object.entries(files)) {
    if (typeof h !== "string" || !SHA256.test(h)) throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} files["${p}"] must be a sha256 in hex`);
  }
  return { format: 2, version: raw.version, manifest: RELEASE_MANIFEST, kernel: RELEASE_KERNEL, tree_sha256: raw.tree_sha256, files: files as Record<string, string> };
}

/**
 * Checks a release tree: release.json well formed, the tree's digest is the tree_sha256 it pins (and `pin`,
 * the digest the caller expects, when given), so the tree holds exactly the files it lists with those hashes;
 * package.json carries its version, the manifest is valid and every process entry lies inside the tree (a
 * release cannot start code from elsewhere). Throws ReleaseError naming the first problem.
 */
export function verifyRelease(dirIn: string, pin?: string): VerifiedRelease {
  const dir = resolve(dirIn);
  const info = parseInfo(dir);
  if (pin !== undefined && info.tree_sha256 !== pin) {
    throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} pins tree ${info.tree_sha256}, not the release ${pin} expected here`);
  }
  const actual = describeTree(dir);
  if (actual.tree_sha256 !== info.tree_sha256) {
    // the per-file list says which file differs
    const have = Object.keys(actual.files).sort();
    const listed = Object.keys(info.files).sort();
    const missing = listed.filter((p) => !(p in actual.files));
    const extra = have.filter((p) => !(p in info.files));
    if (missing.length) throw new ReleaseError(`release ${dir}: ${missing.length} listed file(s) missing, first ${missing[0]}`);
    if (extra.length) throw new ReleaseError(`release ${dir}: ${extra.length} file(s) not listed in ${RELEASE_FILE}, first ${extra[0]}`);
    for (const p of listed) {
      if (actual.files[p] !== info.files[p]) throw new ReleaseError(`release ${dir}: ${p} has sha256 ${actual.files[p]}, ${RELEASE_FILE} says ${info.files[p]} (corrupt or tampered)`);
    }
    throw new ReleaseError(`release ${dir}: its tree has sha256 ${actual.tree_sha256}, ${RELEASE_FILE} pins ${info.tree_sha256} (a folder or a file's mode differs)`);
  }
  // the digest covers the files; the list must say the same (a list naming other files would mislead)
  const listed = Object.keys(info.files);
  if (listed.length !== Object.keys(actual.files).length || listed.some((p) => actual.files[p] !== info.files[p])) {
    throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} lists files that are not the tree's`);
  }
  for (const need of [info.manifest, info.kernel, "package.json"]) {
    if (!(need in info.files)) throw new ReleaseError(`release ${dir}: ${need} is missing`);
  }
  let pkgVersion: unknown;
  try {
    pkgVersion = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  } catch (e) {
    throw new ReleaseError(`release ${dir}: package.json is not JSON (${(e as Error).message})`);
  }
  if (pkgVersion !== info.version) throw new ReleaseError(`release ${dir}: package.json version ${JSON.stringify(pkgVersion)} differs from ${RELEASE_FILE}'s ${info.version}`);
  const r = loadManifest(join(dir, info.manifest));
  if (!r.ok) throw new ReleaseError(`release ${dir}: its manifest is invalid:\n${formatErrors(r.errors, info.manifest)}`);
  if (r.manifest.root !== dir) throw new ReleaseError(`release ${dir}: its manifest's root must be the release folder (the default ".."), not ${r.manifest.root}`);
  for (const p of r.manifest.processes) {
    const rel = relative(dir, p.entryPath);
    if (rel.startsWith("..") || !(rel in info.files)) throw new ReleaseError(`release ${dir}: process ${p.name}'s entry ${p.entry} is not a file of the release`);
  }
  return { dir, info, manifest: r.manifest };
}

/** Where the runtime link points, or null (the installer checks it is the node's runtime). */
export function runtimeLinkTarget(dir: string): string | null {
  try {
    return readlinkSync(join(dir, RUNTIME_LINK));
  } catch {
    return null;
  }
}
