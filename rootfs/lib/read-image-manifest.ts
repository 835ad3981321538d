// Reads the node manifest out of a built image (the initramfs in rootfs/out or any image folder), for
// `zos caps audit --image DIR` and the CI check against rootfs/golden/manifest.json. What is audited
// is what boots: the manifest inside the archive, not the one in the source tree.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { entryKind, readNewc, type ReadEntry } from "./newc.ts";

export const MANIFEST_IN_IMAGE = "lib/zos/manifests/node.json";
const ZOS_TREE = "lib/zos/";

export class ImageReadError extends Error {}

/** The initramfs entries of the image in `dir` (raw cpio preferred, else the xz or zstd one). */
export function readImageEntries(dir: string): ReadEntry[] {
  const raw = join(dir, "initramfs.cpio");
  const packed = [["initramfs.cpio.xz", "xz"], ["initramfs.cpio.zst", "zstd"]].map(([f, tool]) => [join(dir, f), tool]).find(([f]) => existsSync(f));
  let bytes: Uint8Array;
  if (existsSync(raw)) bytes = readFileSync(raw);
  else if (packed) {
    const r = spawnSync(packed[1], ["-dcq", packed[0]], { maxBuffer: 1 << 30 });
    if (r.error || r.status !== 0) throw new ImageReadError(`cannot decompress ${packed[0]}: ${r.error?.message ?? r.stderr}`);
    bytes = r.stdout;
  } else {
    throw new ImageReadError(`${dir} holds no image (no initramfs.cpio, initramfs.cpio.xz or initramfs.cpio.zst). Build one with \`zos image build\`.`);
  }
  try {
    return readNewc(bytes);
  } catch (err) {
    throw new ImageReadError(`${dir}: the initramfs is not a readable cpio archive (${(err as Error).message})`);
  }
}

/** The manifest text inside the image in `dir`. */
export function readImageManifest(dir: string): string {
  const e = readImageEntries(dir).find((x) => x.path === MANIFEST_IN_IMAGE);
  if (!e) throw new ImageReadError(`the image in ${dir} carries no node manifest (/${MANIFEST_IN_IMAGE})`);
  return new TextDecoder().decode(e.data);
}

/**
 * Extracts the image's /lib/zos tree (manifest + bundled process entries) into `toDir` and returns
 * the manifest's path there, so a manifest loader that checks entry files works on it unchanged.
 */
export function extractImageManifest(dir: string, toDir: string): string {
  const entries = readImageEntries(dir).filter((e) => e.path.startsWith(ZOS_TREE));
  if (!entries.some((e) => e.path === MANIFEST_IN_IMAGE)) throw new ImageReadError(`the image in ${dir} carries no node manifest (/${MANIFEST_IN_IMAGE})`);
  for (const e of entries) {
    const rel = e.path.slice(ZOS_TREE.length);
    if (!rel || rel.split("/").includes("..")) continue;
    const out = join(toDir, rel);
    const kind = entryKind(e.mode);
    if (kind === "dir") mkdirSync(out, { recursive: true });
    else if (kind === "file") {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, e.data);
    } else if (kind === "symlink") {
      mkdirSync(dirname(out), { recursive: true });
      try {
        symlinkSync(new TextDecoder().decode(e.data), out);
      } catch { /* exists */ }
    }
  }
  return join(toDir, "manifests", "node.json");
}

/** Strips // and /* *\/ comments outside strings, then parses (the manifest is JSON with comments). */
export function parseJsonc(text: string): unknown {
  let out = "";
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inStr = false;
    } else if (c === '"') {
      inStr = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  return JSON.parse(out);
}

/** Canonical JSON (sorted keys) so key order and comments never count as a change. */
export function canonicalJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === "object") return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])]));
    return x;
  };
  return JSON.stringify(sort(v), null, 2);
}

/**
 * Differences between the image's manifest and the golden one (empty = identical authority), per
 * process: added, removed, or changed (with the changed top-level fields), then other top-level keys.
 */
export function compareWithGolden(imageManifest: string, golden: string): string[] {
  const img = parseJsonc(imageManifest) as Record<string, unknown>;
  const gold = parseJsonc(golden) as Record<string, unknown>;
  const out: string[] = [];
  const procs = (m: Record<string, unknown>) => (m.processes && typeof m.processes === "object" ? m.processes as Record<string, Record<string, unknown>> : {});
  const pi = procs(img), pg = procs(gold);
  for (const name of [...new Set([...Object.keys(pi), ...Object.keys(pg)])].sort()) {
    if (!(name in pg)) out.push(`process ${name}: added (not in the golden)`);
    else if (!(name in pi)) out.push(`process ${name}: removed`);
    else {
      const fields = [...new Set([...Object.keys(pi[name]), ...Object.keys(pg[name])])].sort()
        .filter((k) => canonicalJson(pi[name][k]) !== canonicalJson(pg[name][k]));
      for (const k of fields) out.push(`process ${name}: ${k} changed: golden ${canonicalJson(pg[name][k]).replace(/\s+/g, " ")} → image ${canonicalJson(pi[name][k]).replace(/\s+/g, " ")}`);
    }
  }
  for (const k of [...new Set([...Object.keys(img), ...Object.keys(gold)])].sort()) {
    if (k !== "processes" && canonicalJson(img[k]) !== canonicalJson(gold[k])) out.push(`${k} changed: golden ${JSON.stringify(gold[k])} → image ${JSON.stringify(img[k])}`);
  }
  return out;
}
