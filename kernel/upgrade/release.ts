// A release: the tree a node runs its processes from — the manifest, one bundled entry per process, the
// kernel's bundle and package.json (the version `zos.system.version` reports) — described by release.json,
// which lists every file with its sha256. Published on the hub as an flist (docs/upgrade.md). verifyRelease()
// is what a node runs on a downloaded tree before it trusts anything in it, and again before it boots one.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { loadManifest, formatErrors, type Manifest } from "../manifest.ts";

export const RELEASE_FILE = "release.json";
export const RELEASE_FORMAT = 1;
/** Where a release's manifest and kernel bundle sit in its tree (the image's /lib/zos layout). */
export const RELEASE_MANIFEST = "manifests/node.json";
export const RELEASE_KERNEL = "kernel/mod.js";
/** The runtime is the node's, not the release's: the installer links it here (drivers run helpers from it). */
export const RUNTIME_LINK = "node_modules/deno/deno";

export interface ReleaseInfo {
  format: 1;
  /** what `zos.system.version` reports once it runs (also package.json's version) */
  version: string;
  manifest: string;
  kernel: string;
  /** every file of the tree but release.json: path → sha256 hex */
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

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** path → sha256 of every regular file under `dir` but release.json; anything else (a symlink, a device)
 * is an error, except the runtime link the installer made. */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(dir, p);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isSymbolicLink() && rel === RUNTIME_LINK) continue;
      else if (st.isFile()) {
        if (rel !== RELEASE_FILE) out[rel] = sha256File(p);
      } else throw new ReleaseError(`release ${dir}: ${rel} is not a regular file (a release holds only files and folders)`);
    }
  };
  walk(dir);
  return out;
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
  if (raw.format !== RELEASE_FORMAT) throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} format must be ${RELEASE_FORMAT} (got ${JSON.stringify(raw.format)})`);
  if (typeof raw.version !== "string" || !VERSION.test(raw.version)) throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} version must match ${VERSION} (got ${JSON.stringify(raw.version)})`);
  if (raw.manifest !== RELEASE_MANIFEST || raw.kernel !== RELEASE_KERNEL) {
    throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} must name manifest "${RELEASE_MANIFEST}" and kernel "${RELEASE_KERNEL}"`);
  }
  const files = raw.files as Record<string, unknown>;
  if (!files || typeof files !== "object" || Array.isArray(files)) throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} files must be an object path → sha256`);
  for (const [p, h] of Object.entries(files)) {
    if (typeof h !== "string" || !/^[0-9a-f]{64}$/.test(h)) throw new ReleaseError(`release ${dir}: ${RELEASE_FILE} files["${p}"] must be a sha256 in hex`);
  }
  return { format: 1, version: raw.version, manifest: RELEASE_MANIFEST, kernel: RELEASE_KERNEL, files: files as Record<string, string> };
}

/**
 * Checks a release tree: release.json well formed, the tree holds exactly the files it lists with those
 * hashes, package.json carries its version, the manifest is valid and every process entry lies inside the
 * tree (a release cannot start code from elsewhere). Throws ReleaseError naming the first problem.
 */
export function verifyRelease(dirIn: string): VerifiedRelease {
  const dir = resolve(dirIn);
  const info = parseInfo(dir);
  const actual = hashTree(dir);
  const listed = Object.keys(info.files).sort();
  const have = Object.keys(actual).sort();
  const missing = listed.filter((p) => !(p in actual));
  const extra = have.filter((p) => !(p in info.files));
  if (missing.length) throw new ReleaseError(`release ${dir}: ${missing.length} listed file(s) missing, first ${missing[0]}`);
  if (extra.length) throw new ReleaseError(`release ${dir}: ${extra.length} file(s) not listed in ${RELEASE_FILE}, first ${extra[0]}`);
  for (const p of listed) {
    if (actual[p] !== info.files[p]) throw new ReleaseError(`release ${dir}: ${p} has sha256 ${actual[p]}, ${RELEASE_FILE} says ${info.files[p]} (corrupt or tampered)`);
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
