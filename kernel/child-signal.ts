// Signals to the kernel's children that are really sent. Deno's node:child_process `ChildProcess.kill()` sends
// only the first signal of a child's life: after kill("SIGTERM"), kill("SIGKILL") returns false and sends
// nothing, and `signalCode` is set when a signal is sent, not when the child died of it. A driver that did not
// act on SIGTERM (busy, stalled, stopped) was never killed: the node's stop waited for it forever, and a driver
// ended mid-teardown left what it held (docs/PERFORMANCE.md, node-load: loop devices after a stop).
import type { ChildProcess } from "node:child_process";
import process from "node:process";

const exited = new WeakSet<ChildProcess>();

/** Call once right after spawn: from then on `running()` knows when the child is gone. */
export function trackExit(child: ChildProcess): void {
  child.once("exit", () => exited.add(child));
}

/** True until the child's exit was seen (a signal sent to it does not count as its end). */
export function running(child: ChildProcess | null | undefined): child is ChildProcess {
  return !!child && child.pid !== undefined && child.exitCode === null && !exited.has(child);
}

/** Sends `sig` to a child that has not exited yet (never to a pid that may already be reused). */
export function signal(child: ChildProcess | null | undefined, sig: NodeJS.Signals): void {
  if (!running(child)) return;
  try {
    process.kill(child.pid!, sig);
  } catch { /* exited meanwhile */ }
}
