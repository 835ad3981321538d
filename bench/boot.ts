// Boot benchmark: image size and boot phases of the node image, compared in the same run with the
// "hello" image (same kernel, same runtime, an init that prints one line), both booted the same way
// (direct PVH boot, raw initramfs, QEMU user networking; TCG unless kvm_intel/kvm_amd is loaded).
//   node_modules/deno/deno run -A bench/boot.ts [--runs 3] [--no-build] [--smp N] [--compare DIR] [--no-registration]
// --compare DIR boots another built image (e.g. a copy of rootfs/out from before a change) in the same
// run, alternating with this one, so a lever is measured against its baseline under the same load.
// Goals: node answering ≤ 2× the hello image's time to its first line; image ≤ 50 MB compressed.
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import os from "node:os";
import { parseArgs } from "node:util";
import { buildImage, DEFAULT_OUT, netbootInitrd } from "../rootfs/build.ts";
import { accelerator, Vm } from "../vm-tests/lib/qemu.ts";
import { BASE_CMDLINE, directBootWithDisk, noDisk, startGrid } from "../vm-tests/scenarios.ts";
import { machineLine, writeSection } from "./lib/report.ts";
import type { KernelEventLike } from "../vm-tests/lib/sandbox-facts.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runs: { type: "string", default: "3" },
    "no-build": { type: "boolean" },
    smp: { type: "string", default: "1" },
    compare: { type: "string" },
    "no-registration": { type: "boolean" },
    /** per-boot hard timeout in seconds (a loaded host slows TCG several-fold) */
    timeout: { type: "string", default: "180" },
  },
});
const runs = Math.max(1, Number(values.runs) || 3);
const smp = Math.max(1, Number(values.smp) || 1);
const bootTimeoutMs = Math.max(60, Number(values.timeout) || 180) * 1000;
process.env.ZOS_VM_SMP = String(smp); // every VM of this run (hello and node) gets the same vCPU count
const out = DEFAULT_OUT;

if (!values["no-build"]) {
  console.error("building the image (netboot initramfs: xz)…");
  await buildImage({ outDir: out, progress: (m) => console.error(m) });
}
const size = (f: string) => statSync(join(out, f)).size;
const MB = (b: number) => (b / 1e6).toFixed(1);
const info = JSON.parse(readFileSync(join(out, "image.json"), "utf8"));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

async function helloBoot(): Promise<{ kernel: number; first: number; off: number }> {
  const vm = new Vm({
    name: "bench-hello",
    kernel: join(out, "vmlinux"),
    initrd: join(out, "hello-initramfs.cpio"),
    append: BASE_CMDLINE,
    extra: ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"],
    noReboot: true,
    timeoutMs: bootTimeoutMs,
  });
  let ok = false;
  try {
    const k = await vm.waitFor(/Linux version/, 60_000);
    const h = await vm.waitFor(/zos-hello: first line/, bootTimeoutMs - 10_000);
    const e = await vm.exited;
    if (e.code !== 0) throw new Error(`hello image exited ${e.code}`);
    ok = true;
    return { kernel: k.t, first: h.t, off: performance.now() - vm.started };
  } finally {
    await vm.finish(!ok);
  }
}

const loadAtStart = (os.loadavg()[0] ?? 0).toFixed(1);
const compareDir = values.compare ? resolve(values.compare) : null;
const grid = await startGrid();
const hello: Awaited<ReturnType<typeof helloBoot>>[] = [];
const node: Record<string, number>[] = [];
const nodeEvents: KernelEventLike[][] = [];
const before: Record<string, number>[] = [];
const beforeEvents: KernelEventLike[][] = [];
const readyStates: string[] = [];
// one boot with a state disk: the node gets funded by the activation service, registers and answers over RMB
let reg: Record<string, number> = {};
let regNotes: string[] = [];
try {
  for (let i = 0; i < runs; i++) {
    console.error(`run ${i + 1}/${runs}: hello`);
    hello.push(await helloBoot());
    console.error(`run ${i + 1}/${runs}: node`);
    const r = await noDisk({ outDir: out, grid, bootTimeoutMs }, { allReady: true });
    if (!r.ok) throw new Error(`node boot failed: ${r.error} (log ${r.log})`);
    node.push(r.milestones);
    nodeEvents.push(r.events ?? []);
    readyStates.push(/kernel=(\S+)/.exec(r.notes[0] ?? "")?.[1] ?? "?");
    if (compareDir) {
      console.error(`run ${i + 1}/${runs}: node, baseline image ${compareDir}`);
      const c = await noDisk({ outDir: compareDir, grid, bootTimeoutMs }, { allReady: true });
      if (!c.ok) throw new Error(`baseline node boot failed: ${c.error} (log ${c.log})`);
      before.push(c.milestones);
      beforeEvents.push(c.events ?? []);
    }
  }
  if (!values["no-registration"]) {
    console.error("node with a state disk: registration, RMB, reboot");
    const d = await directBootWithDisk({ outDir: out, grid, bootTimeoutMs, workloads: false });
    if (!d.ok) throw new Error(`node boot with a state disk failed: ${d.error} (log ${d.log})`);
    reg = d.milestones;
    regNotes = d.notes;
  }
} finally {
  await grid.stop();
}

