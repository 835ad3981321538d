// RPC benchmark: two processes on a unix socket — raw byte ping-pong vs a direct Cap'n Proto call
// (capabilities/lib/rpc, Echo.echo from capabilities/schema/test.capnp) — pinned to one CPU and unpinned.
// Writes section "rpc" of docs/PERFORMANCE.md. Goal: direct call p50 ≤ 2.5 × raw round trip p50.
//
// usage: deno run -A bench/rpc.ts [--quick]
// (internal modes: raw-server PATH | raw-client PATH N CONC | capnp-client PATH N CONC)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Echo } from "../capabilities/schema/gen/test.ts";
import { dial } from "../capabilities/lib/rpc/net.ts";
import { machineLine, percentile, writeSection } from "./lib/report.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..");
const deno = join(root, "node_modules", "deno", "deno");
const self = fileURLToPath(import.meta.url);
const peer = join(root, "capabilities", "lib", "rpc", "test", "peer.ts");
const MSG = 64;

interface Result {
  p50: number;
  p99: number;
  seqPerS: number;
  concPerS: number;
}

// ---- raw ---------------------------------------------------------------------------------------------------

function rawServer(path: string): void {
  net.createServer((s) => {
    s.setNoDelay(true);
    s.on("data", (d) => s.write(d));
    s.on("error", () => {});
  }).listen(path, () => process.stdout.write("ready\n"));
}

async function rawClient(path: string, n: number, conc: number): Promise<Result> {
  const sock = await new Promise<net.Socket>((res, rej) => {
    const s = net.createConnection(path, () => res(s));
    s.once("error", rej);
  });
  sock.setNoDelay(true);
  let pending = 0;
  let waiter: (() => void) | null = null;
  sock.on("data", (d: Uint8Array) => {
    pending -= d.byteLength;
    if (waiter && pending <= 0) {
      const w = waiter;
      waiter = null;
      w();
    }
  });
  const payload = new Uint8Array(MSG).fill(7);
  const lat: number[] = [];
  for (let i = -200; i < n; i++) { // the first 200 are warm-up

    const t0 = performance.now();
    pending += MSG;
    await new Promise<void>((r) => {
      waiter = r;
      sock.write(payload);
    });
    if (i >= 0) lat.push(performance.now() - t0);
  }
  const seqPerS = n / (lat.reduce((a, b) => a + b, 0) / 1000);
  // Concurrent: keep `conc` messages in flight until n have come back.
  let received = 0;
  let inFlight = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    sock.removeAllListeners("data");
    sock.on("data", (d: Uint8Array) => {
      received += d.byteLength;
      const done = Math.floor(received / MSG);
      while (inFlight - done < conc && inFlight < n) {
        sock.write(payload);
        inFlight++;
      }
      if (done >= n) resolve();
    });
    while (inFlight < conc) {
      sock.write(payload);
      inFlight++;
    }
  });
  const concPerS = n / ((performance.now() - t0) / 1000);
  sock.destroy();
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50) * 1000, p99: percentile(lat, 99) * 1000, seqPerS, concPerS };
}

// ---- capnp -------------------------------------------------------------------------------------------------

async function capnpClient(path: string, n: number, conc: number): Promise<Result> {
  const conn = await dial({ path });
  const echo = conn.bootstrap(Echo);
  const text = "x".repeat(16);
  for (let i = 0; i < 200; i++) await echo.echo((p) => { p.text = text; }).promise(); // warm up (JIT, bootstrap)
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await echo.echo((p) => { p.text = text; }).promise();
    lat.push(performance.now() - t0);
  }
  const seqPerS = n / (lat.reduce((a, b) => a + b, 0) / 1000);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next++ < n) await echo.echo((p) => { p.text = text; }).promise();
  }));
  const concPerS = n / ((performance.now() - t0) / 1000);
  conn.close();
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50) * 1000, p99: percentile(lat, 99) * 1000, seqPerS, concPerS };
}

// ---- orchestration -----------------------------------------------------------------------------------------

function withPin(pinned: boolean, cmd: string, args: string[]): [string, string[]] {
  return pinned ? ["taskset", ["-c", "0", cmd, ...args]] : [cmd, args];
}

