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
import { BLOCK_SIZE, BlockScratch, hex } from "./block.ts";
import { type BlockTask, writeBlock } from "./block-write.ts";
import { decodePool } from "./decode-pool.ts";
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
  /** worker threads that verify and write rfs v2 blocks (decode-pool.ts; default: one per CPU, 1 to 3;
   * 0 = this thread only). Used from POOL_MIN_BLOCKS blocks on. */
  workers?: number;
}

/** Blocks queued per worker: enough that a worker finishing one still has the next while this thread is
 * busy decoding one itself (its replies are read only between blocks), few enough that the last blocks do
 * not wait in one worker's queue while the others idle. */
const WORKER_DEPTH = 3;

/** Below this many blocks a flist is small enough for one thread. */
export const POOL_MIN_BLOCKS = 16;

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
    //    serialise on round trips); rfs v2 blocks written at their offsets by this thread and the decode
    //    pool's workers, legacy ones (their own decoder) strictly in order here
    const files = o.flist.entries.filter((e) => e.kind === "file");
    if (!o.flist.decode) {
      await writeByOffset(o, files, at, flags, result);
    } else {
      // legacy blocks: decoded by the flist's own decoder as they arrive, written in order
      const decode = o.flist.decode;
      const blockSize = o.flist.blockSize ?? BLOCK_SIZE;
      const width = Math.max(1, o.concurrency ?? 8);
      const jobs = files.flatMap((e) => e.blocks);
      const pending: Promise<Uint8Array>[] = [];
      let started = 0;
      const fill = () => {
        while (started < jobs.length && started - result.blocks < width) {
          const b = jobs[started++];
          const p = o.store.get(b.id).then((data) => decode(b, data));
          p.catch(() => {}); // awaited in order below; never an unhandled rejection meanwhile
          pending.push(p);
        }
      };
      const next = (): Promise<Uint8Array> => pending[result.blocks]!;
      try {
        for (const e of files) {
          const fd = openSync(at(e.path), flags, 0o600);
          try {
            let written = 0;
            for (let i = 0; i < e.blocks.length; i++) {
              fill();
              const plain = await next();
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

type Entry = Flist["entries"][number];

/**
 * rfs v2 files: each created here first (O_EXCL|O_NOFOLLOW), then `width` lanes each fetch a block and
 * have it verified, decoded and written at its offset (block-write.ts) by a pool worker (queued until one
 * has room), or by this thread while no worker has loaded (or the flist is small, or the pool cannot
 * start). A failure stops the lanes,
 * waits for what is in flight and rejects; the caller removes the staging folder.
 */
async function writeByOffset(o: MaterialiseOptions, files: Entry[], at: (p: string) => string, flags: number, result: MaterialiseResult): Promise<void> {
  const blockSize = o.flist.blockSize ?? BLOCK_SIZE;
  // one task per distinct block (id, key and length): a block used twice is fetched and checked once
  const byBlock = new Map<string, BlockTask>();
  for (const e of files) {
    if (e.blocks.length !== Math.ceil(e.size / blockSize)) throw new Error(`/${e.path}: ${e.blocks.length} blocks for ${e.size} bytes (blocks of ${blockSize})`);
    closeSync(openSync(at(e.path), flags, 0o600));
    e.blocks.forEach((b, i) => {
      const expected = Math.min(e.size - i * blockSize, blockSize);
      const write = { path: at(e.path), offset: i * blockSize };
      const name = `${hex(b.id)}${hex(b.key)}${expected}`;
      const seen = byBlock.get(name);
      if (seen) seen.writes.push(write);
      else byBlock.set(name, { id: b.id, key: b.key, writes: [write], expected, label: `/${e.path}: block ${i}` });
    });
  }
  const tasks = [...byBlock.values()];
  const workers = o.workers ?? defaultWorkers();
  const pool = workers > 0 && tasks.length >= POOL_MIN_BLOCKS ? decodePool(workers) : null;
  const scratch = new BlockScratch();
  // `concurrency` fetches in flight besides the lanes waiting on a worker
  const width = Math.max(1, o.concurrency ?? 8) + (pool ? workers * WORKER_DEPTH : 0);
  let next = 0;
  let failed: Error | null = null;
  const lane = async () => {
    while (!failed && next < tasks.length) {
      const t = tasks[next++];
      try {
        const data = await o.store.get(t.id);
        if (failed) return;
        const inWorker = pool?.run(t, data, WORKER_DEPTH);
        if (inWorker) await inWorker;
        // on this thread (no pool, or its workers still loading): with libcrypto writeBlock runs to its end
        // without yielding, so the scratch is never shared
        else {
          await writeBlock(t, data, scratch);
          // a macrotask turn: network reads and a worker saying it has loaded are events, not microtasks;
          // without it this thread would decode block after block while they wait
          if (pool) await new Promise((r) => setTimeout(r, 0));
        }
        result.blocks += t.writes.length;
      } catch (e) {
        failed ??= e as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  if (failed) throw failed;
  for (const e of files) {
    result.files++;
    result.bytes += e.size;
  }
}

/** One per CPU, 1 to 3 (≈ 30 MB each while they run): once the pool has loaded, this thread only fetches and hands blocks over. */
export function defaultWorkers(): number {
  const cpus = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 2;
  return Math.max(1, Math.min(3, cpus));
}
