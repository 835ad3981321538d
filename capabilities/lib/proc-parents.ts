// Every process's parent pid, read from /proc/PID/stat (for host-side tools and tests that reason about process trees).
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";

export function parentPids(): Map<number, number> {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch { /* exited meanwhile */ }
  }
  return parent;
}

/** Whether `pid` is a live process (signal 0: a zombie still counts; one of another user's counts too). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM"; // exists, someone else's
  }
}
