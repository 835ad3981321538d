// What V8 flags cost and save for the node's processes, all of them alive at once as in the node: each
// variant starts every process of manifests/node.json from its image bundle (the `.js` the image ships,
// its manifest arguments, stdin held open so it waits for a kernel that never speaks), lets them settle,
// then reads every process's RSS, PSS and USS (/proc/PID/smaps_rollup) and the CPU seconds it used to
// get there (/proc/PID/stat). Variants take turns in one run so they see the same machine load.
// No chain, relay or kernel: this isolates what the flags do to a process's own start-up and idle heap;
// bench/idle-rss.ts measures the real idle node with whatever flags the manifest sets.
//   node_modules/deno/deno run -A bench/v8-flags.ts [--settle 15] [--rounds 1]
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { bundle } from "../rootfs/lib/bundle.ts";
import { bundlePath, processStub, REPO_ROOT } from "../rootfs/build.ts";
import { loadManifest } from "../kernel/manifest.ts";
import { denoBinary } from "../kernel/sandbox.ts";
import { readPssUssMb, readRssMb } from "../kernel/rss.ts";
import { machineLine, writeSection } from "./lib/report.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { settle: { type: "string", default: "15" }, rounds: { type: "string", default: "1" }, write: { type: "boolean", default: true } },
});
const settleS = Math.max(3, Number(values.settle) || 15);
const rounds = Math.max(1, Number(values.rounds) || 1);

export const VARIANTS: { name: string; flags: string[] }[] = [
  { name: "none (Deno's defaults)", flags: [] },
  { name: "--single-threaded", flags: ["--single-threaded"] },
  { name: "--max-semi-space-size=1", flags: ["--max-semi-space-size=1"] },
  { name: "--optimize-for-size", flags: ["--optimize-for-size"] },
  { name: "--lite-mode", flags: ["--lite-mode"] },
  { name: "--single-threaded --max-semi-space-size=1", flags: ["--single-threaded", "--max-semi-space-size=1"] },
  { name: "--single-threaded --max-semi-space-size=1 --optimize-for-size", flags: ["--single-threaded", "--max-semi-space-size=1", "--optimize-for-size"] },
];

const work = mkdtempSync(join(tmpdir(), "zt-boot-v8flags-"));
const deno = denoBinary();
const state = join(work, "state");
const vars: Record<string, string> = {
  state, root: REPO_ROOT, chainurl: "ws://127.0.0.1:9", chainhost: "127.0.0.1:9", relayurl: "ws://127.0.0.1:9", relayhost: "127.0.0.1:9",
  farm: "1", activationurl: "http://127.0.0.1:9/activation/activate", activationhost: "127.0.0.1:9", disks: "-", hdd: "auto",
  requiressd: "no", zdblisten: "127.0.0.1:0",
};
const sub = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, k) => vars[k] ?? "");
const CLK_TCK = 100;

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime
  } catch {
    return NaN;
  }
}

interface Row { rss: number; pss: number; uss: number; cpu: number; alive: number }

