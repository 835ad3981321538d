// A cpio "newc" (SVR4, no CRC) writer and reader — the format the Linux kernel unpacks as initramfs.
// Written here rather than driving the host's `cpio` so the archive is reproducible by construction
// (sorted entries, sequential inodes, fixed mtime/uid/gid) and so /dev/console can be a character
// device entry without a root-owned mknod on the build host.
import { closeSync, openSync, readSync, writeSync } from "node:fs";

export type EntryType = "dir" | "file" | "symlink" | "char";

export interface ImageEntry {
  /** Path inside the image, without a leading slash ("usr/lib/x"). */
  path: string;
  type: EntryType;
  /** Permission bits (the type bits are added from `type`). */
  mode: number;
  /** Host file to copy (type "file"), read at write time so large files are streamed. */
  source?: string;
  /** Literal content (type "file") when there is no host file. */
  data?: Uint8Array;
  /** Link target (type "symlink"). */
  target?: string;
  /** Device numbers (type "char"). */
  major?: number;
  minor?: number;
}

const TYPE_BITS: Record<EntryType, number> = { dir: 0o040000, file: 0o100000, symlink: 0o120000, char: 0o020000 };
const MAGIC = "070701";
const enc = new TextEncoder();

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Normalises and validates an image path; throws on "..", empty segments or absolute paths. */
export function normalisePath(p: string): string {
  const clean = p.replace(/^\/+/, "").replace(/\/+$/, "");
  if (!clean || clean.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new Error(`bad image path "${p}"`);
  }
  return clean;
}

/**
 * Orders entries so that every directory precedes its contents and the order depends only on the
 * paths (byte-wise sort), and adds any missing parent directories (mode 0755).
 */
export function canonicalEntries(entries: ImageEntry[]): ImageEntry[] {
  const byPath = new Map<string, ImageEntry>();
  for (const e of entries) {
    const path = normalisePath(e.path);
    if (byPath.has(path)) throw new Error(`duplicate image path "${path}"`);
    byPath.set(path, { ...e, path });
  }
  for (const path of [...byPath.keys()]) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const existing = byPath.get(parent);
      if (!existing) byPath.set(parent, { path: parent, type: "dir", mode: 0o755 });
      else if (existing.type !== "dir") throw new Error(`"${parent}" is both a ${existing.type} and a directory`);
    }
  }
  // Sorting by path components (not raw strings) keeps "a/b" right after "a" even when "a-x" exists.
  return [...byPath.values()].sort((a, b) => compareParts(a.path.split("/"), b.path.split("/")));
}

function compareParts(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

function header(ino: number, mode: number, nlink: number, mtime: number, size: number, rmaj: number, rmin: number, nameLen: number): string {
  return MAGIC + [ino, mode, 0, 0, nlink, mtime, size, 0, 0, rmaj, rmin, nameLen, 0].map(hex8).join("");
}

export interface WriteResult {
  bytes: number;
  entries: number;
}

/** Writes the archive to `outPath`. `mtime` is the same for every entry (reproducibility). */
export function writeNewc(outPath: string, entries: ImageEntry[], mtime = 0): WriteResult {
  const list = canonicalEntries(entries);
  const fd = openSync(outPath, "w", 0o644);
  let offset = 0;
  const put = (b: Uint8Array): void => {
    let done = 0;
    while (done < b.length) done += writeSync(fd, b, done, b.length - done);
    offset += b.length;
  };
  const zero = new Uint8Array(4);
  const writeRecord = (ino: number, e: ImageEntry | null, name: string, body: Uint8Array | string | null, size: number): void => {
    const mode = e ? TYPE_BITS[e.type] | (e.mode & 0o7777) : 0;
    const nlink = e?.type === "dir" ? 2 : 1;
    const nameBytes = enc.encode(name + "\0");
    put(enc.encode(header(ino, mode, e ? nlink : 1, e ? mtime : 0, size, e?.major ?? 0, e?.minor ?? 0, nameBytes.length)));
    put(nameBytes);
    put(zero.subarray(0, pad4(110 + nameBytes.length)));
    if (typeof body === "string") copyFile(body, size, put);
    else if (body) put(body);
    put(zero.subarray(0, pad4(size)));
  };
  try {
    let ino = 1;
    for (const e of list) {
      if (e.type === "file") {
        if (e.source) {
          const size = fileSize(e.source);
          writeRecord(ino++, e, e.path, e.source, size);
        } else {
          const data = e.data ?? new Uint8Array(0);
          writeRecord(ino++, e, e.path, data, data.length);
        }
      } else if (e.type === "symlink") {
        const t = enc.encode(e.target ?? "");
        writeRecord(ino++, e, e.path, t, t.length);
      } else {
        writeRecord(ino++, e, e.path, null, 0);
      }
    }
    writeRecord(0, null, "TRAILER!!!", null, 0);
    // The kernel accepts any length, but 512-byte blocks match what cpio(1) writes.
    const tail = (512 - (offset % 512)) % 512;
    if (tail) put(new Uint8Array(tail));
    return { bytes: offset, entries: list.length };
  } finally {
    closeSync(fd);
  }
}

function fileSize(path: string): number {
  const fd = openSync(path, "r");
  try {
    let size = 0;
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      size += n;
    }
    return size;
  } finally {
    closeSync(fd);
  }
}

function copyFile(path: string, expected: number, put: (b: Uint8Array) => void): void {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(1 << 20);
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      total += n;
      put(buf.subarray(0, n));
    }
    if (total !== expected) throw new Error(`${path} changed size while the image was written`);
  } finally {
    closeSync(fd);
  }
}

export interface ReadEntry {
  path: string;
  mode: number;
  size: number;
  major: number;
  minor: number;
  mtime: number;
  uid: number;
  gid: number;
  /** File content or symlink target bytes. */
  data: Uint8Array;
}

const dec = new TextDecoder();

/** Parses a newc archive held in memory (one or more concatenated archives). */
export function readNewc(buf: Uint8Array): ReadEntry[] {
  const out: ReadEntry[] = [];
  let off = 0;
  while (off + 110 <= buf.length) {
    // Skip zero padding between concatenated archives.
    if (buf[off] === 0) {
      off += 4;
      continue;
    }
    const magic = dec.decode(buf.subarray(off, off + 6));
    if (magic !== MAGIC && magic !== "070702") throw new Error(`not a newc archive at offset ${off}`);
    const f = (i: number): number => parseInt(dec.decode(buf.subarray(off + 6 + i * 8, off + 14 + i * 8)), 16);
    const mode = f(1), uid = f(2), gid = f(3), mtime = f(5), size = f(6), rmaj = f(9), rmin = f(10), nameLen = f(11);
    const nameStart = off + 110;
    const name = dec.decode(buf.subarray(nameStart, nameStart + nameLen - 1));
    const dataStart = nameStart + nameLen + pad4(110 + nameLen);
    const data = buf.subarray(dataStart, dataStart + size);
    off = dataStart + size + pad4(size);
    if (name === "TRAILER!!!") continue;
    out.push({ path: name, mode, size, major: rmaj, minor: rmin, mtime, uid, gid, data });
  }
  return out;
}

export function entryKind(mode: number): EntryType | "other" {
  switch (mode & 0o170000) {
    case 0o040000:
      return "dir";
    case 0o100000:
      return "file";
    case 0o120000:
      return "symlink";
    case 0o020000:
      return "char";
    default:
      return "other";
  }
}