const hFirst = median(hello.map((h) => h.first));
const nReady = median(node.map((n) => n.ready));
const nAll = median(node.map((n) => n.all_ready));
const row = (name: string, ms: number, from?: number) =>
  `| ${name} | ${(ms / 1000).toFixed(2)} s | ${from === undefined ? "" : `+${((ms - from) / 1000).toFixed(2)} s`} |`;
const m = (k: string) => median(node.map((n) => n[k]));
const mb = (k: string) => median(before.map((n) => n[k]));
const initrd = netbootInitrd(out);
const netboot = size("bzImage") + size(initrd);
const accel = accelerator().name.toUpperCase();
const s1 = (ms: number) => Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "—";

/** Per process, medians over runs: when the kernel spawned it (ms since kernel start) and spawn → first health answer. */
function perProcess(runs: KernelEventLike[][]): Map<string, { spawned: number; ready: number }> {
  const acc = new Map<string, { spawned: number[]; ready: number[] }>();
  for (const events of runs) {
    for (const e of events) {
      if (!e.process) continue;
      const a = acc.get(e.process) ?? { spawned: [], ready: [] };
      acc.set(e.process, a);
      if (e.event === "spawned" && typeof e.t === "number") a.spawned.push(e.t);
      if (e.event === "ready" && typeof e.ms === "number") a.ready.push(e.ms);
    }
  }
  return new Map([...acc].map(([k, v]) => [k, { spawned: median(v.spawned), ready: median(v.ready) }]));
}
const procNode = perProcess(nodeEvents);
const procBefore = perProcess(beforeEvents);
const procRows = [...procNode].sort((a, b) => a[1].spawned - b[1].spawned).map(([name, p]) => {
  const b = procBefore.get(name);
  return `| ${name} | ${s1(p.spawned)} | ${s1(p.ready)} |${compareDir ? ` ${s1(b?.ready ?? NaN)} | ${b ? (p.ready / b.ready).toFixed(2) + "×" : "—"} |` : ""}`;
}).join("\n");
const load = (os.loadavg()[0] ?? 0).toFixed(1);

