// One 0-db namespace on disk: a folder holding its descriptor (`zdb-namespace`, written atomically) and
// append-only data files (`zdb-data-00000`, …, a new one past `dataFileSize`). The index lives in memory
// and is rebuilt on open by replaying the data files; a record cut short by a crash (kill -9 in the middle
// of a write) fails its CRC or length check and is truncated away, so every record served is whole.
import { Buffer } from "node:buffer";
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fsyncDir, writeAll, writeFileAtomic } from "../lib/fs/atomic.ts";
import { crc32 } from "./lib/crc32.ts";
import {
  decodeHeader, decodeNamespaceHeader, encodeNamespaceHeader, encodeRecord, KIND_DELETE, KIND_SET, type NamespaceHeader,
  RECORD_HEADER,
} from "./lib/record.ts";

export const DESCRIPTOR = "zdb-namespace";
const DATA_PREFIX = "zdb-data-";
export const DEFAULT_DATA_FILE_SIZE = 256 * 1024 * 1024;
/** kept free in a namespace's volume for its descriptor and the filesystem's own blocks (plus 2 % of it) */
const VOLUME_HEADROOM = 1024 * 1024;

/** Where a key's live value is. `order` is the record's position in the namespace's history (SCAN order). */
export interface Entry {
  key: Buffer;
  file: number;
  /** offset of the record header */
  offset: number;
  length: number;
  crc: number;
  timestamp: number;
  order: number;
  live: boolean;
}

export interface Settings {
  password: string | null;
  maxsize: bigint;
  public: boolean;
  worm: boolean;
  mode: "user" | "seq";
  locked: boolean;
  frozen: boolean;
}

interface DataFile {
  id: number;
  fd: number;
  /** bytes in the file plus bytes pending (offsets of new records are known before the write) */
  size: number;
}

const fileName = (id: number) => `${DATA_PREFIX}${String(id).padStart(5, "0")}`;
const seqKey = (id: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(id);
  return b;
};

export class Namespace {
  readonly name: string;
  readonly dir: string;
  settings: Settings;
  private index = new Map<string, Entry>();
  /** entries in write order; dead ones are skipped by SCAN and compacted away now and then */
  private order: Entry[] = [];
  private dead = 0;
  private nextOrder = 0;
  private files: DataFile[] = [];
  /** records appended since the last flush(), all for the last data file */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** called when the namespace gets pending writes (the server flushes them before it replies) */
  onDirty: ((ns: Namespace) => void) | null = null;
  private dataFileSize: number;
  /** live payload bytes (what maxsize limits) */
  dataSize = 0;
  /** bytes of record headers and keys written (0-db's index size) */
  indexSize = 0;
  nextSeq = 0n;
  /** set when the namespace was deleted while clients still pointed at it */
  removed = false;
  /** what replay cut off on open (bytes), for the log */
  readonly truncated: number = 0;
  /** the folder is a storage volume whose quota is the namespace's size (the zdb workload on a node) */
  inVolume = false;
  /** the pool of that volume ("" in the server's own folder) */
  pool = "";

  private constructor(name: string, dir: string, settings: Settings, dataFileSize: number) {
    this.name = name;
    this.dir = dir;
    this.settings = settings;
    this.dataFileSize = dataFileSize;
  }

  /**
   * Creates the folder and descriptor of a new namespace in `dir` (its own folder under the server's data
   * root, or a storage volume handed to the server: then `inVolume`, and the volume's quota bounds its files).
   */
  static create(dir: string, name: string, settings: Settings, dataFileSize = DEFAULT_DATA_FILE_SIZE, inVolume = false): Namespace {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ns = new Namespace(name, dir, settings, dataFileSize);
    ns.inVolume = inVolume;
    ns.commit();
    ns.openFiles();
    return ns;
  }

