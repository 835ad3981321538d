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
import { readRssMb } from "../kernel/rss.ts";
import { startGrid } from "../vm-tests/scenarios.ts";
import { machineLine, writeSection } from "./lib/report.ts";

const { values } = parseArgs({ args: process.argv.slice(2), options: { idle: { type: "string", default: "60" } } });
const idleS = Math.max(5, Number(values.idle) || 60);
const state = mkdtempSync(join(tmpdir(), "zt-image-idle-rss-"));
const load0 = os.loadavg()[0].toFixed(1);
const grid = await startGrid();
const bare = spawn(denoBinary(), ["eval", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
let rows: { process: string; rssMb: number; budgetMb: number | null }[] = [];
let bareMb = 0;
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
    rows = node.kernel.memory().map((s) => ({ process: s.process, rssMb: s.rssMb, budgetMb: s.budgetMb }));
    bareMb = readRssMb(bare.pid!) ?? NaN;
  } finally {
    await node.stop();
  }
} finally {
  bare.kill("SIGKILL");
  await grid.stop();
  rmSync(state, { recursive: true, force: true });
}

const total = rows.reduce((a, r) => a + r.rssMb, 0);
const md = `
## Idle memory of the node (\`bench/idle-rss.ts\`)

Reproduce: \`node_modules/deno/deno run -A bench/idle-rss.ts --idle ${idleS}\` (as root: every process under its own uid).
Machine: ${machineLine()}; load average (1 min) ${load0} → ${os.loadavg()[0].toFixed(1)} (shared with other engineers).
The dev grid on loopback, the node under the capability kernel (\`startNode\`, as \`npm start\`) registered on the dev
chain, then idle ${idleS} s; resident set (VmRSS, /proc/PID/status) as the kernel measures it (\`Kernel.memory()\`).

| process | idle RSS | memoryMb budget |
|---|---|---|
${[...rows].sort((a, b) => b.rssMb - a.rssMb).map((r) => `| ${r.process} | ${r.rssMb.toFixed(1)} MiB | ${r.budgetMb ?? "none"} |`).join("\n")}
| **all ${rows.length} processes** | **${total.toFixed(0)} MiB** | goal ≤ 300 MB (${total * 1.048576 <= 300 ? "meets" : "MISSES"}) |
| one bare Deno process (\`deno eval\` waiting) | ${bareMb.toFixed(1)} MiB | the floor per process: ${rows.length} × = ${(rows.length * bareMb).toFixed(0)} MiB |

${overBudget.length ? `memory-over-budget events: ${overBudget.join("; ")}.` : "No memory-over-budget event."}
`;
writeSection("idle-rss", md);
console.log(md);