const loaded = loadManifest(join(REPO_ROOT, "manifests", "node.json"));
if (!loaded.ok) throw new Error("manifests/node.json is invalid");
const procs = loaded.manifest.processes;
const load0 = os.loadavg()[0].toFixed(1);
const perProcess = new Map<string, Map<string, Row>>(); // variant → process → last row
const totals = new Map<string, Row[]>();
try {
  const stubs = procs.map((p) => {
    const entry = relative(REPO_ROOT, p.entryPath);
    const dir = join(work, "code", p.name);
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(state, p.name), { recursive: true });
    const js = join(dir, bundlePath(entry).split("/").pop()!);
    bundle(REPO_ROOT, entry, js);
    const stub = join(dir, "main.ts");
    writeFileSync(stub, processStub(js.split("/").pop()!));
    return { name: p.name, stub, args: p.args.map(sub) };
  });
  for (let round = 0; round < rounds; round++) {
    for (const v of VARIANTS) {
      const denoDir = mkdtempSync(join(work, "dd-")); // cold, as on every boot of the image
      const children: { name: string; child: ChildProcess }[] = stubs.map((s) => ({
        name: s.name,
        child: spawn(deno, [
          "run", "-A", "--quiet", "--no-prompt", "--no-remote", "--no-lock", "--no-config", "--node-modules-dir=manual",
          ...(v.flags.length ? [`--v8-flags=${v.flags.join(",")}`] : []), s.stub, ...s.args,
        ], { cwd: work, stdio: ["pipe", "ignore", "ignore"], env: { DENO_DIR: denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", PATH: "/usr/bin:/bin" } }),
      }));
      try {
        await new Promise((r) => setTimeout(r, settleS * 1000));
        const rows = new Map<string, Row>();
        for (const { name, child } of children) {
          const pid = child.pid!;
          const rss = readRssMb(pid);
          const sh = readPssUssMb(pid);
          if (rss === null || !sh || child.exitCode !== null) continue;
          rows.set(name, { rss, pss: sh.pssMb, uss: sh.ussMb, cpu: cpuSeconds(pid), alive: 1 });
        }
        perProcess.set(v.name, rows);
        const sum = [...rows.values()].reduce((a, r) => ({ rss: a.rss + r.rss, pss: a.pss + r.pss, uss: a.uss + r.uss, cpu: a.cpu + r.cpu, alive: a.alive + 1 }), { rss: 0, pss: 0, uss: 0, cpu: 0, alive: 0 });
        totals.set(v.name, [...(totals.get(v.name) ?? []), sum]);
        console.error(`${v.name}: ${sum.alive} alive, RSS ${sum.rss.toFixed(0)} MiB, PSS ${sum.pss.toFixed(0)} MiB, USS ${sum.uss.toFixed(0)} MiB, CPU ${sum.cpu.toFixed(2)} s`);
      } finally {
        for (const { child } of children) child.kill("SIGKILL");
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const base = VARIANTS[0].name;
const med = (name: string, k: keyof Row) => median((totals.get(name) ?? []).map((r) => r[k]));
const rows = VARIANTS.map((v) => {
  const ratio = (k: keyof Row) => (med(v.name, k) / med(base, k)).toFixed(2);
  return `| ${v.name === base ? v.name : "`" + v.name + "`"} | ${med(v.name, "alive")} | ${med(v.name, "rss").toFixed(0)} | ${med(v.name, "pss").toFixed(0)} | ${med(v.name, "uss").toFixed(0)} | ${med(v.name, "cpu").toFixed(2)} | ${ratio("pss")}× / ${ratio("cpu")}× |`;
});
const perProc = procs.map((p) => `| ${p.name} | ${VARIANTS.map((v) => {
  const r = perProcess.get(v.name)?.get(p.name);
  return r ? `${r.rss.toFixed(0)} / ${r.pss.toFixed(0)} / ${r.uss.toFixed(0)}` : "—";
}).join(" | ")} |`);
const md = `
## V8 flags: memory and CPU of the node's processes (\`bench/v8-flags.ts\`)

Reproduce: \`node_modules/deno/deno run -A bench/v8-flags.ts --settle ${settleS} --rounds ${rounds}\`.
Machine: ${machineLine()}; load average (1 min) ${load0} → ${os.loadavg()[0].toFixed(1)} — shared with other engineers' test runs.
Each variant starts all ${procs.length} processes of the node manifest at once from their image bundles (cold Deno cache, as on
every boot), waits ${settleS} s, then reads every process's memory from /proc/PID/smaps_rollup and its CPU time (user + sys,
start-up and idle) from /proc/PID/stat. No kernel, chain or relay answers them (each waits on its stdin), so chain and
rmb hold no connection state here: this isolates what a flag does to start-up and the idle heap. Medians of ${rounds} round(s).

| V8 flags (all ${procs.length} processes) | alive | Σ RSS MiB | Σ PSS MiB | Σ USS MiB | Σ CPU s | PSS / CPU vs none |
|---|---|---|---|---|---|---|
${rows.join("\n")}

RSS counts every page a process maps, so the Deno binary's text (shared by all ${procs.length}) is counted ${procs.length} times;
PSS divides each shared page among the processes mapping it, so **Σ PSS is what the node really occupies**; USS
(pages no other process maps) is what stopping one process would free.

Per process, RSS / PSS / USS MiB (last round):

| process | ${VARIANTS.map((v) => v.name).join(" | ")} |
|---|${VARIANTS.map(() => "---").join("|")}|
${perProc.join("\n")}
`;
if (values.write) writeSection("v8-flags", md);
console.log(md);
