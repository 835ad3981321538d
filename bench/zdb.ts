// 0-db server benchmark: redis-benchmark (the real tool, same flags) against the node's 0-db server
// (capabilities/zdb/serve.ts under Deno) and against redis-server on the same machine, in one run, so the
// ratios compare. redis-server runs twice: in memory only (its default without a config file) and with an
// append-only file (appendfsync no), the closest match to 0-db's append-only data files.
//
// usage: deno run -A bench/zdb.ts [--no-write] [--quick]
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { denoBinary, repoRoot } from "../kernel/sandbox.ts";
import { machineLine, writeSection } from "./lib/report.ts";

const { values } = parseArgs({ args: process.argv.slice(2), options: { "no-write": { type: "boolean" }, quick: { type: "boolean" } } });
const REQUESTS = values.quick ? 20_000 : 50_000;
// the machine is shared: servers take turns, round after round, and each figure is the median of the rounds
const ROUNDS = values.quick ? 1 : 3;
const CLIENTS = 50;
const SIZE = 100;
const PIPELINE = 16;

interface Row {
  test: string;
  rps: number;
  p50: number;
  p99: number;
  /** the server's CPU time (user + system) per request, µs: far steadier than req/s on a busy machine */
  cpu: number;
}

/** utime + stime of a process, in ms (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

const dir = mkdtempSync(join(tmpdir(), "zt-bench-zdb-"));
const procs: ChildProcess[] = [];

function waitLine(p: ChildProcess, re: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => reject(new Error(`${what} did not start: ${buf}`)), 30_000);
    const on = (d: Buffer) => {
      buf += d;
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    p.stdout!.on("data", on);
    p.stderr!.on("data", on);
  });
}

const pids = new Map<number, number>(); // port → server pid

async function startZdb(): Promise<number> {
  const d = join(dir, "zdb");
  const p = spawn(denoBinary(), [
    "run", "--quiet", "--no-prompt", "--allow-net=127.0.0.1:0", `--allow-read=${d}`, `--allow-write=${d}`,
    join(repoRoot, "capabilities/zdb/serve.ts"), "--data", d, "--listen", "127.0.0.1", "--port", "0",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  procs.push(p);
  const port = Number(await waitLine(p, /"port":(\d+)/, "zdb"));
  pids.set(port, p.pid!);
  return port;
}

async function startRedis(aof: boolean, port: number): Promise<number> {
  const d = join(dir, `redis-${aof ? "aof" : "mem"}`);
  spawnSync("mkdir", ["-p", d]);
  const p = spawn("redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", d,
    "--appendonly", aof ? "yes" : "no", "--appendfsync", "no",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  procs.push(p);
  await waitLine(p, /(Ready to accept connections)/, "redis-server");
  pids.set(port, p.pid!);
  return port;
}

function freePort(): number {
  return 20000 + Math.floor(Math.random() * 20000);
}

function bench(port: number, pipeline: number): Row[] {
  const rows: Row[] = [];
  // one test per redis-benchmark run, so the server's CPU time belongs to that test
  for (const t of ["set", "get"]) {
    const pid = pids.get(port)!;
    const c0 = cpuMs(pid);
    const r = spawnSync("redis-benchmark", [
      "-h", "127.0.0.1", "-p", String(port), "-t", t, "-n", String(REQUESTS), "-c", String(CLIENTS),
      "-d", String(SIZE), "-r", "100000", "-P", String(pipeline), "--csv",
    ], { encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
    const cpu = ((cpuMs(pid) - c0) * 1000) / REQUESTS;
    for (const line of r.stdout.split("\n")) {
      const f = line.split(",").map((s) => s.replace(/"/g, ""));
      if (f[0] === "SET" || f[0] === "GET") rows.push({ test: f[0], rps: Number(f[1]), p50: Number(f[4]), p99: Number(f[6]), cpu });
    }
  }
  return rows;
}

try {
  const zdbPort = await startZdb();
  const memPort = await startRedis(false, freePort());
  const aofPort = await startRedis(true, freePort());
  const runs: Record<string, Record<string, Row[]>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const pipeline of [1, PIPELINE]) {
      for (const [name, port] of [["zdb", zdbPort], ["redis", memPort], ["redis-aof", aofPort]] as const) {
        const key = `${name}/P${pipeline}`;
        runs[key] ??= {};
        for (const row of bench(port, pipeline)) (runs[key][row.test] ??= []).push(row);
        console.error(round, key, JSON.stringify(runs[key]));
      }
    }
  }
  const median = (rows: Row[]): Row => [...rows].sort((a, b) => a.rps - b.rps)[Math.floor(rows.length / 2)];
  const results: Record<string, Record<string, Row>> = {};
  for (const [key, tests] of Object.entries(runs)) {
    results[key] = Object.fromEntries(Object.entries(tests).map(([t, rows]) => [t, median(rows)]));
  }
  const lines = [
    "## 0-db server (`bench/zdb.ts`)",
    "",
    `\`deno run -A bench/zdb.ts\` — \`redis-benchmark -t set,get -n ${REQUESTS} -c ${CLIENTS} -d ${SIZE} -r 100000 [-P ${PIPELINE}]\` against`,
    "the node's 0-db server (`capabilities/zdb/serve.ts`, one Deno process, append-only data file) and redis-server 7",
    "(in memory; and with `appendonly yes, appendfsync no`) on the same machine, taking turns in one run;",
    `each figure is the median of ${ROUNDS} rounds (the row with the median req/s, its latencies).`,
    `Machine: ${machineLine()}; shared with other engineers' test runs while measured, so absolute numbers are noisy.`,
    "",
    "| server | pipeline | SET req/s | SET p50 / p99 ms | GET req/s | GET p50 / p99 ms | SET ratio to redis | GET ratio to redis | server CPU µs/req SET / GET |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const pipeline of [1, PIPELINE]) {
    const ref = results[`redis/P${pipeline}`];
    for (const name of ["zdb", "redis", "redis-aof"]) {
      const r = results[`${name}/P${pipeline}`];
      const ratio = (t: string) => (r[t].rps / ref[t].rps).toFixed(2);
      lines.push(
        `| ${name === "zdb" ? "zos-ts 0-db" : name === "redis" ? "redis-server" : "redis-server (AOF)"} | ${pipeline} | ` +
          `${Math.round(r.SET.rps)} | ${r.SET.p50} / ${r.SET.p99} | ${Math.round(r.GET.rps)} | ${r.GET.p50} / ${r.GET.p99} | ` +
          `${ratio("SET")}× | ${ratio("GET")}× | ${r.SET.cpu.toFixed(0)} / ${r.GET.cpu.toFixed(0)} |`,
      );
    }
  }
  const missed = ["SET", "GET"].filter((t) => results["zdb/P1"][t].rps / results["redis/P1"][t].rps < 0.5);
  lines.push(
    "",
    missed.length
      ? `**Goal missed** in this run for ${missed.join(" and ")} without pipelining (see the ratios).`
      : "Goal met in this run (without pipelining).",
    "",
    "Profile (2026-12-02, this machine): req/s swings 2–3× between back-to-back runs with the load, so the last",
    "column gives each server's CPU time per request (/proc/PID/stat before and after each redis-benchmark run),",
    "which is what bounds req/s on a quiet machine. A control — a Deno `node:net` server that parses nothing and",
    "answers `+OK` to every request — cost 23–34 µs CPU per unpipelined request against redis-server's 18–22 µs:",
    "Deno's socket layer alone is ≈ 1.2–1.5× redis-server's whole cost per request, so ≥ 0.5× is only reachable",
    "if the 0-db work on top (RESP parse, index, CRC-32, record encoding, the data-file write, the reply) stays",
    "under ≈ 15 µs. In-process and warm that work is a few µs (RESP parse 0.25 µs); on the server it measures",
    "15–40 µs above the control, most of it inside Deno's runtime (a V8 tick profile puts ~30 % of ticks in the",
    "deno binary and libc, ~5 % in our JS). Changed: the records of one read are written and its replies sent",
    "at once instead of at the end of the event-loop turn (a setImmediate per batch): pipelined SET 1.4–3×",
    "faster in an interleaved A/B on the same data (9.2k/24.0k/27.1k → 29.7k/33.9k/39.1k req/s), unpipelined",
    "within the noise; still one write() per read, before the reply, as 0-db's C server writes each SET before",
    "it answers (crash tests unchanged and green). Tried earlier without effect: committing in a microtask.",
    "Deno's own `Deno.listen` API costs the same as `node:net` in the control (20–23 µs/request).",
    "Session 5 (perfimage): a CPU profile of the server under unpipelined SET puts ≈ 41 % of its busy time in the",
    "socket write (`writeBuffer`, one per reply: it cannot be batched across connections), ≈ 11 % in GC and ≈ 7 %",
    "in the data-file write(); in-process (no sockets) a SET costs 6–10 µs of CPU on an existing key and",
    "≈ 30 µs on a new one (index growth, the key copy the index keeps, Buffer construction — `FastBuffer`",
    "views cost µs each in Deno's node compatibility layer), a GET ≈ 6 µs. Cut: a SET of the same value (what",
    "redis-benchmark sends) compares with the stored bytes read into reused memory instead of a fresh buffer,",
    "keys are looked up without a Buffer view, SET's reply is not copied twice — a few µs per request, within",
    "this machine's noise. The rest is Deno's per-request socket and Buffer cost, above the ≈ 15 µs budget.",
    "",
    "Goal: ≥ 0.5× redis-server. 0-db's own C server (epoll, one thread, in-memory index, append-only files like",
    "this one) is expected to land near redis-server in this load — close to 1× for GET, somewhat lower for SET",
    "because every SET is a write() to its data file (and the index file) — i.e. above this TypeScript server;",
    "no 0-db binary exists here to measure it (no package provides one).",
  );
  console.log(lines.join("\n"));
  if (!values["no-write"]) writeSection("zdb", lines.join("\n"));
} finally {
  for (const p of procs) p.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
}
