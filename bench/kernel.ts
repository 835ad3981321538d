// Kernel benchmarks, all in one run so they compare: raw pipe round trip (the kernel's transport, no
// protocol), a direct Cap'n Proto RPC call (this process ↔ echo driver), the proxied call module →
// kernel → driver (p50, p99, sequential and concurrent calls/s), spawn → ready, and kernel + 8 processes
// boot → all ready. The whole set runs twice: pinned to one CPU (taskset -c 0) and unpinned.
//
// usage: deno run -A bench/kernel.ts [--no-write] [--quick]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { EchoClient } from "../capabilities/lib/guest/clients.ts";
import { validateManifest, type Manifest } from "../kernel/manifest.ts";
import { startKernel, type KernelEvent } from "../kernel/mod.ts";
import { denoBinary, repoRoot } from "../kernel/sandbox.ts";
import { ProcessControl } from "../capabilities/schema/gen/kernel.ts";
import { connect, memoryTransportPair, streamTransport } from "../capabilities/lib/rpc/mod.ts";
import { Echo$Client, Echo$Server } from "../capabilities/schema/gen/kernel.ts";
import { MembraneClient, Revoker } from "../kernel/membrane.ts";
import { getCap } from "../capabilities/lib/rpc/captable.ts";
import { machineLine, percentile, writeSection } from "./lib/report.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { "no-write": { type: "boolean" }, quick: { type: "boolean" }, child: { type: "string" } },
});
const SEQ = values.quick ? 2000 : 10000;
const CONC = values.quick ? 4000 : 20000;
const WIDTH = 32;
const BOOTS = values.quick ? 3 : 7;

interface Lat {
  p50: number;
  p99: number;
  seqPerS: number;
  concPerS?: number;
}

/** CPU time per sequential proxied call, µs, by process (all threads: /proc/<pid>/task/x/schedstat). */
interface CpuPerCall {
  kernel: number;
  module: number;
  driver: number;
}

interface Results {
  raw: Lat;
  rawSocket: Lat;
  cpu: CpuPerCall | null;
  /** µs per call of JavaScript work alone (all parties in this process, in-memory transports, no I/O). */
  jsOnly: { direct: number; proxied: number };
  direct: Lat;
  proxied: Lat;
  spawnReadyMs: { driver: number; module: number };
  bootMs: { median: number; max: number; cold: number };
}

function stats(lat: number[], totalMs: number): Lat {
  const s = [...lat].sort((a, b) => a - b);
  return { p50: percentile(s, 50) * 1000, p99: percentile(s, 99) * 1000, seqPerS: lat.length / (totalMs / 1000) };
}

async function rawRoundTrip(socket: boolean): Promise<Lat> {
  const child = spawn(denoBinary(), ["run", "--quiet", "--no-prompt", "--no-lock", join(repoRoot, "bench/kernel-raw-echo.ts"), ...(socket ? ["socket"] : [])], { stdio: ["pipe", "pipe", "inherit"], env: {} });
  const msg = new Uint8Array(64);
  let waiting: (() => void) | null = null;
  let got = 0;
  child.stdout!.on("data", (d: Uint8Array) => {
    got += d.length;
    if (got >= msg.length && waiting) {
      got -= msg.length;
      const w = waiting;
      waiting = null;
      w();
    }
  });
  const once = () => new Promise<void>((r) => {
    waiting = r;
    child.stdin!.write(msg);
  });
  for (let i = 0; i < 500; i++) await once();
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < SEQ; i++) {
    const s = performance.now();
    await once();
    lat.push(performance.now() - s);
  }
  const r = stats(lat, performance.now() - t0);
  child.kill();
  return r;
}

async function directCall(): Promise<Lat> {
  const child = spawn(denoBinary(), ["run", "--quiet", "--no-prompt", "--no-lock", join(repoRoot, "kernel/test/fixtures/echo/main.ts")], { stdio: ["pipe", "pipe", "inherit"], env: {} });
  const conn = connect(streamTransport(child.stdout!, child.stdin!), { name: "echo" });
  const res = await conn.bootstrap(ProcessControl).provide((p) => {
    p.name = "echo";
    p.restrictions = "{}";
    p.grantee = "bench";
  }).promise();
  const echo = new EchoClient(getCap(res.cap));
  const payload = new Uint8Array(16);
  for (let i = 0; i < 500; i++) await echo.echo(payload);
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < SEQ; i++) {
    const s = performance.now();
    await echo.echo(payload);
    lat.push(performance.now() - s);
  }
  const r = stats(lat, performance.now() - t0);
  let next = 0;
  const t1 = performance.now();
  await Promise.all(Array.from({ length: WIDTH }, async () => {
    while (next++ < CONC) await echo.echo(payload);
  }));
  r.concPerS = CONC / ((performance.now() - t1) / 1000);
  conn.close();
  child.kill();
  return r;
}

