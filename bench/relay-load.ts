// The relay with many connected twins at once (issue 14 item 5): the relay runs in its own process
// (bench/lib/relay-load-child.ts, twins in a table in memory); this process connects RmbPeers (each its own
// WebSocket, JWT, signatures) in steps up to --max, keeps every earlier one connected, and at each step measures
// how long the step took to connect, the relay's resident memory and CPU time, and request → reply round trips
// between random pairs of connected twins (--requests of them, --concurrency at once). A step "gives out" when a
// connect or a request fails or its p99 passes 5 s; the run stops there.
//   node_modules/deno/deno run -A bench/relay-load.ts [--steps 250,500,1000,2000,4000] [--requests 2000] [--concurrency 64] [--no-write]
// Note: the twins' side (thousands of peers) runs in this one process on the same 2 cores as the relay.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import process from "node:process";
import os from "node:os";
import { RmbPeer } from "../capabilities/rmb/peer.ts";
import { signerFromSeed } from "../capabilities/rmb/signer.ts";
import { InMemoryTwins } from "../capabilities/rmb/twins.ts";
import { twinSeed } from "./lib/twin-seed.ts";
import { machineLine, percentile, writeSection } from "./lib/report.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "250,500,1000,2000,4000" },
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "64" },
    "no-write": { type: "boolean" },
  },
});
const steps = values.steps!.split(",").map(Number);
const REQUESTS = Number(values.requests);
const C = Number(values.concurrency);
const max = Math.max(...steps);

const child = spawn(process.execPath, ["run", "-A", "--no-lock", fileURLToPath(new URL("./lib/relay-load-child.ts", import.meta.url)), String(max)], { stdio: ["pipe", "pipe", "inherit"] });
const url = await new Promise<string>((resolve, reject) => {
  child.once("exit", (c) => reject(new Error(`relay process exited (${c})`)));
  createInterface({ input: child.stdout! }).on("line", (l) => l.startsWith("url ") && resolve(l.slice(4)));
});

function relayStats(): { rssMb: number; cpuS: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { rssMb: rss, cpuS: (Number(f[11]) + Number(f[12])) / 100 };
}

const twins = new InMemoryTwins();
const peers: RmbPeer[] = [];
interface Row {
  connected: number;
  connectS: number;
  connectFailures: number;
  rssMb: number;
  relayCpuS: number;
  p50: number;
  p99: number;
  perSecond: number;
  requestFailures: number;
  firstError: string;
}
const rows: Row[] = [];
let gaveOut = "";
try {
  for (const target of steps) {
    const t0 = performance.now();
    let connectFailures = 0;
    let firstError = "";
    const fresh: Promise<void>[] = [];
    for (let id = peers.length + 1; id <= target; id++) {
      const signer = await signerFromSeed(twinSeed(id), "ed25519");
      twins.set({ id, accountId: signer.publicKey, relay: null, pk: null });
      const p = new RmbPeer({ relayUrls: [url], twinId: id, signer, twins, requestTimeoutMs: 30_000, maxConcurrentRequests: 64, maxInFlightPerTwin: 64 });
      p.handle("bench.echo", (x) => x);
      peers.push(p);
      fresh.push(p.start(60_000).catch((e) => {
        connectFailures++;
        firstError ||= `connect: ${(e as Error).message}`;
      }));
      // at most 64 handshakes in flight, as many clients arriving at once
      if (fresh.length % 64 === 0) await Promise.all(fresh.slice(-64));
    }
    await Promise.all(fresh);
    const connectS = (performance.now() - t0) / 1000;
    const lat: number[] = [];
    let requestFailures = 0;
    let next = 0;
    const r0 = performance.now();
    await Promise.all(Array.from({ length: C }, async () => {
      while (next++ < REQUESTS) {
        const a = peers[Math.floor(Math.random() * peers.length)];
        const b = peers[Math.floor(Math.random() * peers.length)];
        const t = performance.now();
        try {
          await a.request(peers.indexOf(b) + 1, "bench.echo", { n: next }, { timeoutMs: 30_000 });
          lat.push(performance.now() - t);
        } catch (e) {
          requestFailures++;
          firstError ||= `request: ${(e as Error).message}`;
        }
      }
    }));
    const perSecond = lat.length / ((performance.now() - r0) / 1000);
    lat.sort((x, y) => x - y);
    const s = relayStats();
    const row = { connected: peers.length - connectFailures, connectS, connectFailures, rssMb: s.rssMb, relayCpuS: s.cpuS, p50: percentile(lat, 50), p99: percentile(lat, 99), perSecond, requestFailures, firstError };
    rows.push(row);
    console.log(`${target} twins: connected ${row.connected} in ${connectS.toFixed(1)} s (${connectFailures} failed); relay RSS ${s.rssMb.toFixed(0)} MiB, CPU ${s.cpuS.toFixed(1)} s; ` +
      `${REQUESTS} requests p50 ${row.p50.toFixed(1)} ms p99 ${row.p99.toFixed(1)} ms, ${perSecond.toFixed(0)}/s, ${requestFailures} failed${firstError ? ` (${firstError})` : ""}`);
    if (connectFailures || requestFailures || row.p99 > 5000) {
      gaveOut = `${target} twins: ${connectFailures} connects and ${requestFailures} requests failed, p99 ${row.p99.toFixed(0)} ms${firstError ? ` — ${firstError}` : ""}`;
      break;
    }
  }
} finally {
  await Promise.all(peers.map((p) => p.close().catch(() => {})));
  child.stdin!.end();
  await new Promise((r) => child.once("exit", r));
}

const table = [
  "| connected twins | connect time (step) | relay RSS | relay CPU (total) | request p50 | p99 | requests/s | failures |",
  "|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.connected} | ${r.connectS.toFixed(1)} s | ${r.rssMb.toFixed(0)} MiB | ${r.relayCpuS.toFixed(1)} s | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.perSecond.toFixed(0)} | ${r.connectFailures + r.requestFailures} |`),
].join("\n");
const md = `## Relay: concurrent connected twins (issue 14 item 5)

\`node_modules/deno/deno run -A bench/relay-load.ts --steps ${values.steps} --requests ${REQUESTS} --concurrency ${C}\`
— ${machineLine()}, load ${os.loadavg()[0].toFixed(1)} at the end: **the machine was shared with other engineers' test runs,
and the twins' side (every peer, its WebSocket, JWT and signatures) runs in the bench's own process on the same 2 cores
as the relay**, so these are lower bounds of what the relay does alone. The relay runs in its own process with its
per-address connect rate lifted (all peers come from 127.0.0.1) and a twin table in memory.

${table}

Where it gives out: ${gaveOut || `not reached up to ${rows.at(-1)?.connected ?? 0} twins (the largest step asked for)`}.
`;
console.log(md);
if (!values["no-write"]) writeSection("relay-load", md);
process.exit(0);
