// A kernel killed with SIGKILL cannot remove its run dir (/run/zos-kernel-<hash>: the private working dirs
// of its processes). Each kernel records its pid there; at start a kernel removes sibling run dirs whose
// recorded kernel is gone. Only dirs we own, named like ours and holding a pid file are touched.
import { lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pidAlive } from "../capabilities/lib/proc-parents.ts";

export const PID_FILE = "kernel.pid";
const RUN_DIR_NAME = /^zos-kernel-[0-9a-f]{12}$/;

/** Writes our pid into our run dir. */
export function claimRunDir(runDir: string): void {
  writeFileSync(join(runDir, PID_FILE), `${process.pid}\n`, { mode: 0o600 });
}

/** Removes stale sibling run dirs; returns the ones removed. */
export function sweepStaleRunDirs(runDir: string): string[] {
  const parent = dirname(runDir);
  const uid = typeof process.getuid === "function" ? process.getuid() : -1;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!RUN_DIR_NAME.test(name) || name === basename(runDir)) continue;
    const dir = join(parent, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid >= 0 && st.uid !== uid)) continue;
      const pid = Number(readFileSync(join(dir, PID_FILE), "utf8").trim());
      if (!Number.isInteger(pid) || pid <= 0 || pidAlive(pid)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch { /* no pid file (an older kernel, or one still starting): leave it */ }
  }
  return removed;
}