function benchManifest(withCaller: boolean): Manifest {
  const raw = {
    version: 1,
    root: "..",
    processes: {
      kv: { kind: "driver", entry: "capabilities/kv/main.ts", args: ["${state}/kv"], sandbox: { read: ["${state}/kv"], write: ["${state}/kv"] }, exposes: { kv: { interface: "Kv" } } },
      log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
      clock: { kind: "driver", entry: "capabilities/clock/main.ts", exposes: { clock: { interface: "Clock" } } },
      echo: { kind: "driver", entry: "kernel/test/fixtures/echo/main.ts", exposes: { echo: { interface: "Echo" } } },
      counter: { kind: "module", entry: "modules/counter/main.ts", exposes: { counter: { interface: "Counter" } }, grants: { kv: { from: "kv", cap: "kv", restrictions: { namespace: "counter" } }, log: { from: "log", cap: "log" } } },
      greeter: { kind: "module", entry: "modules/greeter/main.ts", exposes: { greeter: { interface: "Greeter" } }, grants: { counter: { from: "counter", cap: "counter" }, clock: { from: "clock", cap: "clock" } } },
      reporter: { kind: "module", entry: "modules/reporter/main.ts", args: ["600000"], grants: { greeter: { from: "greeter", cap: "greeter" }, counter: { from: "counter", cap: "counter" }, log: { from: "log", cap: "log" } } },
      caller: withCaller
        ? { kind: "module", entry: "kernel/test/fixtures/bench-caller/main.ts", args: [String(SEQ), String(CONC), String(WIDTH)], grants: { echo: { from: "echo", cap: "echo" } } }
        : { kind: "module", entry: "kernel/test/fixtures/bench-caller/main.ts", args: ["0", "0", "1"], grants: { echo: { from: "echo", cap: "echo" } } },
    },
  };
  const r = validateManifest(raw, { path: join(repoRoot, "bench", "kernel-bench.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.manifest;
}

/**
 * The protocol's JavaScript work without any I/O: caller, (kernel connections + membrane,) and echo server in
 * this process over in-memory transports. Proxied minus direct = what the kernel's two hops cost in JS.
 */
async function jsOnlyCall(proxied: boolean): Promise<number> {
  const echoServer = new Echo$Server({
    echo(p, r) {
      const d = p.data.toUint8Array();
      r._initData(d.length).copyBuffer(d);
      return Promise.resolve();
    },
  });
  const [s1, s2] = memoryTransportPair();
  const conns = [connect(s1, { bootstrap: echoServer, name: "driver" }), connect(s2, { name: "kernel→driver" })];
  let target = conns[1].bootstrapClientRaw();
  if (proxied) {
    const m = new MembraneClient(target, {
      label: "echo", revoker: new Revoker(), counters: { calls: 0, errors: 0, inflight: 0, overloaded: 0 },
      interfaceId: Echo$Client.interfaceId, interfaceName: "Echo", ownsInner: false,
    });
    const [c1, c2] = memoryTransportPair();
    conns.push(connect(c1, { bootstrap: m, name: "kernel→module" }), connect(c2, { name: "module" }));
    target = conns[3].bootstrapClientRaw();
  }
  const echo = new EchoClient(target);
  const payload = new Uint8Array(16);
  for (let i = 0; i < 2000; i++) await echo.echo(payload);
  const n = SEQ * 2;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await echo.echo(payload);
  const us = ((performance.now() - t0) * 1000) / n;
  for (const c of conns) c.close();
  return us;
}

/** Nanoseconds of CPU a process has used, all threads (0 when it cannot be read). */
function cpuNs(pid: number): number {
  let ns = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
      } catch { /* thread ended */ }
    }
  } catch { /* not Linux, or gone */ }
  return ns;
}

