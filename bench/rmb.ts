// RMB round trip through the relay vs a raw WebSocket echo, in the same process and run.
//   node_modules/deno/deno run -A bench/rmb.ts [--n 2000] [--concurrency 32]
// Both sides run on loopback. The RMB path is the real one: JWT sessions, protobuf envelopes, MD5
// challenge + ed25519/sr25519 signatures verified on both ends, and (in the e2e row) secp256k1/AES-GCM.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import os from "node:os";
import { WebSocket, WebSocketServer } from "ws";
import { e2eKeyFromSecret } from "../capabilities/rmb/e2e.ts";
import { RmbPeer } from "../capabilities/rmb/peer.ts";
import { signerFromSeed } from "../capabilities/rmb/signer.ts";
import { InMemoryTwins } from "../capabilities/rmb/twins.ts";
import { startRelayWith } from "../grid/relay/mod.ts";
import { machineLine, percentile, writeSection } from "./lib/report.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "32" },
    "no-write": { type: "boolean" },
  },
});
const N = Number(values.n);
const C = Number(values.concurrency);
const payload = { contract_id: 42, note: "x".repeat(200) };

interface Row {
  name: string;
  p50: number;
  p99: number;
  perSecond: number;
}

async function measure(name: string, once: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < 50; i++) await once(); // warm-up
  const lat: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await once();
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  const total = N;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: C }, async () => {
    while (next++ < total) await once();
  }));
  const perSecond = total / ((performance.now() - t0) / 1000);
  return { name, p50: percentile(lat, 50), p99: percentile(lat, 99), perSecond };
}

async function rawEcho(): Promise<{ once: () => Promise<unknown>; stop: () => Promise<void> }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on("connection", (ws) => ws.on("message", (d, bin) => ws.send(d, { binary: bin })));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
    perMessageDeflate: false,
  });
  await new Promise((r) => ws.once("open", r));
  const waiting = new Map<number, () => void>();
  ws.on("message", (d: Buffer) => {
    const id = d.readUInt32LE(0);
    waiting.get(id)?.();
    waiting.delete(id);
  });
  let seq = 0;
  const body = Buffer.from(JSON.stringify(payload));
  return {
    once: () =>
      new Promise<void>((resolve) => {
        const id = seq++;
        const frame = Buffer.alloc(4 + body.length);
        frame.writeUInt32LE(id, 0);
        body.copy(frame, 4);
        waiting.set(id, resolve);
        ws.send(frame);
      }),
    stop: async () => {
      ws.close();
      wss.close();
      await new Promise((r) => server.close(r));
    },
  };
}

const twins = new InMemoryTwins();
const relay = await startRelayWith(twins, { limits: { messagesPerSecond: 1e6 } });
const rows: Row[] = [];
const peers: RmbPeer[] = [];
try {
  const echo = await rawEcho();
  rows.push(await measure("raw WebSocket echo (same payload, no relay)", echo.once));
  await echo.stop();

  for (const [userType, e2e] of [["ed25519", false], ["sr25519", false], ["sr25519", true]] as const) {
    const base = rows.length * 10;
    const nodeSecret = new Uint8Array(32).fill(base + 1);
    const userSecret = new Uint8Array(32).fill(base + 2);
    const nodeSigner = await signerFromSeed(nodeSecret, "ed25519");
    const userSigner = await signerFromSeed(userSecret, userType);
    twins.set({
      id: base + 1,
      accountId: nodeSigner.publicKey,
      relay: null,
      pk: e2e ? e2eKeyFromSecret(nodeSecret).publicKey : null,
    });
    twins.set({
      id: base + 2,
      accountId: userSigner.publicKey,
      relay: null,
      pk: e2e ? e2eKeyFromSecret(userSecret).publicKey : null,
    });
    const node = new RmbPeer({
      relayUrls: [relay.url],
      twinId: base + 1,
      signer: nodeSigner,
      twins,
      e2e: e2eKeyFromSecret(nodeSecret),
      // one user drives all the load here: let it have every slot (the per-twin fairness limit, default 16,
      // would answer the excess "busy"; that limit is tested in capabilities/rmb/peer-hardening.test.ts)
      maxInFlightPerTwin: Math.max(16, C),
      maxConcurrentRequests: Math.max(16, C),
    });
    node.handle("zos.deployment.get", (p) => p);
    const user = new RmbPeer({
      relayUrls: [relay.url],
      twinId: base + 2,
      signer: userSigner,
      twins,
      session: "bench",
      e2e: e2eKeyFromSecret(userSecret),
    });
    peers.push(node, user);
    await node.start();
    await user.start();
    rows.push(
      await measure(
        `RMB request → relay → node → reply (user ${userType}, node ed25519${
          e2e ? ", e2e encrypted" : ", plain"
        })`,
        () => user.request(base + 1, "zos.deployment.get", payload),
      ),
    );
  }
  const pingPeer = peers[1];
  rows.push(await measure("RMB envelope ping → relay pong", () => pingPeer.ping()));
} finally {
  for (const p of peers) await p.close();
  await relay.stop();
}

const fmt = (x: number) => x.toFixed(3);
const md = [
  "## RMB relay round trip",
  "",
  `Machine: ${machineLine()}. Reproduce: \`node_modules/deno/deno run -A bench/rmb.ts --n ${N} --concurrency ${C}\`.`,
  "",
  `Load average when the run ended: ${os.loadavg().map((l) => l.toFixed(2)).join(" / ")} (1/5/15 min; ` +
  "other work on this machine shows up as p99 outliers).",
  "",
  `Latency = one request at a time (${N} samples after 50 warm-up); throughput = ${C} requests in flight.`,
  "Payload: a ~230-byte JSON object. Goal: every signed RMB round trip p99 under 5 ms on loopback " +
  "(4 signature operations: user signs, node verifies, node signs, user verifies).",
  "",
  "| path | p50 ms | p99 ms | req/s at concurrency " + C + " |",
  "|---|---:|---:|---:|",
  ...rows.map((r) => `| ${r.name} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${Math.round(r.perSecond)} |`),
  "",
  `Signed RMB round trip (two hops through the relay + 4 signature operations) vs raw one-hop echo, p50, plain ed25519 row: ${
    (rows[1].p50 / rows[0].p50).toFixed(1)
  }×. ` +
  `Goal p99 < 5 ms: ${
    rows.slice(1, 4).map((r) => `${r.p99 < 5 ? "met" : "MISSED"} (${fmt(r.p99)} ms)`).join(", ")
  }.`,
].join("\n");
console.log(md);
if (!values["no-write"]) writeSection("rmb", md);
