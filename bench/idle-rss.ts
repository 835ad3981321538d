// Idle memory of the node on the host: the dev grid on loopback (chain, relay, activation service),
// the node under the capability kernel (startNode, what `npm start` runs) registered, then left idle;
// every process's resident set as the kernel measures it (Kernel.memory(): VmRSS from /proc) against
// its manifest memoryMb budget, next to one bare Deno process that only waits (the floor per process).
//   node_modules/deno/deno run -A bench/idle-rss.ts [--idle 60]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startNode } from "../modules/node.ts";
import { denoBinary } from "../kernel/sandbox.ts";
import { readPssUssMb, readRssMb } from "../kernel/rss.ts";
import { startGrid } from "../vm-tests/scenarios.ts";
import { machineLine, writeSection } from "./lib/report.ts";

const { values } = parseArgs({ args: process.argv.slice(2), options: { idle: { type: "string", default: "60" } } });
const idleS = Math.max(5, Number(values.idle) || 60);
const state = mkdtempSync(join(tmpdir(), "zt-image-idle-rss-"));
const load0 = os.loadavg()[0].toFixed(1);
const grid = await startGrid();
const bare = spawn(denoBinary(), ["eval", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
let rows: { process: string; rssMb: number; pssMb: number | null; ussMb: number | null; budgetMb: number | null }[] = [];
let bareMb = 0;
let bareShared: { pssMb: number; ussMb: number } | null = null;
let overBudget: string[] = [];
try {
  const node = await startNode({
    stateDir: state, chainUrl: grid.chainUrl, relayUrl: grid.relayUrl, activationUrl: grid.activationUrl, farmId: 1,
    registerTimeoutMs: 600_000, // a busy shared machine starts ten processes slowly
    onEvent: (e) => {
      if (e.event === "memory-over-budget") overBudget.push(`${e.process} ${e.rssMb} MiB > ${e.budgetMb} MiB`);
    },
  });
  try {
    console.error(`node ${node.nodeId} registered; idle for ${idleS} s`);
    await new Promise((r) => setTimeout(r, idleS * 1000));
    rows = node.kernel.memory().map((s) => ({ process: s.process, rssMb: s.rssMb, pssMb: s.pssMb, ussMb: s.ussMb, budgetMb: s.budgetMb }));
    bareMb = readRssMb(bare.pid!) ?? NaN;
    bareShared = readPssUssMb(bare.pid!);
  } finally {
    await node.stop();
  }
} finally {
  bare.kill("SIGKILL");
  await grid.stop();
  rmSync(state, { recursive: true, force: true });
}

const total = rows.reduce((a, r) => a + r.rssMb, 0);
const totalPss = rows.reduce((a, r) => a + (r.pssMb ?? NaN), 0);
const totalUss = rows.reduce((a, r) => a + (r.ussMb ?? NaN), 0);
const f1 = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(1));
const meets = (mib: number) => (mib * 1.048576 <= 300 ? "meets" : "MISSES");
const md = `
## Idle memory of the node (\`bench/idle-rss.ts\`)

Reproduce: \`node_modules/deno/deno run -A bench/idle-rss.ts --idle ${idleS}\` (as root: every process under its own uid).
Machine: ${machineLine()}; load average (1 min) ${load0} → ${os.loadavg()[0].toFixed(1)} (shared with other engineers).
The dev grid on loopback, the node under the capability kernel (\`startNode\`, as \`npm start\`) registered on the dev
chain, then idle ${idleS} s; as the kernel measures it (\`Kernel.memory()\`): RSS from /proc/PID/status, PSS and USS
(private pages) from /proc/PID/smaps_rollup. On the host the kernel runs the source \`.ts\` entries (Deno's module
graph and transpile cache); the image runs one pre-bundled \`.js\` per process (section v8-flags measures those).

| process | idle RSS MiB | PSS MiB | USS MiB | memoryMb budget (RSS) |
|---|---|---|---|---|
${[...rows].sort((a, b) => b.rssMb - a.rssMb).map((r) => `| ${r.process} | ${f1(r.rssMb)} | ${f1(r.pssMb)} | ${f1(r.ussMb)} | ${r.budgetMb ?? "none"} |`).join("\n")}
| **all ${rows.length} processes** | **${total.toFixed(0)}** (${meets(total)} ≤ 300 MB) | **${f1(totalPss)}** (${meets(totalPss)} ≤ 300 MB) | ${f1(totalUss)} | |
| one bare Deno process (\`deno eval\` waiting, same binary) | ${f1(bareMb)} | ${f1(bareShared?.pssMb)} | ${f1(bareShared?.ussMb)} | ${rows.length} × its RSS = ${(rows.length * bareMb).toFixed(0)} MiB |

RSS counts the pages of the Deno binary every process maps once per process; PSS divides each shared page among
the processes that map it, so Σ PSS is the node's honest footprint (what the machine would get back if the node
stopped) and Σ USS what its processes hold alone.

${overBudget.length ? `memory-over-budget events: ${overBudget.join("; ")}.` : "No memory-over-budget event."}
`;
writeSection("idle-rss", md);
console.log(md);
