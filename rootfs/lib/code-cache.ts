// The V8 code cache of each node process, built at image build and shipped read-only in the image.
//
// How Deno 2.9 keeps it: `$DENO_DIR/v8_code_cache_v2`, a SQLite database (table `codecache`: specifier, type,
// source_hash, data) next to its `info` table (`CLI_VERSION`: a different Deno empties it). Deno looks a module up
// by its specifier (`file:///lib/zos/capabilities/kv/main.bundle.js` in the image: the cache is keyed by the
// image's paths) and hands V8 the blob only when Deno's hash of the module's source text matches; V8 then refuses
// a blob made by another V8 version or with other V8 flags (magic, version and flag hashes) and compiles from source.
// A stale cache costs time, never correctness. What V8 does not check (release builds verify no payload checksum) is
// a blob crafted to match: so the cache must be immutable to every node process, like the bundle beside it.
// Beside it the image seals `dep_analysis_cache_v2` (each module's imports, by source hash), which spares Deno
// parsing a whole bundle to build its module graph: the larger share of what a cached start saves.
//
// Deno opens the database read-write and runs `PRAGMA journal_mode=WAL; … PRAGMA optimize; CREATE TABLE IF NOT
// EXISTS …` first; on a file its uid cannot write this only succeeds when nothing has to be written: the file is
// already in WAL mode, its -wal and -shm files exist (SQLite then reads a WAL database without writing) and its
// statistics are current (`ANALYZE` here, so `PRAGMA optimize` finds nothing to do). Anything else and Deno silently
// runs without a cache. `writeCacheDb` writes exactly that, deterministically (rows sorted, one transaction, the
// runtime's own SQLite), and `checkReadOnlyOpen` proves at build time that a reader without write access gets it.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { ImageEntry } from "./newc.ts";
import { chrootShell } from "./chroot-shell.ts";
import { CODE_CACHE_FILES, CODE_CACHE_ROOT, SEALED_DBS } from "../../kernel/code-cache.ts";

export { CODE_CACHE_FILES, CODE_CACHE_ROOT, SEALED_DBS };
/** The database Deno 2.9 reads its V8 code cache from, in DENO_DIR. */
export const CODE_CACHE_DB = "v8_code_cache_v2";

type SqlValue = null | number | bigint | string | Uint8Array;

/** One table of a Deno cache database: its CREATE statement as Deno wrote it, and its rows in a fixed order. */
export interface CacheTable {
  name: string;
  sql: string;
  columns: string[];
  rows: SqlValue[][];
}

/** The tables of one Deno cache database (`info` with CLI_VERSION, and the cache table). */
export interface CacheDb {
  tables: CacheTable[];
}

/** What Deno runs on every open of a cache database (deno cli/cache/cache_db.rs), then its tables' CREATE IF NOT EXISTS. */
const DENO_OPEN_PRAGMAS = "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA temp_store=memory;PRAGMA page_size=4096;" +
  "PRAGMA mmap_size=6000000;PRAGMA optimize;";

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Reads a cache database a Deno run wrote (WAL included): every table but SQLite's own, rows ordered by all columns. */
export function readCacheDb(dbPath: string): CacheDb {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
    return {
      tables: tables.map((t) => {
        const name = String(t.name);
        const columns = db.prepare(`SELECT name FROM pragma_table_info(${`'${name.replace(/'/g, "''")}'`}) ORDER BY cid`).all().map((c) => String(c.name));
        const stmt = db.prepare(`SELECT ${columns.map(quote).join(", ")} FROM ${quote(name)} ORDER BY ${columns.map((_, i) => i + 1).join(", ")}`);
        stmt.setReadBigInts(true); // source hashes are full 64-bit integers
        return { name, sql: String(t.sql), columns, rows: stmt.all().map((r) => columns.map((c) => r[c])) };
      }),
    };
  } finally {
    db.close();
  }
}

/**
 * Writes `content` as a database Deno can read without write access: `dbPath` in WAL mode with current
 * statistics, rows in the order given, and empty -wal and -shm files beside it. Same content → same bytes.
 */
export function writeCacheDb(dbPath: string, content: CacheDb): void {
  mkdirSync(dirname(dbPath), { recursive: true });
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
  const db = new DatabaseSync(dbPath);
  try {
    db.exec(DENO_OPEN_PRAGMAS);
    db.exec("BEGIN");
    for (const t of content.tables) {
      db.exec(t.sql);
      const ins = db.prepare(`INSERT INTO ${quote(t.name)} (${t.columns.map(quote).join(", ")}) VALUES (${t.columns.map(() => "?").join(", ")})`);
      for (const r of t.rows) ins.run(...r);
    }
    db.exec("COMMIT");
    // current statistics: Deno's `PRAGMA optimize` at open then has nothing to write
    db.exec("ANALYZE");
  } finally {
    db.close(); // checkpoints the WAL into the database file and removes it
  }
  writeFileSync(`${dbPath}-wal`, new Uint8Array(0));
  writeFileSync(`${dbPath}-shm`, new Uint8Array(0));
}

