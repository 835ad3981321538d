// Process-tree facts for tests, read from /proc (checked from outside, as the security claims are).
import { readdirSync, readFileSync } from "node:fs";
import { parentPids } from "../capabilities/lib/proc-parents.ts";

/** Every live descendant of `pid`, from each /proc/PID/stat's parent pid. */
export function descendants(pid: number): number[] {
  const parent = parentPids();
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

/** Whether `pid` is a live process (signal 0; a zombie still counts): the kernel's own check. */
export { pidAlive as alive } from "../capabilities/lib/proc-parents.ts";

/** PIDs of live processes whose command line (argv joined by NULs) contains every one of `parts`. */
export function pidsWithArgv(...parts: string[]): number[] {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, "utf8");
      return parts.every((x) => argv.includes(x));
    } catch {
      return false; // gone meanwhile
    }
  }).map(Number);
}

/** PIDs of QEMU processes whose command line names every one of `parts` (a test's folder, a VM id). */
export function qemuPids(...parts: string[]): number[] {
  return pidsWithArgv(...parts).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("/usr/bin/qemu-system");
    } catch {
      return false;
    }
  });
}
