// Idle memory of the node as a farmer runs it: the built image booted under QEMU (direct PVH boot, a btrfs state
// disk and a blank data disk, QEMU user networking; TCG unless kvm_intel/kvm_amd is loaded) against the dev grid on
// the host's loopback. Once the node registered (twin + node of farm 1 on the dev chain) and every process it starts
// at boot answered, it idles, then the node itself is asked over RMB for `zos.system.diagnostics` (the official
// rmb_direct_client, as a grid user asks it) several times: the kernel's per-process RSS / PSS / USS from the guest's
// /proc, medians. In the same run, one after the other, each on a fresh dev grid:
//   the image (rootfs/out, one pre-bundled .js per process with its read-only V8 code cache),
//   --without-code-cache: the same tree built without the code cache (each process then gets an empty DENO_DIR),
//   --compare DIR: another built image (e.g. a copy of rootfs/out from before a change),
//   the host (unless --no-host): `startNode` on the same kind of grid, running the source .ts entries (what
//   bench/idle-rss.ts measures), asked the same way over RMB, next to one bare Deno process.
//   node_modules/deno/deno run -A bench/idle-rss-image.ts [--idle 120] [--samples 5] [--interval 10] [--no-build]
//     [--without-code-cache] [--compare DIR [--compare-name NAME]] [--cmdline "WORDS" ...] [--no-host] [--timeout 420]
// --cmdline WORDS: one more variant, the image booted with WORDS added to its kernel command line (e.g. a sysctl-like
// kernel parameter such as transparent_hugepage=madvise).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildImage, DEFAULT_OUT } from "../rootfs/build.ts";
import { accelerator } from "../vm-tests/lib/qemu.ts";
import { startGrid, waitAllReady, withVm } from "../vm-tests/scenarios.ts";
import { kernelEventsFromConsole } from "../vm-tests/lib/sandbox-facts.ts";
import { denoBinary } from "../kernel/sandbox.ts";
import { readPssUssMb, readRssMb } from "../kernel/rss.ts";
import { type DiagnosticsMemory, type MemorySummary, summariseDiagnostics } from "./lib/memory-samples.ts";
import { machineLine, writeSection } from "./lib/report.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    idle: { type: "string", default: "120" },
    samples: { type: "string", default: "5" },
    interval: { type: "string", default: "10" },
    "no-build": { type: "boolean", default: false },
    "without-code-cache": { type: "boolean", default: false },
    compare: { type: "string" },
    /** what the tables call the --compare image (default: "image of <DIR's name>"; no machine paths in the docs) */
    "compare-name": { type: "string" },
    "no-host": { type: "boolean", default: false },
    /** only the host column (a quick check of the host side) */
    "no-image": { type: "boolean", default: false },
    /** another variant: the image booted with these words added to its kernel command line (repeatable) */
    cmdline: { type: "string", multiple: true },
    /** per-boot limit in seconds: boot, registration and every process ready (a loaded host slows TCG several-fold) */
    timeout: { type: "string", default: "420" },
  },
});
const idleS = Math.max(5, Number(values.idle) || 120);
const samples = Math.max(1, Number(values.samples) || 5);
const intervalS = Math.max(1, Number(values.interval) || 10);
const bootTimeoutMs = Math.max(60, Number(values.timeout) || 420) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load0 = os.loadavg()[0].toFixed(1);
const log = (m: string) => console.error(`[idle-rss-image ${new Date().toISOString().slice(11, 19)}] ${m}`);

interface Variant {
  name: string;
  kind: "image" | "host";
  outDir?: string;
  /** added to the node's kernel command line */
  append?: string;
  summary?: MemorySummary;
  /** what the run saw: code cache use, processes left idle (on demand) */
  notes: string[];
  error?: string;
}

