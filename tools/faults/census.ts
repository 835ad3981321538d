// What a node holds on the machine, counted from outside (no question to the node): loop devices backed by files
// under its folder, mounts under it, the network namespaces it pinned there and the links inside them, and its
// processes (the kernel's descendants, plus wireguard-go daemons, which leave the process tree, found by the UAPI
// folder bind-mounted into them). Two censuses taken before and after a run are compared by `leaks()`.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import process from "node:process";
import { wireguardPids } from "../../modules/network/test/lab.ts";
import { parentPids } from "../../capabilities/lib/proc-parents.ts";

export interface Census {
  loops: string[];
  mounts: string[];
  namespaces: string[];
  /** "<namespace>/<link>" */
  links: string[];
  /** one entry per process: what it runs ("deno capabilities/kv/main.ts", "wireguard-go", …) */
  processes: string[];
}

function mountinfo(): { point: string; fs: string }[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean).map((line) => {
    const [pre, post] = line.split(" - ");
    return { point: pre.split(" ")[4].replace(/\\040/g, " "), fs: (post ?? "").split(" ")[0] };
  });
}

function loopsUnder(dir: string): string[] {
  try {
    const out = JSON.parse(execFileSync("losetup", ["-J", "-l"], { encoding: "utf8" }) || "{}") as { loopdevices?: { name: string; "back-file": string | null }[] };
    return (out.loopdevices ?? []).filter((l) => (l["back-file"] ?? "").startsWith(dir)).map((l) => `${l.name} ${l["back-file"]}`).sort();
  } catch {
    return [];
  }
}

/** What a process runs, without pids, temp paths or flags: the program and its script, if any. */
function label(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  const prog = basename(argv[0] ?? "?");
  const script = argv.slice(1).find((a) => /\.(ts|js|mjs)$/.test(a));
  return script ? `${prog} ${script.replace(/^.*?\/(capabilities|modules|kernel|grid|tools)\//, "$1/")}` : prog;
}

/** The process tree under `root` (excluded), by label. */
function descendants(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const [pid, pp] of parentPids()) children.set(pp, [...(children.get(pp) ?? []), pid]);
  const out = new Map<number, string>();
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      try {
        out.set(c, label(c));
      } catch { /* gone */ }
      walk(c);
    }
  };
  walk(root);
  return out;
}

/**
 * `dir`: the node's temp folder (loops, mounts); `state`: its kernel state dir (pins under netlink/ns,
 * wireguard UAPI under netlink/wg). Processes: those under this process, except `exclude` (helpers of the
 * test itself, e.g. a CLI it runs).
 */
export function census(dir: string, state: string): Census {
  const mounts = mountinfo().filter((m) => m.point.startsWith(dir + "/"));
  const namespaces = mounts.filter((m) => m.fs === "nsfs").map((m) => m.point).sort();
  const links: string[] = [];
  for (const pin of namespaces) {
    try {
      const out = execFileSync("nsenter", [`--net=${pin}`, "--", "ip", "-o", "link", "show"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 });
      for (const line of out.split("\n")) {
        const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
        if (name && name !== "lo") links.push(`${basename(pin)}/${name}`);
      }
    } catch { /* a pin whose namespace is gone shows as a mount, not here */ }
  }
  const procs = descendants(process.pid);
  for (const pid of wireguardPids(join(state, "netlink", "wg"))) if (!procs.has(pid)) procs.set(pid, "wireguard-go");
  return {
    loops: loopsUnder(dir),
    mounts: mounts.map((m) => `${m.point.slice(dir.length)} (${m.fs})`).sort(),
    namespaces: namespaces.map((n) => n.slice(dir.length)).sort(),
    links: links.sort(),
    processes: [...procs.values()].sort(),
  };
}

/** What `after` holds that `before` did not (a multiset difference per kind); empty lists = nothing leaked. */
export function leaks(before: Census, after: Census): Record<keyof Census, string[]> {
  // The pinned mount namespace every wireguard-go shares is made once, with the node's first NR, and kept for the
  // node's life (not per deployment); after the node stops, nothing may remain (checked separately).
  const perNode = (x: string) => x.includes("/netlink/wg-mnt");
  const diff = (a: string[], b0: string[]) => {
    const b = b0.filter((x) => !perNode(x));
    const left = [...a];
    const out: string[] = [];
    for (const x of b) {
      const i = left.indexOf(x);
      if (i >= 0) left.splice(i, 1);
      else out.push(x);
    }
    return out;
  };
  return {
    loops: diff(before.loops, after.loops),
    mounts: diff(before.mounts, after.mounts),
    namespaces: diff(before.namespaces, after.namespaces),
    links: diff(before.links, after.links),
    processes: diff(before.processes, after.processes),
  };
}

export function leakCount(l: Record<string, string[]>): number {
  return Object.values(l).reduce((n, xs) => n + xs.length, 0);
}

/**
 * Removes what a census found left behind (after the node stopped): kills its processes' leftovers (wireguard-go
 * daemons of its state), unmounts under `dir` deepest first and detaches its loops. The suite reports the
 * leftovers first; this only keeps a failed run from leaving them on the machine.
 */
export function sweep(dir: string, state: string): void {
  for (const pid of wireguardPids(join(state, "netlink", "wg"))) {
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  const points = mountinfo().map((m) => m.point).filter((p) => p.startsWith(dir + "/")).sort((a, b) => b.length - a.length);
  for (const p of points) {
    try {
      execFileSync("umount", ["-l", p], { stdio: "ignore" });
    } catch { /* already gone */ }
  }
  for (const l of loopsUnder(dir)) {
    try {
      execFileSync("losetup", ["-d", l.split(" ")[0]], { stdio: "ignore" });
    } catch { /* detached meanwhile */ }
  }
}
