// The V8 code cache of each node process, built at image build and shipped read-only in the image.
//
// How Deno 2.9 keeps it: `$DENO_DIR/v8_code_cache_v2`, a SQLite database (table `codecache`: specifier, type,
// source_hash, data) next to its `info` table (`CLI_VERSION`: a different Deno empties it). Deno looks a module up
// by its specifier (`file:///lib/zos/capabilities/kv/main.bundle.js` in the image: the cache is keyed by the
// image's paths) and hands V8 the blob only when Deno's hash of the module's source text matches; V8 then refuses
// a blob made by another V8 version or with other V8 flags (magic, version and flag hashes) and compiles from source.
// A stale cache costs time, never correctness. What V8 does not check (release builds verify no payload checksum) is
// a blob crafted to match: so the cache must be immutable to every node process, like the bundle beside it.
//
// Deno opens the database read-write and runs `PRAGMA journal_mode=WAL; … PRAGMA optimize; CREATE TABLE IF NOT
// EXISTS …` first; on a file its uid cannot write this only succeeds when nothing has to be written: the file is
// already in WAL mode, its -wal and -shm files exist (SQLite then reads a WAL database without writing) and its
// statistics are current (`ANALYZE` here, so `PRAGMA optimize` finds nothing to do). Anything else and Deno silently
// runs without a cache. `writeCodeCache` writes exactly that, deterministically (rows sorted, one transaction, the
// runtime's own SQLite), and `checkReadOnlyOpen` proves at build time that a reader without write access gets it.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { ImageEntry } from "./newc.ts";

import { CODE_CACHE_FILES, CODE_CACHE_ROOT } from "../../kernel/code-cache.ts";

export { CODE_CACHE_FILES, CODE_CACHE_ROOT };
/** The database Deno 2.9 reads its V8 code cache from, in DENO_DIR. */
export const CODE_CACHE_DB = CODE_CACHE_FILES[0];

export interface CodeCacheRow {
  specifier: string;
  type: bigint;
  sourceHash: bigint;
  data: Uint8Array;
}

export interface CodeCacheContent {
  /** Deno's CLI version the cache belongs to (its `info` table). */
  cliVersion: string;
  rows: CodeCacheRow[];
}

/** The pragmas and tables Deno runs on every open (deno cli/cache: cache_db.rs, code_cache.rs). */
const DENO_OPEN_SQL = "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA temp_store=memory;PRAGMA page_size=4096;" +
  "PRAGMA mmap_size=6000000;PRAGMA optimize;CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);" +
  "CREATE TABLE IF NOT EXISTS codecache (specifier TEXT NOT NULL,type INTEGER NOT NULL,source_hash INTEGER NOT NULL,data BLOB NOT NULL,PRIMARY KEY (specifier, type));";

/** Reads a code cache database a Deno run wrote (WAL included). */
export function readCodeCache(dbPath: string): CodeCacheContent {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const version = db.prepare("SELECT value FROM info WHERE key='CLI_VERSION'").get();
    const stmt = db.prepare("SELECT specifier, type, source_hash, data FROM codecache ORDER BY specifier, type");
    stmt.setReadBigInts(true); // source_hash is a full 64-bit integer
    const rows = stmt.all().map((r) => ({
      specifier: String(r.specifier),
      type: r.type as bigint,
      sourceHash: r.source_hash as bigint,
      data: r.data as Uint8Array,
    }));
    return { cliVersion: String(version?.value ?? ""), rows };
  } finally {
    db.close();
  }
}

/**
 * Writes `content` as a cache folder Deno can read without write access: `dir`/v8_code_cache_v2 (WAL mode,
 * analysed, rows in specifier order) and empty -wal and -shm files. Same content → same bytes.
 */
export function writeCodeCache(dir: string, content: CodeCacheContent): void {
  mkdirSync(dir, { recursive: true });
  for (const f of CODE_CACHE_FILES) rmSync(join(dir, f), { force: true });
  const db = new DatabaseSync(join(dir, CODE_CACHE_DB));
  try {
    db.exec(DENO_OPEN_SQL);
    db.exec("BEGIN");
    db.prepare("INSERT INTO info (key, value) VALUES ('CLI_VERSION', ?)").run(content.cliVersion);
    const ins = db.prepare("INSERT INTO codecache (specifier, type, source_hash, data) VALUES (?, ?, ?, ?)");
    const sorted = [...content.rows].sort((a, b) => (a.specifier < b.specifier ? -1 : a.specifier > b.specifier ? 1 : Number(a.type - b.type)));
    for (const r of sorted) ins.run(r.specifier, r.type, BigInt.asIntN(64, r.sourceHash), r.data);
    db.exec("COMMIT");
    // current statistics: Deno's `PRAGMA optimize` at open then has nothing to write
    db.exec("ANALYZE");
  } finally {
    db.close(); // checkpoints the WAL into the database file and removes it
  }
  writeFileSync(join(dir, `${CODE_CACHE_DB}-wal`), new Uint8Array(0));
  writeFileSync(join(dir, `${CODE_CACHE_DB}-shm`), new Uint8Array(0));
}

