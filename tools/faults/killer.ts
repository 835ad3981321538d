// kill -9 of one node process and the wait for it to be back. Targets: every kernel child (by manifest name; the
// kernel restarts it) and every distinct program running below them (wireguard-go, the gateway's proxy, the
// 0-db server: whoever started it must start it again).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import process from "node:process";
import type { RunningNode } from "../../modules/node.ts";
import { parentPids } from "../../capabilities/lib/proc-parents.ts";

export interface KillTarget {
  /** "kernel:<name>" or "below:<program>" */
  label: string;
  kernelName?: string;
  program?: string;
}

export interface KillRecord {
  target: string;
  pid: number;
  back: boolean;
  backAfterS: number;
  note: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a process runs: its program, and its script when it is a Deno program. */
function program(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  const script = argv.slice(1).find((a) => /\.(ts|js|mjs)$/.test(a));
  return script ? basename(script.replace(/\/(main|mod)\.ts$/, ".ts")) : basename(argv[0] ?? "?");
}

/** pid → program of every process below the kernel's children (and wireguard-go wherever it runs). */
export function belowKernel(node: RunningNode): Map<number, string> {
  const kernelPids = new Set(Object.keys(node.kernel.states()).map((n) => node.kernel.pid(n)).filter((p): p is number => !!p));
  const parent = parentPids();
  const out = new Map<number, string>();
  for (const pid of parent.keys()) {
    if (kernelPids.has(pid) || pid === process.pid) continue;
    let up = parent.get(pid);
    let below = false;
    for (let i = 0; up && i < 20; i++, up = parent.get(up)) if (kernelPids.has(up)) below = true;
    try {
      const prog = program(pid);
      if (below || prog === "wireguard-go") out.set(pid, prog);
    } catch { /* gone */ }
  }
  return out;
}

export function killTargets(node: RunningNode): KillTarget[] {
  const out: KillTarget[] = Object.keys(node.kernel.states()).map((n) => ({ label: `kernel:${n}`, kernelName: n }));
  const programs = new Set(belowKernel(node).values());
  // one of a kind below: nsenter/unshare helpers live for a moment and are not services
  for (const p of [...programs].sort()) if (!/^(nsenter|unshare|ip|nft|btrfs|losetup|mkfs\.btrfs|blkid|lsblk|cp|tar|chattr|fallocate)$/.test(p)) out.push({ label: `below:${p}`, program: p });
  return out;
}

export async function killAndWait(node: RunningNode, t: KillTarget, timeoutMs: number): Promise<KillRecord> {
  const t0 = Date.now();
  if (t.kernelName) {
    const name = t.kernelName;
    const pid = node.kernel.pid(name);
    // started on demand and nobody used it yet (kernel/README.md): nothing runs, nothing to kill or bring back
    if (!pid && node.kernel.states()[name] === "idle") return { target: t.label, pid: 0, back: true, backAfterS: 0, note: "idle (on-demand, not used yet)" };
    if (!pid) return { target: t.label, pid: 0, back: false, backAfterS: 0, note: "not running when its turn came" };
    process.kill(pid, "SIGKILL");
    while (Date.now() - t0 < timeoutMs) {
      const now = node.kernel.pid(name);
      if (now && now !== pid && node.kernel.states()[name] === "ready") {
        return { target: t.label, pid, back: true, backAfterS: Math.round((Date.now() - t0) / 100) / 10, note: "" };
      }
      await sleep(200);
    }
    return { target: t.label, pid, back: false, backAfterS: 0, note: `not ready again after ${timeoutMs / 1000} s (state ${node.kernel.states()[name]})` };
  }
  const before = [...belowKernel(node)].filter(([, p]) => p === t.program).map(([pid]) => pid);
  if (!before.length) return { target: t.label, pid: 0, back: false, backAfterS: 0, note: "not running when its turn came" };
  const pid = before[0];
  process.kill(pid, "SIGKILL");
  while (Date.now() - t0 < timeoutMs) {
    const now = [...belowKernel(node)].filter(([, p]) => p === t.program).map(([p]) => p);
    if (now.length >= before.length && !now.includes(pid)) {
      return { target: t.label, pid, back: true, backAfterS: Math.round((Date.now() - t0) / 100) / 10, note: "" };
    }
    await sleep(500);
  }
  return { target: t.label, pid, back: false, backAfterS: 0, note: `no ${t.program} started again within ${timeoutMs / 1000} s (whoever started it did not restart it)` };
}