  /** Opens an existing namespace folder and replays its data files into the index. */
  static open(dir: string, name: string, dataFileSize = DEFAULT_DATA_FILE_SIZE, inVolume = false): Namespace {
    const h = decodeNamespaceHeader(readFileSync(join(dir, DESCRIPTOR)));
    const { name: _n, ...settings } = h;
    const ns = new Namespace(name, dir, settings, dataFileSize);
    ns.inVolume = inVolume;
    ns.openFiles();
    (ns as { truncated: number }).truncated = ns.replay();
    return ns;
  }

  /** Persists the settings (atomic replace of the descriptor). */
  commit(): void {
    const h: NamespaceHeader = { name: this.name, ...this.settings };
    writeFileAtomic(join(this.dir, DESCRIPTOR), encodeNamespaceHeader(h), { mode: 0o600 });
  }

  get entries(): number {
    return this.index.size;
  }

  /** Bytes of the data files, pending writes included: what the volume's quota counts. */
  get diskBytes(): number {
    let n = 0;
    for (const f of this.files) n += f.size;
    return n;
  }

  /**
   * How many more bytes of records the volume takes: its quota (= maxsize) minus the files, minus headroom
   * for the descriptor and btrfs metadata charged to the volume. null = no volume bound (own folder).
   * Writes are refused before this runs out, so the quota's EDQUOT never hits a write already acknowledged.
   */
  get diskFree(): number | null {
    if (!this.inVolume || this.settings.maxsize === 0n) return null;
    const quota = Number(this.settings.maxsize);
    const headroom = VOLUME_HEADROOM + Math.ceil(quota / 50);
    return Math.max(0, quota - headroom - this.diskBytes);
  }

  private openFiles(): void {
    const ids = readdirSync(this.dir).filter((f) => f.startsWith(DATA_PREFIX)).map((f) => Number(f.slice(DATA_PREFIX.length)))
      .filter((n) => Number.isInteger(n)).sort((a, b) => a - b);
    if (ids.length === 0) ids.push(0);
    for (const id of ids) {
      const fd = openSync(join(this.dir, fileName(id)), "a+", 0o600);
      this.files.push({ id, fd, size: statSync(join(this.dir, fileName(id))).size });
    }
  }

  /** Replays every data file in order; returns how many bytes were cut off the end of the last one. */
  private replay(): number {
    let cut = 0;
    const CHUNK = 4 * 1024 * 1024;
    for (let fi = 0; fi < this.files.length; fi++) {
      const f = this.files[fi];
      const last = fi === this.files.length - 1;
      let off = 0;
      let buf = Buffer.alloc(0);
      let bufStart = 0;
      const ensure = (from: number, len: number): boolean => {
        if (from >= bufStart && from + len <= bufStart + buf.length) return true;
        if (from + len > f.size) return false;
        const want = Math.max(len, CHUNK);
        const n = Math.min(want, f.size - from);
        buf = Buffer.allocUnsafe(n);
        let got = 0;
        while (got < n) {
          const r = readSync(f.fd, buf, got, n - got, from + got);
          if (r === 0) break;
          got += r;
        }
        buf = buf.subarray(0, got);
        bufStart = from;
        return from + len <= bufStart + buf.length;
      };
      while (off < f.size) {
        if (!ensure(off, RECORD_HEADER + 255) && !ensure(off, RECORD_HEADER)) break;
        const rel = off - bufStart;
        const h = decodeHeader(buf, rel);
        if (!h) break;
        const total = RECORD_HEADER + h.keyLength + h.payloadLength;
        if (off + total > f.size) break; // cut short by a crash
        const key = Buffer.from(buf.subarray(rel + RECORD_HEADER, rel + RECORD_HEADER + h.keyLength));
        if (last && off + total === f.size && h.kind === KIND_SET) {
          // the last record of the last file is the only one a crash can have left half-written: check it all
          if (!ensure(off, total) || crc32(buf.subarray(off - bufStart + RECORD_HEADER + h.keyLength, off - bufStart + total)) !== h.payloadCrc) {
            break;
          }
        }
        this.apply(h.kind, key, f.id, off, h.payloadLength, h.payloadCrc, h.timestamp);
        off += total;
      }
      if (off < f.size) {
        if (!last) throw new Error(`namespace "${this.name}": damaged record in ${fileName(f.id)} at offset ${off} (not the last file, so not a crash in flight)`);
        ftruncateSync(f.fd, off);
        cut += f.size - off;
        f.size = off;
      }
    }
    return cut;
  }

