// The `.fl` reader: opens the SQLite metadata read-only and turns it into a checked tree. Everything
// in an `.fl` is untrusted input, so every rule a materialiser relies on is enforced here, once:
// names are single path components, every entry hangs off the root through directories only (no
// cycles, no duplicates), only directories, regular files and symlinks exist, symlinks do not climb
// out of the root, set-id bits only when the caller allows them, and every file's size matches its
// block list and stays under the caller's limits (no "sparse" 1 PB files).
import { DatabaseSync } from "node:sqlite";
import { BLOCK_SIZE } from "./block.ts";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, S_ISUID } from "./schema.ts";
import type { Route } from "./store.ts";

export type EntryKind = "dir" | "file" | "symlink";

export interface FlBlock {
  id: Uint8Array;
  key: Uint8Array;
}

export interface FlEntry {
  ino: number;
  /** path relative to the root, "" for the root itself, components joined by "/" */
  path: string;
  kind: EntryKind;
  /** permission bits (mode & 0o7777) */
  perm: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  /** symlink target */
  target?: string;
  blocks: FlBlock[];
}

export interface ReadLimits {
  /** largest single file (default 64 GiB) */
  maxFileBytes?: number;
  /** largest total of all files (default 256 GiB) */
  maxTotalBytes?: number;
  /** most entries (default 1,000,000) */
  maxEntries?: number;
  /** accept setuid/setgid bits (a VM root needs them; default false: refused) */
  allowSetId?: boolean;
}

export interface Flist {
  /** "fl" (rfs v2) or "flist" (legacy 0-fs) */
  format?: "fl" | "flist";
  /** bytes per block (rfs: 512 KiB; legacy: File.blockSize × 4 KiB) */
  blockSize?: number;
  /** checks and decodes one stored block (default: the rfs v2 scheme, decodeBlock) */
  decode?: (b: FlBlock, data: Uint8Array) => Uint8Array | Promise<Uint8Array>;
  tags: Record<string, string>;
  routes: Route[];
  /** parents before children */
  entries: FlEntry[];
  totalBytes: number;
}

/** An `.fl` that breaks a rule; the message says which entry and why. */
export class FlistError extends Error {
  override name = "FlistError";
}

const KIND: Record<number, EntryKind> = { [S_IFDIR]: "dir", [S_IFREG]: "file", [S_IFLNK]: "symlink" };

export function checkName(name: unknown, where: string): string {
  if (typeof name !== "string" || name === "" || name === "." || name === ".." || name.includes("/") ||
    name.includes("\0") || new TextEncoder().encode(name).length > 255) {
    throw new FlistError(`${where}: entry name ${JSON.stringify(name)} is not a single path component`);
  }
  return name;
}

/** Whether a relative symlink target, resolved from the directory `dir`, stays inside the root.
 * Absolute targets are read relative to the flist root (as inside the VM or container) and allowed. */
export function symlinkStaysInside(dir: string, target: string): boolean {
  if (target.startsWith("/")) return true;
  let depth = dir === "" ? 0 : dir.split("/").length;
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      depth--;
      if (depth < 0) return false;
    } else depth++;
  }
  return true;
}

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return new TextEncoder().encode(v);
  return new Uint8Array();
}