function startServer(cmd: [string, string[]]): Promise<() => void> {
  const child = spawn(cmd[0], cmd[1], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Uint8Array) => {
      if (new TextDecoder().decode(d).includes("ready")) resolve(() => child.kill("SIGKILL"));
    });
    child.on("exit", (c) => reject(new Error(`server exited (${c})`)));
  });
}

function runClient(cmd: [string, string[]]): Promise<Result> {
  const child = spawn(cmd[0], cmd[1], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (d: Uint8Array) => (out += new TextDecoder().decode(d)));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as Result) : reject(new Error(`client exited ${code}`))))
  );
}

async function measure(kind: "raw" | "capnp", pinned: boolean, dir: string, n: number, conc: number): Promise<Result> {
  const path = join(dir, `${kind}-${pinned ? "pin" : "free"}.sock`);
  const server = kind === "raw"
    ? withPin(pinned, deno, ["run", "-A", "--quiet", self, "raw-server", path])
    : withPin(pinned, deno, ["run", "-A", "--quiet", peer, "serve-unix", path]);
  const stop = await startServer(server);
  try {
    return await runClient(withPin(pinned, deno, ["run", "-A", "--quiet", self, `${kind}-client`, path, String(n), String(conc)]));
  } finally {
    stop();
  }
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const kfmt = (x: number) => `${(x / 1000).toFixed(1)}k`;

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const n = quick ? 2000 : 20000;
  const conc = 64;
  const load = os.loadavg()[0].toFixed(2);
  const dir = mkdtempSync(join(tmpdir(), "zt-bench-rpc-"));
  const rows: string[] = [];
  const verdicts: string[] = [];
  try {
    for (const pinned of [true, false]) {
      const raw = await measure("raw", pinned, dir, n, conc);
      const cap = await measure("capnp", pinned, dir, n, conc);
      const label = pinned ? "pinned (`taskset -c 0`, both on one CPU)" : "unpinned";
      rows.push(`| ${label} | raw socket ping-pong (${MSG} B) | ${fmt(raw.p50)} | ${fmt(raw.p99)} | ${kfmt(raw.seqPerS)} | ${kfmt(raw.concPerS)} |`);
      rows.push(`| ${label} | Cap'n Proto call (Echo.echo) | ${fmt(cap.p50)} | ${fmt(cap.p99)} | ${kfmt(cap.seqPerS)} | ${kfmt(cap.concPerS)} |`);
      const ratio = cap.p50 / raw.p50;
      verdicts.push(`- ${pinned ? "pinned" : "unpinned"}: call p50 / raw p50 = **${ratio.toFixed(2)}×** — goal ≤ 2.5×: ${ratio <= 2.5 ? "met" : "**missed**"}`);
      console.log(`${pinned ? "pinned" : "unpinned"}: raw ${fmt(raw.p50)} µs, capnp ${fmt(cap.p50)} µs (${ratio.toFixed(2)}×)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  writeSection("rpc", [
    "## RPC: raw socket vs direct Cap'n Proto call (two processes, unix socket)",
    "",
    `Machine: ${machineLine()}; load average when started: ${load}. Both sides on Deno; ${n} sequential round trips`,
    `after warm-up, then ${n} with ${conc} in flight. p99 is dominated by GC pauses and by other jobs on the machine.`,
    "Reproduce: `node_modules/deno/deno run -A bench/rpc.ts`",
    "",
    "| placement | what | p50 µs | p99 µs | sequential /s | concurrent /s |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    ...verdicts,
  ].join("\n"));
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "--help" || mode === "-h") {
  console.log("usage: deno run -A bench/rpc.ts [--quick]   (writes section rpc of docs/PERFORMANCE.md)");
} else if (mode !== undefined && mode !== "--quick" && !["raw-server", "raw-client", "capnp-client"].includes(mode)) {
  console.error(`bench/rpc.ts: unknown argument ${mode}; try --help`);
  process.exitCode = 2;
} else if (mode === "raw-server") rawServer(a);
else if (mode === "raw-client") {
  process.stdout.write(JSON.stringify(await rawClient(a, Number(b), Number(c))), () => process.exit(0));
} else if (mode === "capnp-client") {
  process.stdout.write(JSON.stringify(await capnpClient(a, Number(b), Number(c))), () => process.exit(0));
}
else await main();