  private apply(kind: number, key: Buffer, file: number, offset: number, length: number, crc: number, timestamp: number): void {
    const k = key.toString("latin1");
    const old = this.index.get(k);
    if (old) this.kill(old);
    this.indexSize += RECORD_HEADER + key.length;
    if (this.settings.mode === "seq" && key.length === 8) {
      const id = key.readBigUInt64LE(0);
      if (id >= this.nextSeq) this.nextSeq = id + 1n;
    }
    if (kind === KIND_DELETE) {
      this.index.delete(k);
      return;
    }
    const e: Entry = { key, file, offset, length, crc, timestamp, order: this.nextOrder++, live: true };
    this.index.set(k, e);
    this.order.push(e);
    this.dataSize += length;
  }

  private kill(e: Entry): void {
    e.live = false;
    this.dataSize -= e.length;
    this.dead++;
    if (this.dead > 1024 && this.dead > this.order.length / 2) {
      this.order = this.order.filter((x) => x.live);
      this.dead = 0;
    }
  }

  get(key: Uint8Array): Entry | undefined {
    // request arguments are Buffers already: no view made just to name the key (Buffer.from is µs in Deno)
    const b = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
    return this.index.get(b.toString("latin1"));
  }

  /** Allocates the next sequential key (seq mode). */
  allocateSeq(): Buffer {
    return seqKey(this.nextSeq);
  }

  /**
   * Appends a SET record and indexes it. The record is written by flush(), which the caller runs before it
   * acknowledges the write (the server: once per batch of requests, so pipelined writes cost one write()).
   */
  set(key: Buffer, payload: Buffer, timestamp: number, crc = crc32(payload)): void {
    const f = this.writable(RECORD_HEADER + key.length + payload.length);
    const rec = encodeRecord(KIND_SET, key, payload, timestamp, crc);
    const offset = this.append(f, rec);
    this.apply(KIND_SET, Buffer.from(key), f.id, offset, payload.length, crc, timestamp);
  }

  /** Appends a DELETE record (history stays in the data file until a FLUSH); written by flush(). */
  delete(key: Buffer, timestamp: number): void {
    const f = this.writable(RECORD_HEADER + key.length);
    const rec = encodeRecord(KIND_DELETE, key, Buffer.alloc(0), timestamp, 0);
    const offset = this.append(f, rec);
    this.apply(KIND_DELETE, Buffer.from(key), f.id, offset, 0, 0, timestamp);
  }

  private append(f: DataFile, rec: Buffer): number {
    const offset = f.size;
    this.pending.push(rec);
    this.pendingBytes += rec.length;
    f.size += rec.length;
    if (this.pending.length === 1) this.onDirty?.(this);
    return offset;
  }

  /** Writes pending records to the last data file in one write (in the page cache: kill -9 cannot lose it). */
  flush(): void {
    if (this.pending.length === 0) return;
    const f = this.files[this.files.length - 1];
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    writeAll(f.fd, data);
  }

  private writable(len: number): DataFile {
    let f = this.files[this.files.length - 1];
    if (f.size > 0 && f.size + len > this.dataFileSize) f = this.jump();
    return f;
  }