const variants: Variant[] = [];
if (!values["no-build"]) {
  log("building the image (rootfs/out, zstd 3: the netboot compression does not change what boots directly)");
  await buildImage({ outDir: DEFAULT_OUT, zstdLevel: 3, progress: (m) => log(m) });
}
variants.push({ name: "image (code cache)", kind: "image", outDir: DEFAULT_OUT, notes: [] });
for (const extra of values.cmdline ?? []) variants.push({ name: `image + \`${extra}\``, kind: "image", outDir: DEFAULT_OUT, append: extra, notes: [] });
let noCacheDir = "";
if (values["without-code-cache"]) {
  noCacheDir = mkdtempSync(join(tmpdir(), "zt-imagemem-nocache-"));
  log(`building the same tree without the V8 code cache into ${noCacheDir}`);
  await buildImage({ outDir: noCacheDir, zstdLevel: 3, codeCache: false, progress: (m) => log(m) });
  variants.push({ name: "image without code cache", kind: "image", outDir: noCacheDir, notes: [] });
}
if (values.compare) variants.push({ name: values["compare-name"] ?? `image of ${basename(resolve(values.compare))}`, kind: "image", outDir: resolve(values.compare), notes: [] });
if (!values["no-host"]) variants.push({ name: "host (source .ts entries)", kind: "host", notes: [] });

/** Diagnostics answers, `samples` of them `intervalS` apart. */
async function sample(take: () => Promise<DiagnosticsMemory>): Promise<DiagnosticsMemory[]> {
  const out: DiagnosticsMemory[] = [];
  for (let i = 0; i < samples; i++) {
    if (i) await sleep(intervalS * 1000);
    out.push(await take());
  }
  return out;
}

async function imageRun(v: Variant): Promise<void> {
  const { diskNode, bootAndRegister } = await import("../vm-tests/lib/disk-node.ts");
  const grid = await startGrid();
  try {
    const ctx = { outDir: v.outDir!, grid, bootTimeoutMs };
    // the whole VM's hard limit: boot and registration, the idle time, the samples, and slack
    const n = await diskNode(ctx, "zt-imagemem-", { append: v.append, timeoutMs: bootTimeoutMs + (idleS + samples * (intervalS + 60)) * 1000 + 60_000 });
    try {
      const r = await withVm("idle-rss-image", ctx, n.vmOpts, async (vm, res) => {
        const reg = await bootAndRegister(n, vm, res, bootTimeoutMs);
        log(`${v.name}: node ${reg.nodeId} (twin ${reg.twinId}) registered at ${(res.milestones.registered / 1000).toFixed(0)} s; waiting for every process`);
        await waitAllReady(vm, bootTimeoutMs);
        const events = kernelEventsFromConsole(vm.lines.map((l) => l.text));
        const started = events.find((e) => e.event === "kernel-starting");
        const spawned = events.filter((e) => e.event === "spawned");
        const cached = spawned.filter((e) => typeof (e as { codeCache?: unknown }).codeCache === "string").length;
        const refused = events.filter((e) => e.event === "code-cache-refused").map((e) => e.process);
        v.notes.push(`${spawned.length} processes spawned, ${cached} from the image's code cache${refused.length ? `, refused for ${refused.join(", ")}` : ""}`);
        if (Array.isArray(started?.onDemand)) v.notes.push(`on demand (not started): ${(started.onDemand as string[]).join(", ")}`);
        log(`${v.name}: every process ready; idle ${idleS} s`);
        await sleep(idleS * 1000);
        const user = await n.user;
        v.summary = summariseDiagnostics(await sample(async () => {
          const d = await user.call(reg.twinId, "zos.system.diagnostics", undefined, 60) as DiagnosticsMemory;
          log(`${v.name}: Σ PSS ${d.memory?.pss_mb} MiB over ${d.processes?.length} processes`);
          return d;
        }));
      });
      if (!r.ok) throw new Error(`${r.error} (serial log ${r.log})`);
    } finally {
      await n.close();
    }
  } finally {
    await grid.stop();
  }
}

