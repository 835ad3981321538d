// Durable small-file writes shared by every driver and tool that keeps state (kv, identity seed, dev chain,
// provision's file store, zos dev's endpoints): a reader — or a kill -9 at any line — sees the old file or the
// new one, never a torn one. Temp file in the same folder (rename is atomic only within one filesystem),
// full write, fsync, rename, then fsync of the folder so the rename itself survives a power cut.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644). The seed uses 0o400. */
  mode?: number;
  /** Create the parent folder (with this mode) when it is missing. */
  mkdirMode?: number;
}

/** Writes all of `data` to an open fd (writeSync may write less than asked). */
export function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** fsync of a folder, so renames and unlinks in it are durable. Filesystems that refuse it (EINVAL) are tolerated. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EACCES") return; // e.g. a sandbox that may write but not list
    throw err;
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EINVAL") throw err;
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` with `data` atomically and durably. */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  if (options.mkdirMode !== undefined) mkdirSync(dir, { recursive: true, mode: options.mkdirMode });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const fd = openSync(tmp, "wx", options.mode ?? 0o644);
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dir);
}
