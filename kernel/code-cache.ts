// Which DENO_DIR a process gets. The image carries, per process, a read-only folder with the V8 code cache its
// bundle was compiled into at image build (rootfs/lib/code-cache.ts): `${root}/codecache/<name>`. V8 trusts a
// cache blob whose header matches (release builds verify no payload checksum), so the folder is used only when
// no node process can change it: it and its files are root's, writable by nobody else, no symlink, and the
// process runs under a uid of its own (the kernel is root). Anything else and the process gets its own empty
// cache folder as before (a tmpfs dir of its uid), which costs start-up time, never safety.
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

export const CODE_CACHE_ROOT = "codecache";
/** Deno's cache databases the image seals per process: the V8 code cache and the module-graph analysis. */
export const SEALED_DBS = ["dep_analysis_cache_v2", "v8_code_cache_v2"];
/** The files Deno needs to read them without writing: each database, its empty WAL and shared-memory files. */
export const CODE_CACHE_FILES = SEALED_DBS.flatMap((db) => [db, `${db}-shm`, `${db}-wal`]);

export type CodeCacheChoice =
  | { kind: "none" }
  | { kind: "image"; dir: string }
  | { kind: "refused"; dir: string; reason: string };

/** Why `path` could be changed by someone other than root, or null when it cannot. */
function notRootsOnly(path: string, want: "dir" | "file"): string | null {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return `${path} is a symlink`;
  if (want === "dir" ? !st.isDirectory() : !st.isFile()) return `${path} is not a ${want === "dir" ? "directory" : "regular file"}`;
  if (st.uid !== 0) return `${path} is owned by uid ${st.uid}, not root`;
  if (st.mode & 0o022) return `${path} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
  return null;
}

/**
 * The image's read-only code cache folder for process `name` under `root`, if it exists and is safe to hand
 * to a process running as `uid` (null: the kernel is not root, the process runs as the kernel's own user).
 */
export function chooseCodeCache(root: string, name: string, uid: number | null): CodeCacheChoice {
  const dir = join(root, CODE_CACHE_ROOT, name);
  try {
    lstatSync(dir);
  } catch {
    return { kind: "none" };
  }
  try {
    if (uid === null || uid === 0) return { kind: "refused", dir, reason: "the process would run as the cache's owner (the kernel is not root)" };
    const problems = [notRootsOnly(dir, "dir")];
    const present = new Set(readdirSync(dir));
    for (const f of CODE_CACHE_FILES) problems.push(present.has(f) ? notRootsOnly(join(dir, f), "file") : `${join(dir, f)} is missing`);
    const reason = problems.filter((p) => p !== null).join("; ");
    return reason ? { kind: "refused", dir, reason } : { kind: "image", dir };
  } catch (err) {
    return { kind: "refused", dir, reason: (err as Error).message };
  }
}
