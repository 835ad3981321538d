// File-backed DurableStore: a snapshot plus an append-only, checksummed commit log, group-committed.
//
//   <dir>/snapshot.json   {"gen": G, "data": {key: value}}   written temp + fsync + rename + dir fsync
//   <dir>/log.<G>         one line per commit: "<crc32 hex8> <json [[op,key,value?],...]>\n"
//
// A commit is durable when its line is fdatasync'ed. Commits arriving while a write is in flight are
// batched into the next line (group commit), so many concurrent deploys cost one fsync. On open, the
// log is replayed up to the first torn or corrupt line (a kill -9 mid-write) and truncated there:
// every commit whose promise resolved is kept, a half-written one is dropped whole. When the log grows
// past `compactBytes` the state is written to a new snapshot generation and a fresh log is started;
// a crash between the two steps is harmless (stale logs of older generations are ignored and removed).
import {
  closeSync,
  fdatasync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import zlib from "node:zlib";
import type { DurableStore, StoreOp } from "./store.ts";
import { fsyncDir } from "../../capabilities/lib/fs/atomic.ts";

const crc32 = (zlib as unknown as { crc32(s: string): number }).crc32;

export interface FileStoreOptions {
  /** Start a new snapshot generation when the log exceeds this many bytes (default 8 MiB). */
  compactBytes?: number;
}


function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

export class FileStore implements DurableStore {
  readonly dir: string;
  private data = new Map<string, string>();
  private gen = 0;
  private fd = -1;
  private logBytes = 0;
  private readonly compactBytes: number;
  private pending: { ops: StoreOp[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing = false;
  private closed = false;

  private constructor(dir: string, opts: FileStoreOptions) {
    this.dir = dir;
    this.compactBytes = opts.compactBytes ?? 8 * 1024 * 1024;
  }

  static open(dir: string, opts: FileStoreOptions = {}): FileStore {
    mkdirSync(dir, { recursive: true });
    const s = new FileStore(dir, opts);
    s.load();
    return s;
  }

  private load(): void {
    const snap = join(this.dir, "snapshot.json");
    if (existsSync(snap)) {
      const parsed = JSON.parse(readFileSync(snap, "utf8")) as { gen: number; data: Record<string, string> };
      this.gen = parsed.gen;
      this.data = new Map(Object.entries(parsed.data));
    }
    for (const f of readdirSync(this.dir)) {
      const m = /^log\.(\d+)$/.exec(f);
      if ((m && Number(m[1]) !== this.gen) || f.endsWith(".tmp")) unlinkSync(join(this.dir, f));
    }
    const logPath = join(this.dir, `log.${this.gen}`);
    let good = 0;
    if (existsSync(logPath)) {
      const buf = readFileSync(logPath);
      let off = 0;
      while (off < buf.length) {
        const nl = buf.indexOf(0x0a, off);
        if (nl < 0) break; // torn tail
        const line = buf.subarray(off, nl).toString("utf8");
        if (line.length < 10 || line[8] !== " ") break;
        const body = line.slice(9);
        if (hex8(crc32(body)) !== line.slice(0, 8)) break;
        let ops: [string, string, string?][];
        try {
          ops = JSON.parse(body);
        } catch {
          break;
        }
        this.apply(ops);
        off = nl + 1;
        good = off;
      }
    }
    this.fd = openSync(logPath, existsSync(logPath) ? "r+" : "w+");
    ftruncateSync(this.fd, good);
    fdatasyncSync(this.fd);
    this.logBytes = good;
    fsyncDir(this.dir);
  }

  private apply(ops: [string, string, string?][]): void {
    for (const [op, key, value] of ops) {
      if (op === "p") this.data.set(key, value!);
      else this.data.delete(key);
    }
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.data.get(key));
  }

  list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (const k of this.data.keys()) if (k.startsWith(prefix)) out.push(k);
    return Promise.resolve(out.sort());
  }

  /** Number of keys (for tests and statistics). */
  get size(): number {
    return this.data.size;
  }

  commit(ops: StoreOp[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`store ${this.dir} is closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setTimeout(() => void this.flush(), 0);
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const enc: [string, string, string?][] = [];
      for (const b of batch) for (const o of b.ops) enc.push(o.op === "put" ? ["p", o.key, o.value] : ["d", o.key]);
      const body = JSON.stringify(enc);
      const line = new TextEncoder().encode(`${hex8(crc32(body))} ${body}\n`);
      let written = 0;
      while (written < line.length) written += writeSync(this.fd, line, written, line.length - written, this.logBytes + written);
      // asynchronous so the thread keeps accepting (and batching) while the disk syncs
      await new Promise<void>((res, rej) => fdatasync(this.fd, (e) => (e ? rej(e) : res())));
      this.logBytes += line.length;
      this.apply(enc);
      if (this.logBytes > this.compactBytes) this.compact();
      for (const b of batch) b.resolve();
    } catch (e) {
      for (const b of batch) b.reject(e as Error);
    }
    if (this.pending.length) setTimeout(() => void this.flush(), 0);
    else this.flushing = false;
  }

  private compact(): void {
    const next = this.gen + 1;
    const tmp = join(this.dir, `snapshot.json.${next}.tmp`);
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, JSON.stringify({ gen: next, data: Object.fromEntries(this.data) }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const newLog = join(this.dir, `log.${next}`);
    const lfd = openSync(newLog, "w+");
    fsyncSync(lfd);
    renameSync(tmp, join(this.dir, "snapshot.json"));
    fsyncDir(this.dir);
    closeSync(this.fd);
    unlinkSync(join(this.dir, `log.${this.gen}`));
    this.fd = lfd;
    this.gen = next;
    this.logBytes = 0;
  }

  async close(): Promise<void> {
    while (this.flushing) await new Promise((r) => setTimeout(r, 1));
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