export function readFlist(file: string, limits: ReadLimits = {}): Flist {
  const maxFile = limits.maxFileBytes ?? 64 * 2 ** 30;
  const maxTotal = limits.maxTotalBytes ?? 256 * 2 ** 30;
  const maxEntries = limits.maxEntries ?? 1_000_000;
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, { readOnly: true });
  } catch (e) {
    throw new FlistError(`${file}: cannot open as SQLite (${(e as Error).message})`);
  }
  try {
    const all = <T>(sql: string): T[] => {
      try {
        return db.prepare(sql).all() as T[];
      } catch (e) {
        throw new FlistError(`${file} is not an rfs .fl (${(e as Error).message})`);
      }
    };
    const tags: Record<string, string> = {};
    for (const r of all<{ key: string; value: string }>("SELECT key, value FROM tag")) tags[String(r.key)] = String(r.value);
    const routes = all<Route>("SELECT start, end, url FROM route").map((r) => ({
      start: Number(r.start), end: Number(r.end), url: String(r.url),
    }));
    type Row = { ino: number; parent: number; name: string; size: number; uid: number; gid: number; mode: number; mtime: number };
    const rows = all<Row>("SELECT ino, parent, name, size, uid, gid, mode, mtime FROM inode ORDER BY ino");
    if (rows.length > maxEntries) throw new FlistError(`${file}: ${rows.length} entries, more than the ${maxEntries} allowed`);
    const extra = new Map<number, string>();
    for (const r of all<{ ino: number; data: unknown }>("SELECT ino, data FROM extra")) {
      extra.set(Number(r.ino), typeof r.data === "string" ? r.data : new TextDecoder().decode(toBytes(r.data)));
    }
    const blocks = new Map<number, FlBlock[]>();
    for (const r of all<{ ino: number; id: unknown; key: unknown }>("SELECT ino, id, key FROM block ORDER BY rowid")) {
      const id = toBytes(r.id);
      const key = toBytes(r.key);
      if (id.length !== 32 || key.length !== 32) throw new FlistError(`${file}: inode ${r.ino} has a block whose id or key is not 32 bytes`);
      const list = blocks.get(Number(r.ino)) ?? [];
      list.push({ id, key });
      blocks.set(Number(r.ino), list);
    }
    const roots = rows.filter((r) => Number(r.parent) === 0);
    if (roots.length !== 1 || (Number(roots[0].mode) & S_IFMT) !== S_IFDIR) {
      throw new FlistError(`${file}: needs exactly one root directory (parent 0), found ${roots.length}`);
    }
    const children = new Map<number, Row[]>();
    for (const r of rows) {
      if (Number(r.parent) === 0) continue;
      const list = children.get(Number(r.parent)) ?? [];
      list.push(r);
      children.set(Number(r.parent), list);
    }
    const entries: FlEntry[] = [];
    let total = 0;
    const make = (r: Row, path: string): FlEntry => {
      const mode = Number(r.mode);
      const kind = KIND[mode & S_IFMT];
      const where = `${file}: /${path}`;
      if (!kind) throw new FlistError(`${where}: type 0o${(mode & S_IFMT).toString(8)} (device node, fifo or socket) is refused`);
      if ((mode & (S_ISUID | S_ISGID)) && !limits.allowSetId) {
        throw new FlistError(`${where}: setuid/setgid bits (mode 0o${(mode & 0o7777).toString(8)}) are refused`);
      }
      const size = Number(r.size);
      const bl = blocks.get(Number(r.ino)) ?? [];
      if (kind === "file") {
        if (!Number.isSafeInteger(size) || size < 0) throw new FlistError(`${where}: bad size ${r.size}`);
        if (size > maxFile) throw new FlistError(`${where}: ${size} bytes is larger than the ${maxFile} allowed`);
        if (bl.length !== Math.ceil(size / BLOCK_SIZE)) {
          throw new FlistError(`${where}: size ${size} needs ${Math.ceil(size / BLOCK_SIZE)} blocks, the flist lists ${bl.length} (sparse or truncated)`);
        }
        total += size;
        if (total > maxTotal) throw new FlistError(`${file}: files add up to more than the ${maxTotal} bytes allowed`);
      } else if (bl.length > 0) throw new FlistError(`${where}: a ${kind} cannot have blocks`);
      const e: FlEntry = {
        ino: Number(r.ino), path, kind, perm: mode & 0o7777, uid: Number(r.uid), gid: Number(r.gid),
        mtime: Number(r.mtime), size: kind === "file" ? size : 0, blocks: bl,
      };
      if (kind === "symlink") {
        const target = extra.get(e.ino);
        if (!target || target.includes("\0")) throw new FlistError(`${where}: symlink without a target`);
        const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
        if (!symlinkStaysInside(dir, target)) throw new FlistError(`${where}: symlink target ${JSON.stringify(target)} escapes the root`);
        e.target = target;
      }
      return e;
    };
    // breadth-first from the root: each inode is reached at most once, so cycles and rows that do
    // not hang off the root are found (the visited count must equal the row count)
    const rootRow = roots[0];
    const queue: FlEntry[] = [make(rootRow, "")];
    const visited = new Set<number>([Number(rootRow.ino)]);
    for (let qi = 0; qi < queue.length; qi++) {
      const e = queue[qi];
      entries.push(e);
      const kids = children.get(e.ino) ?? [];
      if (kids.length > 0 && e.kind !== "dir") throw new FlistError(`${file}: /${e.path} is a ${e.kind} but has entries under it`);
      const names = new Set<string>();
      for (const k of kids) {
        const name = checkName(k.name, `${file}: under /${e.path}`);
        if (names.has(name)) throw new FlistError(`${file}: /${e.path} lists ${JSON.stringify(name)} twice`);
        names.add(name);
        if (visited.has(Number(k.ino))) throw new FlistError(`${file}: inode ${k.ino} is reached twice (cycle)`);
        visited.add(Number(k.ino));
        queue.push(make(k, e.path === "" ? name : `${e.path}/${name}`));
      }
    }
    if (visited.size !== rows.length) throw new FlistError(`${file}: ${rows.length - visited.size} entries do not hang off the root`);
    return { format: "fl", blockSize: BLOCK_SIZE, tags, routes, entries, totalBytes: total };
  } finally {
    db.close();
  }
}