/**
 * Opens `dir`'s cache read-only and runs what Deno runs at open: throws (with SQLite's reason) when a reader
 * without write access would fall back to no cache.
 */
export function checkReadOnlyOpen(dir: string): number {
  const db = new DatabaseSync(join(dir, CODE_CACHE_DB), { readOnly: true });
  try {
    db.exec(DENO_OPEN_SQL);
    return Number(db.prepare("SELECT count(*) AS n FROM codecache").get()?.n ?? 0);
  } finally {
    db.close();
  }
}

/** Image entries of one process's cache folder (`lib/zos/codecache/<name>/…`), root-owned and read-only to others. */
export function codeCacheEntries(imageRoot: string, name: string, dir: string): ImageEntry[] {
  const base = `${imageRoot}/${CODE_CACHE_ROOT}/${name}`;
  return [
    { path: `${imageRoot}/${CODE_CACHE_ROOT}`, type: "dir", mode: 0o755 },
    { path: base, type: "dir", mode: 0o755 },
    ...CODE_CACHE_FILES.map((f): ImageEntry => ({ path: `${base}/${f}`, type: "file", mode: 0o644, source: join(dir, f) })),
  ];
}

/**
 * A throwaway tree of the image's files (no kernel modules, no device nodes) to run its bundles in with the
 * image's own paths, runtime and libraries.
 */
export function materialise(entries: ImageEntry[], root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  chmodSync(root, 0o755);
  for (const e of entries) {
    if (e.type === "char" || e.path.startsWith("lib/modules/")) continue;
    const p = join(root, e.path);
    if (e.type === "dir") {
      mkdirSync(p, { recursive: true, mode: e.mode });
      continue;
    }
    mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
    if (e.type === "symlink") {
      if (!existsSync(p)) symlinkSync(e.target!, p);
    } else if (e.source) {
      copyFileSync(e.source, p);
      chmodSync(p, e.mode);
    } else {
      writeFileSync(p, e.data ?? new Uint8Array(0), { mode: e.mode });
    }
  }
}

export interface WarmRun {
  /** process name (its cache folder) */
  name: string;
  /** absolute path of its entry inside the image (`/lib/zos/capabilities/kv/main.ts`) */
  entry: string;
  args: string[];
  /** the `--v8-flags=…` argument the kernel passes it (V8 refuses a cache made under other flags) */
  v8Args: string[];
}

/**
 * Runs `run` once inside a chroot of `root` (fresh mount, PID and network namespaces: nothing to reach, its
 * /proc its own; a user namespace when not root), stdin at EOF (every process exits when its kernel is gone),
 * with an empty DENO_DIR, and returns the cache it left. The process's code runs with -A inside the throwaway
 * tree only; a non-zero exit is fine (its modules were compiled, and cached, before its top-level code ran).
 */
export function warmOne(root: string, run: WarmRun, timeoutMs = 120_000): { content: CodeCacheContent; output: string } {
  const denoDir = `/tmp/zt-codecache-dd/${run.name}`;
  mkdirSync(join(root, denoDir), { recursive: true });
  const state = `/tmp/zt-codecache-state/${run.name}`;
  mkdirSync(join(root, state), { recursive: true });
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const r = spawnSync("unshare", [
    ...(isRoot ? [] : ["--user", "--map-root-user"]),
    "--mount", "--pid", "--net", "--fork", `--mount-proc=${join(root, "proc")}`, "--",
    "chroot", root, "/usr/bin/deno", "run", "--quiet", "--no-prompt", "--no-lock", "--no-remote", "--no-config", "--node-modules-dir=manual",
    "-A", ...run.v8Args, run.entry, ...run.args,
  ], {
    input: "", encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 << 20,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", DENO_DIR: denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}`;
  const db = join(root, denoDir, CODE_CACHE_DB);
  if (!existsSync(db)) throw new Error(`process ${run.name} left no V8 code cache (exit ${r.status}):\n${output.slice(-2000)}`);
  return { content: readCodeCache(db), output };
}