/**
 * Opens a sealed database read-only and runs what Deno runs at open: throws (with SQLite's reason) when a
 * reader without write access would fall back to no cache. Returns its row count.
 */
export function checkReadOnlyOpen(dbPath: string): number {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    db.exec(DENO_OPEN_PRAGMAS);
    let n = 0;
    for (const t of db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()) {
      db.exec(String(t.sql).replace(/^CREATE TABLE /i, "CREATE TABLE IF NOT EXISTS "));
      n += Number(db.prepare(`SELECT count(*) AS n FROM ${quote(String(t.name))}`).get()?.n ?? 0);
    }
    return n;
  } finally {
    db.close();
  }
}

/**
 * Seals the caches a Deno run left in `fromDenoDir` into `toDir`, the folder a process gets as its DENO_DIR:
 * the V8 code cache and the module-graph analysis of its files (which spares parsing the bundle for its imports),
 * each rewritten by writeCacheDb and checked readable without write access. Returns the rows per database.
 */
export function sealDenoDir(fromDenoDir: string, toDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of SEALED_DBS) {
    const from = join(fromDenoDir, name);
    if (!existsSync(from)) throw new Error(`${from} is missing: the run left no ${name}`);
    writeCacheDb(join(toDir, name), readCacheDb(from));
    out[name] = checkReadOnlyOpen(join(toDir, name));
  }
  return out;
}

/** The V8 code cache's rows of a sealed or run-written folder: (specifier, source hash, blob), for checks and benches. */
export function codeCacheRows(dir: string): { specifier: string; sourceHash: bigint; data: Uint8Array }[] {
  const t = readCacheDb(join(dir, CODE_CACHE_DB)).tables.find((x) => x.name === "codecache");
  if (!t) throw new Error(`${join(dir, CODE_CACHE_DB)} has no codecache table`);
  const col = (n: string) => t.columns.indexOf(n);
  return t.rows.map((r) => ({ specifier: String(r[col("specifier")]), sourceHash: r[col("source_hash")] as bigint, data: r[col("data")] as Uint8Array }));
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

/**
 * A manifest argument with stand-ins for what PID 1 passes at boot (kernel/pid1/init.ts kernelVars): addresses that
 * reach nothing, so a process started outside a node loads, finds no kernel and exits.
 */
export function standInArg(arg: string, state: string, root: string): string {
  const vars: Record<string, string> = {
    state, root, farm: "1", gatewaylisten: "127.0.0.1:9", gatewayns: "-", zdblisten: "127.0.0.1:9", hubhosts: "127.0.0.1:9",
    hubstore: "http://127.0.0.1:9/blocks", qemu: "/usr/bin/qemu-system-x86_64", disks: "", hdd: "", requiressd: "",
  };
  return arg.replace(/\$\{(\w+)\}/g, (_, k: string) => vars[k] ?? (/url$/.test(k) ? "ws://127.0.0.1:9" : /host$/.test(k) ? "127.0.0.1:9" : ""));
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
export function warmOne(root: string, run: WarmRun, timeoutMs = 120_000): { denoDir: string; output: string } {
  const denoDir = `/tmp/zt-codecache-dd/${run.name}`;
  mkdirSync(join(root, denoDir), { recursive: true });
  const state = `/tmp/zt-codecache-state/${run.name}`;
  mkdirSync(join(root, state), { recursive: true });
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const r = spawnSync("unshare", [
    ...(isRoot ? [] : ["--user", "--map-root-user"]),
    "--mount", "--pid", "--net", "--fork", `--mount-proc=${join(root, "proc")}`, "--",
    ...chrootShell(root, 'exec chroot "$0" "$@"', [
      "/usr/bin/deno", "run", "--quiet", "--no-prompt", "--no-lock", "--no-remote", "--no-config", "--node-modules-dir=manual",
      "-A", ...run.v8Args, run.entry, ...run.args,
    ]),
  ], {
    input: "", encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 << 20,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", DENO_DIR: denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}`;
  if (!existsSync(join(root, denoDir, CODE_CACHE_DB))) throw new Error(`process ${run.name} left no V8 code cache (exit ${r.status}):\n${output.slice(-2000)}`);
  return { denoDir: join(root, denoDir), output };
}
