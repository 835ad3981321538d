// Process-tree facts for tests, read from /proc (checked from outside, as the security claims are).
import process from "node:process";
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

/** Whether `pid` is a live process (signal 0; a zombie still counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