  /** Starts a new data file (NSJUMP, or when the current one is full). */
  jump(): DataFile {
    this.flush();
    const id = this.files[this.files.length - 1].id + 1;
    const fd = openSync(join(this.dir, fileName(id)), "a+", 0o600);
    const f = { id, fd, size: 0 };
    this.files.push(f);
    fsyncDir(this.dir);
    return f;
  }

  /**
   * Whether an entry's payload is exactly `value` (a SET of the same value is answered without a write, as
   * 0-db does; 0-db trusts the CRC alone, this compares the bytes). Read into reused memory: no allocation.
   */
  holds(e: Entry, value: Uint8Array): boolean {
    if (e.length !== value.length) return false;
    if (e.length > this.#scratch.length) return this.read(e).equals(value);
    return this.read(e, this.#scratch).equals(value);
  }

  #scratch = Buffer.alloc(64 * 1024);

  /** Reads an entry's payload: from the records not written yet, or from its data file; into `into` (a view
   * of it, valid until its next use) when given. */
  read(e: Entry, into?: Buffer): Buffer {
    const start = e.offset + RECORD_HEADER + e.key.length;
    const last = this.files[this.files.length - 1];
    const written = last.size - this.pendingBytes;
    if (e.file === last.id && e.offset >= written && this.pending.length) {
      // still pending (a SET of the same value, a GET, right after the write): no write() just to read it
      // back, which would break the group commit into one write per request
      let at = written;
      for (const rec of this.pending) {
        if (e.offset < at + rec.length) return Buffer.from(rec.subarray(start - at, start - at + e.length));
        at += rec.length;
      }
    }
    const f = this.files.find((x) => x.id === e.file);
    if (!f) throw new Error(`data file ${e.file} of namespace "${this.name}" is missing`);
    const out = into ? into.subarray(0, e.length) : Buffer.allocUnsafe(e.length);
    let got = 0;
    while (got < e.length) {
      const r = readSync(f.fd, out, got, e.length - got, start + got);
      if (r === 0) throw new Error(`data file ${fileName(e.file)} of namespace "${this.name}" ends early`);
      got += r;
    }
    return out;
  }

  /** Live entries after (or, backward, before) the one with order `after`; from the start/end when null. */
  scan(after: number | null, backward: boolean, limit: number): Entry[] {
    const out: Entry[] = [];
    const o = this.order;
    if (!backward) {
      let i = after === null ? 0 : upperBound(o, after);
      for (; i < o.length && out.length < limit; i++) if (o[i].live) out.push(o[i]);
    } else {
      let i = after === null ? o.length - 1 : upperBound(o, after - 1) - 1;
      for (; i >= 0 && out.length < limit; i--) if (o[i].live) out.push(o[i]);
    }
    return out;
  }

  /** Drops every key and data file (the FLUSH command): the namespace is empty afterwards, settings kept. */
  wipe(): void {
    this.pending = [];
    this.pendingBytes = 0;
    for (const f of this.files) {
      closeSync(f.fd);
      rmSync(join(this.dir, fileName(f.id)), { force: true });
    }
    this.files = [];
    this.index.clear();
    this.order = [];
    this.dead = 0;
    this.dataSize = 0;
    this.indexSize = 0;
    this.nextSeq = 0n;
    this.openFiles();
    fsyncDir(this.dir);
  }

  close(): void {
    this.flush();
    for (const f of this.files) closeSync(f.fd);
    this.files = [];
  }

  /** Closes and removes the namespace folder (a volume: its contents; the storage module deletes the volume). */
  destroy(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.close();
    this.removed = true;
    if (!this.inVolume) rmSync(this.dir, { recursive: true, force: true });
    else for (const f of readdirSync(this.dir)) rmSync(join(this.dir, f), { recursive: true, force: true });
  }

  get fresh(): boolean {
    return this.index.size === 0 && this.files.every((f) => f.size === 0);
  }
}

/** First index whose entry's order is greater than `order`. */
function upperBound(a: Entry[], order: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid].order <= order) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export { KIND_SET };
