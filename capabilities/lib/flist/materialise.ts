// Extracts a checked flist (reader.ts) into a new directory, fetching and verifying every block.
// Safety does not rest on path checks alone: the tree is built into a fresh staging directory that
// only this call writes, parents before children, every directory with mkdir (fails if anything is
// already there) and every file with O_CREAT|O_EXCL|O_NOFOLLOW, so no write can pass through a
// symlink or land outside the staging directory. Symlinks are created last, after all writes. The
// staging directory is renamed onto the target only when everything verified: a corrupt block leaves
// nothing behind.
import { chmodSync, chownSync, closeSync, constants, existsSync, lchownSync, lutimesSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeAll } from "../fs/atomic.ts";
import { BLOCK_SIZE, BlockScratch, decodeBlockAsync, decodeBlockInto } from "./block.ts";
import { nativeAesGcm } from "./aes-gcm-native.ts";
import type { FlBlock, Flist } from "./reader.ts";
import type { BlockStore } from "./store.ts";

export interface MaterialiseOptions {
  flist: Flist;
  store: BlockStore;
  /** the directory to create; must not exist */
  target: string;
  /** keep the flist's uid/gid (needs root; default: only when running as root) */
  preserveOwner?: boolean;
  /** clear setuid/setgid bits on the host copy (a shared root must not hand out set-id programs) */
  stripSetId?: boolean;
  /** creates the symlinks (relative paths inside `dir`), times included; default symlink(2) one by one.
   * Deno refuses symlink() under path-scoped permissions, so the flist driver pipes a tar to `tar -x`. */
  symlinks?: (dir: string, links: { path: string; target: string; mtime: number }[]) => Promise<void>;
  /** blocks fetched at once (default 8) */
  concurrency?: number;
}

export interface MaterialiseResult {
  files: number;
  bytes: number;
  blocks: number;
}

export async function materialise(o: MaterialiseOptions): Promise<MaterialiseResult> {
  if (existsSync(o.target)) throw new Error(`${o.target} already exists; materialise into a new directory`);
  const stage = join(dirname(o.target), `.${o.target.split("/").pop()}.partial-${process.pid}-${Date.now()}`);
  const owner = o.preserveOwner ?? (process.getuid?.() === 0);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const result: MaterialiseResult = { files: 0, bytes: 0, blocks: 0 };
  mkdirSync(stage, { mode: 0o700 });
  try {
    const at = (path: string) => (path === "" ? stage : join(stage, path));
    // 1. directories (parents come first in the flist's order); owner-only until the end
    for (const e of o.flist.entries) if (e.kind === "dir" && e.path !== "") mkdirSync(at(e.path), { mode: 0o700 });
    // 2. files: blocks fetched and checked `width` ahead across file boundaries (small files do not
    //    serialise on round trips), written strictly in order
    const files = o.flist.entries.filter((e) => e.kind === "file");
    // rfs v2 blocks with libcrypto at hand: fetched `width` ahead, decoded in order when written, into one
    // reused scratch (no fresh 512 KiB buffers per block); else decoded as they arrive (WebCrypto runs off
    // the JS thread, so that overlaps), legacy flists with their own decoder
    const scratch = !o.flist.decode && nativeAesGcm() ? new BlockScratch() : null;
    const decode = o.flist.decode ?? ((b: FlBlock, data: Uint8Array) => decodeBlockAsync(b.id, b.key, data));
    const blockSize = o.flist.blockSize ?? BLOCK_SIZE;
    const width = Math.max(1, o.concurrency ?? 8);
    const jobs = files.flatMap((e) => e.blocks);
    const pending: Promise<Uint8Array>[] = [];
    let started = 0;
    const fill = () => {
      while (started < jobs.length && started - result.blocks < width) {
        const b = jobs[started++];
        const p = scratch ? o.store.get(b.id) : o.store.get(b.id).then((data) => decode(b, data));
        p.catch(() => {}); // awaited in order below; never an unhandled rejection meanwhile
        pending.push(p);
      }
    };
    const next = async (b: FlBlock): Promise<Uint8Array> => {
      const got = await pending[result.blocks]!;
      if (!scratch) return got;
      return decodeBlockInto(b.id, b.key, got, scratch) ?? await decodeBlockAsync(b.id, b.key, got);
    };
    try {
      for (const e of files) {
        const fd = openSync(at(e.path), flags, 0o600);
        try {
          let written = 0;
          for (let i = 0; i < e.blocks.length; i++) {
            fill();
            const plain = await next(e.blocks[i]);
            delete pending[result.blocks];
            result.blocks++;
            const expected = Math.min(e.size - written, blockSize);
            if (plain.length !== expected || (i === e.blocks.length - 1 && written + plain.length !== e.size)) {
              throw new Error(`/${e.path}: block ${i} holds ${plain.length} bytes, the size says ${expected}`);
            }
            writeAll(fd, plain);
            written += plain.length;
          }
        } finally {
          closeSync(fd);
        }
        result.files++;
        result.bytes += e.size;
      }
    } finally {
      await Promise.allSettled(pending.filter(Boolean)); // let in-flight fetches finish before cleanup
    }
    // 3. symlinks, after every write (so no write could ever follow one)
    const links = o.flist.entries.filter((e) => e.kind === "symlink").map((e) => ({ path: e.path, target: e.target!, mtime: e.mtime }));
    if (o.symlinks) {
      if (links.length > 0) await o.symlinks(stage, links);
    } else for (const l of links) symlinkSync(l.target, at(l.path));
    // 4. owners, modes and times, deepest first so a read-only directory is fixed last
    for (const e of [...o.flist.entries].reverse()) {
      const p = at(e.path);
      if (e.kind === "symlink") {
        if (owner) lchownSync(p, e.uid, e.gid); // never chown through the link
        if (!o.symlinks) lutimesSync(p, e.mtime, e.mtime);
        continue;
      }
      if (owner) chownSync(p, e.uid, e.gid); // before chmod: chown clears set-id bits
      chmodSync(p, o.stripSetId ? e.perm & ~0o6000 : e.perm);
      utimesSync(p, e.mtime, e.mtime);
    }
    renameSync(stage, o.target);
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    throw e;
  }
  return result;
}