async function proxiedAndBoot(): Promise<Pick<Results, "proxied" | "spawnReadyMs" | "bootMs" | "cpu">> {
  const state = mkdtempSync(join(tmpdir(), "zt-bench-kernel-"));
  // A fresh transpile cache, so the first boot is really cold (the kernel's default cache persists).
  const cacheDir = mkdtempSync(join(tmpdir(), "zt-bench-kernel-cache-"));
  let runDir = "";
  try {
    // Boot: kernel + 8 processes → all ready. The first boot fills Deno's transpile caches (cold).
    const boots: number[] = [];
    const drivers: number[] = [];
    const modules: number[] = [];
    for (let i = 0; i <= BOOTS; i++) {
      const events: KernelEvent[] = [];
      const t0 = performance.now();
      const h = await startKernel({ manifest: benchManifest(false), stateDir: state, cacheDir, onEvent: (e) => events.push(e) });
      const ms = performance.now() - t0;
      if (h.notReady.length) throw new Error(`not ready: ${h.notReady}`);
      boots.push(ms);
      if (i > 0) {
        for (const e of events.filter((x) => x.event === "ready")) {
          (["kv", "log", "clock", "echo"].includes(e.process!) ? drivers : modules).push(e.ms as number);
        }
      }
      await h.stop(5000);
      if (i === BOOTS) runDir = h.kernel.runDirectory;
    }
    const cold = boots.shift()!;
    const sorted = [...boots].sort((a, b) => a - b);
    const med = (a: number[]) => percentile([...a].sort((x, y) => x - y), 50);
    // Proxied: the caller module measures its own calls through the kernel to the echo driver.
    const events: KernelEvent[] = [];
    // CPU time of the kernel (this process), the caller module and the echo driver across the sequential calls.
    const pids: Record<string, number> = {};
    const marks: Record<string, Record<string, number>> = {};
    const sampleCpu = () => ({ kernel: cpuNs(process.pid), module: cpuNs(pids.caller ?? 0), driver: cpuNs(pids.echo ?? 0) });
    const onEvent = (e: KernelEvent) => {
      if (e.event === "spawned") pids[e.process as string] = e.pid as number;
      if (e.event === "output" && e.process === "caller" && String(e.line).startsWith('{"phase"')) {
        marks[JSON.parse(e.line as string).phase] = sampleCpu();
      }
      events.push(e);
    };
    const h = await startKernel({ manifest: benchManifest(true), stateDir: state, cacheDir, onEvent });
    let result: Lat | null = null;
    const deadline = Date.now() + 300_000;
    while (!result && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      for (const e of events) {
        if (e.event === "output" && e.process === "caller" && String(e.line).startsWith('{"bench"')) result = JSON.parse(e.line as string).bench;
      }
    }
    await h.stop(5000);
    if (!result) throw new Error("the caller module reported nothing");
    const a = marks["seq-start"], b = marks["seq-end"];
    const per = (k: string) => (b[k] - a[k]) / 1000 / SEQ;
    const cpu = a && b && b.module > 0 && b.driver > 0 ? { kernel: per("kernel"), module: per("module"), driver: per("driver") } : null;
    return {
      proxied: result,
      cpu,
      spawnReadyMs: { driver: med(drivers), module: med(modules) },
      bootMs: { median: percentile(sorted, 50), max: sorted[sorted.length - 1], cold },
    };
  } finally {
    rmSync(state, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  }
}

async function runAll(): Promise<Results> {
  const raw = await rawRoundTrip(false);
  const rawSocket = await rawRoundTrip(true);
  const direct = await directCall();
  const jsOnly = { direct: await jsOnlyCall(false), proxied: await jsOnlyCall(true) };
  const rest = await proxiedAndBoot();
  return { raw, rawSocket, direct, jsOnly, ...rest };
}

function runMode(pinned: boolean): Results {
  const args = ["run", "-A", "--quiet", "--no-lock", join(repoRoot, "bench/kernel.ts"), "--child", pinned ? "pinned" : "unpinned", ...(values.quick ? ["--quick"] : [])];
  const cmd = pinned ? ["taskset", ["-c", "0", denoBinary(), ...args]] as const : [denoBinary(), args] as const;
  const r = spawnSync(cmd[0], [...cmd[1]], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "inherit"] });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) throw new Error(`bench child (${pinned ? "pinned" : "unpinned"}) failed: ${r.status}`);
  return JSON.parse(line);
}

const f = (n: number) => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));
const k = (n: number | undefined) => (n === undefined ? "—" : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : Math.round(n).toString());