interface BareDeno { rssMb: number | null; pss: { pssMb: number; ussMb: number } | null }
// set by hostRun (a cast: TypeScript would narrow a `let` assigned only inside a function to null here)
let bare = null as BareDeno | null;
async function hostRun(v: Variant): Promise<void> {
  const { startNode } = await import("../modules/node.ts");
  const { ChainClient } = await import("../capabilities/chain/mod.ts");
  const { rmbUser } = await import("../vm-tests/lib/node-probe.ts");
  const grid = await startGrid();
  const state = mkdtempSync(join(tmpdir(), "zt-imagemem-host-"));
  const idleDeno = spawn(denoBinary(), ["eval", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
  try {
    const node = await startNode({
      stateDir: state, chainUrl: grid.chainUrl, relayUrl: grid.relayUrl, activationUrl: grid.activationUrl, farmId: 1,
      registerTimeoutMs: 600_000,
    });
    try {
      const idleNow = Object.entries(node.kernel.states()).filter(([, s]) => s === "idle").map(([p]) => p);
      v.notes.push(`on demand (not started): ${idleNow.join(", ")}`);
      log(`${v.name}: node ${node.nodeId} registered; idle ${idleS} s`);
      await sleep(idleS * 1000);
      // asked over RMB by the same kind of user as the image (an sr25519 twin: the rmb driver loads its sr25519
      // verifier at the first such request, so both nodes have served the same requests when measured)
      const client = await ChainClient.connect({ urls: [grid.chainUrl] });
      try {
        const user = await rmbUser(grid.chainUrl, grid.relayUrl, grid.userFunderMnemonic, client);
        try {
          v.summary = summariseDiagnostics(await sample(async () => await user.call(node.twinId, "zos.system.diagnostics", undefined, 60) as DiagnosticsMemory));
        } finally {
          await user.close();
        }
      } finally {
        await client.close().catch(() => {});
      }
      bare = { rssMb: readRssMb(idleDeno.pid!), pss: readPssUssMb(idleDeno.pid!) };
    } finally {
      await node.stop();
    }
  } finally {
    idleDeno.kill("SIGKILL");
    await grid.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

if (values["no-image"]) variants.splice(0, variants.length, ...variants.filter((v) => v.kind === "host"));
try {
  for (const v of variants) {
    log(`${v.name}: start`);
    try {
      await (v.kind === "image" ? imageRun(v) : hostRun(v));
    } catch (err) {
      v.error = (err as Error).message.split("\n")[0].slice(0, 300);
      log(`${v.name}: FAILED ${v.error}`);
    }
  }
} finally {
  if (noCacheDir) rmSync(noCacheDir, { recursive: true, force: true });
}

const f1 = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(1));
const meets = (mib: number | null) => (mib === null ? "—" : mib * 1.048576 <= 300 ? "meets" : "MISSES");
const done = variants.filter((v) => v.summary);
const base = done[0]?.summary;
const vs = (s: MemorySummary, k: "pssMb" | "rssMb") => s === base || !base?.total[k] || !s.total[k] ? "" : `, ${s.total[k]! >= base.total[k]! ? "+" : ""}${((s.total[k]! / base.total[k]! - 1) * 100).toFixed(0)} % vs ${done[0].name}`;
const names = [...new Set(done.flatMap((v) => v.summary!.rows.map((r) => r.process)))];
const cell = (v: Variant, n: string) => {
  const r = v.summary?.rows.find((x) => x.process === n);
  return r ? `${f1(r.rssMb)} / ${f1(r.pssMb)} / ${f1(r.ussMb)}` : "not running";
};
const info = values["no-image"] ? { kernel_release: "—", runtime: "—" } : JSON.parse(readFileSync(join(DEFAULT_OUT, "image.json"), "utf8"));
const cmd = `node_modules/deno/deno run -A bench/idle-rss-image.ts --idle ${idleS} --samples ${samples} --interval ${intervalS}` +
  `${values["no-build"] ? " --no-build" : ""}${values["without-code-cache"] ? " --without-code-cache" : ""}${values.compare ? ` --compare DIR${values["compare-name"] ? ` --compare-name "${values["compare-name"]}"` : ""}` : ""}${values["no-host"] ? " --no-host" : ""}${values["no-image"] ? " --no-image" : ""}${(values.cmdline ?? []).map((c) => ` --cmdline "${c}"`).join("")}`;
const md = `
## Idle memory of the node image under QEMU (\`bench/idle-rss-image.ts\`)

Reproduce (as root): \`${cmd}\`${values["no-build"] ? " (boots rootfs/out as built)" : " (builds the image first)"}.
Machine: ${machineLine()}; load average (1 min) ${load0} → ${os.loadavg()[0].toFixed(1)} (**shared with other engineers**; memory
barely depends on it, TCG start-up times do). QEMU ${accelerator().name.toUpperCase()}, 1 vCPU, ${Number(process.env.ZOS_VM_MEM_MB) || 1024} MiB, direct PVH boot with a btrfs
state disk and a blank data disk, kernel ${info.kernel_release}, ${info.runtime}. Each variant on a fresh dev grid on the host's
loopback, one after the other: the node boots, registers (twin + node of farm 1), every process it starts at boot
answers, it idles ${idleS} s, then **the node itself answers \`zos.system.diagnostics\` over RMB** (the official
rmb_direct_client on the host) ${samples} times ${intervalS} s apart: its kernel's RSS (/proc/PID/status), PSS and USS
(/proc/PID/smaps_rollup) of every node process; medians (Σ = median of each sample's sum). The host column runs the
same manifest under \`startNode\` (source \`.ts\` entries, Deno's transpile cache), asked the same way over RMB.

| | ${done.map((v) => v.name).join(" | ")} |
|---|${done.map(() => "---|").join("")}
| node processes at idle | ${done.map((v) => v.summary!.rows.length).join(" | ")} |
| **Σ PSS MiB** (goal ≤ 300 MB = 286 MiB) | ${done.map((v) => `**${f1(v.summary!.total.pssMb)}** (${meets(v.summary!.total.pssMb)}${vs(v.summary!, "pssMb")})`).join(" | ")} |
| Σ RSS MiB | ${done.map((v) => `${f1(v.summary!.total.rssMb)}${vs(v.summary!, "rssMb")}`).join(" | ")} |
| Σ USS MiB | ${done.map((v) => f1(v.summary!.total.ussMb)).join(" | ")} |
| Σ PSS spread over the samples | ${done.map((v) => `${f1(v.summary!.pssSpreadMb)} MiB`).join(" | ")} |
| notes | ${done.map((v) => v.notes.join("; ") || "—").join(" | ")} |
${variants.filter((v) => v.error).map((v) => `\n**${v.name} failed**: ${v.error}\n`).join("")}
One bare Deno process on the host (\`deno eval\` waiting, the same Deno build as the image's): ${bare ? `RSS ${f1(bare.rssMb)} / PSS ${f1(bare.pss?.pssMb)} / USS ${f1(bare.pss?.ussMb)} MiB` : "not measured (--no-host)"}.
No bare Deno inside the guest: the image has no shell and its kernel starts only the manifest's processes.

Per process, idle RSS / PSS / USS MiB (medians; budget = the manifest's memoryMb, RSS):

| process | budget | ${done.map((v) => v.name).join(" | ")} |
|---|---|${done.map(() => "---|").join("")}
${names.map((n) => `| ${n} | ${done.map((v) => v.summary!.rows.find((r) => r.process === n)?.budgetMb).find((b) => b !== undefined) ?? "none"} | ${done.map((v) => cell(v, n)).join(" | ")} |`).join("\n")}
`;
writeSection("idle-rss-image", md);
console.log(md);
if (!done.length) process.exitCode = 1;