const md = `
## Boot (\`bench/boot.ts\`${smp > 1 ? `, ${smp} vCPUs` : ""})

Reproduce: \`node_modules/deno/deno run -A bench/boot.ts --runs ${runs}${smp > 1 ? ` --smp ${smp}` : ""}${values["no-build"] ? " --no-build" : ""}${compareDir ? " --compare DIR" : ""}${values["no-registration"] ? " --no-registration" : ""}\` (${values["no-build"] ? "boots the image in rootfs/out as built" : "builds the image (xz netboot initramfs) first"}${compareDir ? "; DIR is a copy of rootfs/out built before the change, booted alternately in the same run" : ""}).
Machine: ${machineLine()}; load average (1 min) at start ${loadAtStart} / end ${load} — **shared with other engineers' test runs: absolute times are inflated, compare the ratios of the same run**.
QEMU ${accel}, ${smp} vCPU, ${Number(process.env.ZOS_VM_MEM_MB) || 1024} MiB, direct PVH boot (vmlinux + raw initramfs), user networking,
dev chain on the host's loopback. Medians of ${runs} runs; times from QEMU's start, read off the serial console.
Kernel ${info.kernel_release}${info.kernel_pinned ? ` (pinned ${info.kernel_package} ${info.kernel_version})` : ""}, ${info.modules.length} modules in the image, ${info.runtime}.

### Image size (goal: ≤ 50 MB compressed)
| artifact | size |
|---|---|
| ${initrd} (netboot, ${values["no-build"] ? "as built in rootfs/out" : "xz -9 --x86"}) | ${MB(size(initrd))} MB |
| bzImage | ${MB(size("bzImage"))} MB |
| **netboot download (bzImage + ${initrd})** | **${MB(netboot)} MB** — ${netboot <= 50e6 ? "meets" : "MISSES"} the 50 MB goal |
| initramfs.cpio (raw, direct boot) | ${MB(size("initramfs.cpio"))} MB |
| vmlinux (PVH, direct boot) | ${MB(size("vmlinux"))} MB |

### Boot phases
| node image milestone | median | since previous |
|---|---|---|
${row("kernel's first line", m("kernel"))}
${row("PID 1's first line", m("pid1"), m("kernel"))}
${row("network up (zos bridge + DHCP)", m("network"), m("pid1"))}
${row("dev chain answered", m("chain"), m("network"))}
${row("capability kernel start-up returned (ready or partial, see below)", m("kernel_ready"), m("chain"))}
${row("READY (checks done, no listening socket)", m("ready"), m("kernel_ready"))}
${row("every manifest process answered its first health call", m("all_ready"), m("ready"))}

| hello image milestone | median | since previous |
|---|---|---|
${row("kernel's first line", median(hello.map((h) => h.kernel)))}
${row("hello init's first line", hFirst, median(hello.map((h) => h.kernel)))}
${row("QEMU exited after power-off", median(hello.map((h) => h.off)), hFirst)}

**Goal: node answering ≤ 2× hello's first line.** Node READY ${s1(nReady)} vs 2 × ${s1(hFirst)} =
${s1(2 * hFirst)} → ratio ${(nReady / hFirst).toFixed(2)}×, ${nReady <= 2 * hFirst ? "meets" : "MISSES"} the goal; every process ready at ${s1(nAll)} (${(nAll / hFirst).toFixed(2)}× hello).
READY is PID 1's last milestone: the capability kernel's start-up returned (it waits up to 60 s for every process,
then goes on supervising). In these runs READY said: ${readyStates.join("; ")}.

### Per process (kernel events on the console: spawned at, ms since the kernel started; spawn → first health answer)
| process | spawned at | spawn → ready |${compareDir ? " baseline image: spawn → ready | ratio |" : ""}
|---|---|---|${compareDir ? "---|---|" : ""}
${procRows}
${compareDir ? `
### Against the baseline image (same run, alternating boots)
| milestone | this image | baseline | ratio |
|---|---|---|---|
| PID 1's first line | ${s1(m("pid1"))} | ${s1(mb("pid1"))} | ${(m("pid1") / mb("pid1")).toFixed(2)}× |
| capability kernel start-up returned | ${s1(m("kernel_ready"))} | ${s1(mb("kernel_ready"))} | ${(m("kernel_ready") / mb("kernel_ready")).toFixed(2)}× |
| READY | ${s1(nReady)} | ${s1(mb("ready"))} | ${(nReady / mb("ready")).toFixed(2)}× |
| every process ready | ${s1(nAll)} | ${s1(mb("all_ready"))} | ${(nAll / mb("all_ready")).toFixed(2)}× |
` : ""}${values["no-registration"] ? "" : `
### Registration and API (one boot with a btrfs state disk, \`directBootWithDisk\`)
| milestone | time | since previous |
|---|---|---|
${row("READY (boot #1)", reg.ready)}
${row("registered: twin + node of farm 1 on the dev chain (account funded by the activation service)", reg.registered, reg.ready)}
${row("answers zos.system.version over the relay (official rmb_direct_client on the host)", reg.api_answers, reg.registered)}
${row("after Ctrl-Alt-Del: READY (boot #2, same state disk)", reg.reboot_ready, reg.api_answers)}
${row("boot #2: the same twin answers zos.system.version again", reg.reboot_api_answers, reg.reboot_ready)}

Notes of that run: ${regNotes.map((n) => "`" + n.replace(/`/g, "'") + "`").join("; ")}.
`}
Raw runs (ms): hello first line ${hello.map((h) => Math.round(h.first)).join(", ")}; node READY ${node.map((n) => n.ready).join(", ")}; every process ready ${node.map((n) => n.all_ready).join(", ")}${compareDir ? `; baseline READY ${before.map((n) => n.ready).join(", ")}, every process ready ${before.map((n) => n.all_ready).join(", ")}` : ""}.
`;
writeSection(smp > 1 ? `boot-smp${smp}` : "boot", md);
console.log(md);
