// For tests that run a VM on a node and check it as its user would, beside test-node.ts: the guest answers
// ping from inside its network's NR namespace (the netlink driver's pin), and after a delete or a cancel its
// QEMU is gone. A failure says what the guest's console showed.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { qemuPids } from "./test-proc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the guest at `ip` answers one ping from the network namespace pinned at `pin`. */
export function pingFrom(pin: string, ip: string): boolean {
  return spawnSync("nsenter", [`--net=${pin}`, "--", "ping", "-c", "1", "-W", "2", ip], { stdio: "ignore" }).status === 0;
}

/** The last `n` lines of a VM's console log ("" before it has one). */
export function consoleTail(path: string, n = 20): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-n).join("\n");
  } catch {
    return "";
  }
}

/**
 * Waits until the guest at `ip` answers ping from the NR pinned at `pin` (TCG boots slowly on a busy
 * machine); past `ms` it throws with the tail of the VM's console log and whatever `more()` adds.
 */
export async function untilGuestAnswers(o: { pin: string; ip: string; consoleLog: string; ms?: number; more?: () => string }): Promise<void> {
  const ms = o.ms ?? 240_000;
  const end = Date.now() + ms;
  while (!pingFrom(o.pin, o.ip)) {
    if (Date.now() > end) {
      throw new Error(`the guest at ${o.ip} does not answer ping from its NR within ${ms / 1000} s${o.more ? `\n${o.more()}` : ""}\nconsole:\n${consoleTail(o.consoleLog, 25)}`);
    }
    await sleep(1000);
  }
}

/** Waits until no QEMU process names all of `parts` (the test's folder, the VM id); throws after `ms`. */
export async function untilQemuGone(parts: string[], ms: number, after: string): Promise<void> {
  const end = Date.now() + ms;
  while (qemuPids(...parts).length) {
    if (Date.now() > end) throw new Error(`QEMU still runs ${ms / 1000} s after ${after}`);
    await sleep(1000);
  }
}