function table(name: string, r: Results): string {
  const ratio = (x: Lat, base: Lat) => `${(x.p50 / base.p50).toFixed(1)}×`;
  const goal = (x: Lat, g: number, base: Lat) => (x.p50 / base.p50 <= g ? `≤ ${g}× ✓` : `≤ ${g}× ✗ missed`);
  const row = (label: string, x: Lat, conc: string, g: number | null) =>
    `| ${label} | ${f(x.p50)} | ${f(x.p99)} | ${k(x.seqPerS)} | ${conc} | ${ratio(x, r.raw)} | ${ratio(x, r.rawSocket)} | ` +
    (g === null ? "baseline |" : `${goal(x, g, r.raw)} / ${goal(x, g, r.rawSocket)} |`);
  const c = r.cpu;
  const where = c
    ? `Where the time goes (CPU time per sequential proxied call, all threads of each process, read from /proc around the ${SEQ} calls): ` +
      `kernel ${f(c.kernel)} µs (two hops: read the module's Call, membrane, encode and write the Call to the driver; read the driver's ` +
      `Return, encode and write it to the module), module ${f(c.module)} µs, driver ${f(c.driver)} µs; sum ${f(c.kernel + c.module + c.driver)} µs ` +
      `vs a mean sequential call of ${f(1e6 / r.proxied.seqPerS)} µs (the p50 is lower: GC pauses and stragglers sit in the mean). ` +
      (name.startsWith("Pinned")
        ? "On one CPU a call costs the sum of the three processes' work: "
        : "Unpinned, part of that work overlaps and wake-ups may cross CPUs: ") +
      `four pipe hops (one hop = write, wake-up, read: ~${f(r.rawSocket.p50 / 2)} µs, half the raw socket row) plus Cap'n Proto ` +
      `decode/encode in every process and the membrane in the kernel. ` +
      `JavaScript alone (all parties in one process, in-memory transports, no I/O): direct call ${f(r.jsOnly.direct)} µs, ` +
      `proxied ${f(r.jsOnly.proxied)} µs — the kernel's two hops and membrane cost ~${f(r.jsOnly.proxied - r.jsOnly.direct)} µs of JS; ` +
      `the rest of its CPU time is pipe I/O, wake-ups and GC.`
    : "Where the time goes: per-process CPU time could not be read here (/proc).";
  return [
    `**${name}**`,
    "",
    "| measurement | p50 µs | p99 µs | seq calls/s | concurrent calls/s (32 in flight) | vs raw (stdin) | vs raw (socket) | goal vs raw (stdin) / (socket) |",
    "|---|---|---|---|---|---|---|---|",
    row("raw pipe round trip, child reads process.stdin (64 B, no protocol)", r.raw, "—", null),
    row("raw pipe round trip, child reads fd 0 as a socket, as guests now do", r.rawSocket, "—", null),
    row("direct Cap'n Proto RPC call (bench ↔ echo driver)", r.direct, k(r.direct.concPerS), 2.5),
    row("proxied module → kernel → driver", r.proxied, k(r.proxied.concPerS), 5),
    "",
    where,
    "",
    `spawn → ready (median): driver ${f(r.spawnReadyMs.driver)} ms, module (own uid when root) ${f(r.spawnReadyMs.module)} ms. ` +
      `Kernel + 8 processes → all ready: median ${Math.round(r.bootMs.median)} ms, max ${Math.round(r.bootMs.max)} ms over ${BOOTS} boots ` +
      `(${r.bootMs.max <= 1000 ? "goal ≤ 1 s ✓" : "goal ≤ 1 s ✗ missed"}); first boot with cold transpile caches ${Math.round(r.bootMs.cold)} ms.`,
  ].join("\n");
}

if (values.child) {
  const r = await runAll();
  console.log(JSON.stringify(r));
  process.exit(0);
}

const loadBefore = os.loadavg()[0];
const pinned = runMode(true);
const unpinned = runMode(false);
const md = [
  "## Kernel: calls through the membrane, spawn and boot",
  "",
  `Machine: ${machineLine()}. Run as ${process.getuid?.() === 0 ? "root (modules get their own uid via setpriv)" : "an unprivileged user"}. ` +
    `Load average (1 min) at start / end: ${loadBefore.toFixed(1)} / ${os.loadavg()[0].toFixed(1)} — the machine is shared; a load above ~1 inflates every number here.`,
  `Reproduce: \`node_modules/deno/deno run -A bench/kernel.ts${values.quick ? " --quick" : ""}\` (runs both placements below).`,
  "Transport: each process's stdin/stdout pipes; payload 16 B (echo). Protocol: Cap'n Proto RPC level 1 (capabilities/lib/rpc).",
  "Two raw baselines: the goals were first set against a child reading `process.stdin`, which Deno reads through a blocking",
  "worker thread (two extra thread wake-ups per message). Guests now read fd 0 as a non-blocking socket (rpc/stdio.ts), so the",
  "socket row is the same pipe with the same reading method as the RPC rows; both ratios are shown, neither is flattering alone.",
  "\"Direct\" = one call from this process to the echo driver over its connection; \"proxied\" = a module's call through the kernel",
  "(membrane: per-grant counters and in-flight limit, revocation, interface check) to the driver — two hops, two connections.",
  `${SEQ} sequential calls after 500 warm-up calls; ${CONC} calls with 32 in flight for the concurrent rate.`,
  "",
  table("Pinned: every process on CPU 0 (`taskset -c 0`)", pinned),
  "",
  table("Unpinned: the scheduler places processes on both vCPUs (a wake-up on the other vCPU costs ~450 µs here)", unpinned),
].join("\n");
console.log(md);
if (!values["no-write"]) writeSection("kernel", md);
