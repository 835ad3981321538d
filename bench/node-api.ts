// The node as a grid user sees it: zos.* calls through the relay to the node `npm start` runs (api
// router, registrar, provision engine behind it) vs a raw WebSocket echo in the same run; deployments
// accepted end to end per second; and `npm start` → node registered.
//   node_modules/deno/deno run -A bench/node-api.ts [--n 500] [--deploys 40] [--no-write]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WebSocket, WebSocketServer } from "ws";
import { type DevGrid, startDevGrid } from "../cli/commands/dev/grid.ts";
import { openSession, type UserSession } from "../cli/commands/client/session.ts";
import { challengeHash } from "../modules/lib/gridtypes/mod.ts";
import { createNodeContract, prepareDeployment, signDeployment, wireJson } from "../cli/commands/client/deploy.ts";
import { machineLine, percentile, writeSection } from "./lib/report.ts";

const { values } = parseArgs({
  options: { n: { type: "string", default: "500" }, deploys: { type: "string", default: "40" }, "no-write": { type: "boolean" } },
});
const N = Number(values.n);
const DEPLOYS = Number(values.deploys);
const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const ms = (x: number) => x.toFixed(2);

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function rawEcho(n: number, size: number): Promise<number[]> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws) => ws.on("message", (m) => ws.send(m)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise((r) => ws.once("open", r));
  const body = Buffer.alloc(size, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<void>((r) => {
      ws.once("message", () => r());
      ws.send(body);
    });
    out.push(performance.now() - t0);
  }
  ws.close();
  wss.close();
  await new Promise((r) => server.close(r));
  return out;
}

async function zosCalls(s: UserSession, command: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await s.peer.request(s.nodeTwinId, command, command === "zos.deployment.get" ? { contract_id: 1 } : null).catch(() => {});
    out.push(performance.now() - t0);
  }
  return out;
}

function doc(i: number): string {
  return JSON.stringify({ version: 0, metadata: `bench ${i}`, workloads: [{ version: 0, name: `d${i}`, type: "zmount", data: { size: 1073741824 } }] });
}

/** contract creation + signing + zos.deployment.deploy, one after the other (what `zos client deploy` does). */
async function deploySequential(s: UserSession, k: number, offset: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < k; i++) {
    const d = prepareDeployment(doc(offset + i), s.twinId);
    d.contract_id = BigInt(await createNodeContract(s, challengeHash(d)));
    await signDeployment(d, s);
    await s.peer.request(s.nodeTwinId, "zos.deployment.deploy", wireJson(d));
  }
  return (performance.now() - t0) / 1000;
}

/** contracts created first; then the node accepts deployments sent 8 at a time (RMB + checks + store). */
async function deployAcceptOnly(s: UserSession, k: number, offset: number): Promise<number> {
  const ready: unknown[] = [];
  for (let i = 0; i < k; i++) {
    const d = prepareDeployment(doc(offset + i), s.twinId);
    d.contract_id = BigInt(await createNodeContract(s, challengeHash(d)));
    await signDeployment(d, s);
    ready.push(wireJson(d));
  }
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < ready.length) await s.peer.request(s.nodeTwinId, "zos.deployment.deploy", ready[next++]);
  }));
  return (performance.now() - t0) / 1000;
}

function npmStart(stateDir: string, blockMs: string, extra: string[] = []): Promise<{ registered: number; ready: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(process.execPath.includes("deno") ? process.execPath : "node", process.execPath.includes("deno")
      ? ["run", "-A", "--no-lock", join(root, "cli/zos.ts"), "dev", "--json", "--state", stateDir, "--block-time", blockMs, ...extra]
      : [join(root, "bin/zos.js"), "dev", "--json", "--state", stateDir, "--block-time", blockMs, ...extra], { cwd: root, stdio: ["ignore", "pipe", "ignore"] });
    let buf = "";
    let registered = 0;
    c.stdout.on("data", (d) => {
      buf += d;
      for (const line of buf.split("\n").slice(0, -1)) {
        try {
          const e = JSON.parse(line);
          if (e.event === "up" && e.phase === "node") registered = performance.now() - t0;
          if (e.event === "ready") {
            const ready = performance.now() - t0;
            process.kill(c.pid!, "SIGINT");
            c.on("exit", () => resolve({ registered, ready }));
          }
        } catch { /* not ours */ }
      }
      buf = buf.slice(buf.lastIndexOf("\n") + 1);
    });
    setTimeout(() => reject(new Error("npm start did not get ready in 120 s")), 120_000).unref?.();
  });
}

const dir = mkdtempSync(join(tmpdir(), "zt-bench-node-"));
let grid: DevGrid | null = null;
let session: UserSession | null = null;
try {
  // `npm start` → node registered, as a process (cold = new state dir, warm = second start)
  const starts: string[] = [];
  for (const blockMs of ["1000", "0"]) {
    const sd = join(dir, `start-${blockMs}`);
    const cold = await npmStart(sd, blockMs, []);
    const warm = await npmStart(sd, blockMs, []);
    const label = `${blockMs === "0" ? "instant" : blockMs + " ms"} blocks, node under the kernel`;
    starts.push(`| ${label} | ${(cold.registered / 1000).toFixed(2)} s | ${(cold.ready / 1000).toFixed(2)} s | ${(warm.registered / 1000).toFixed(2)} s | ${(warm.ready / 1000).toFixed(2)} s |`);
  }

  grid = await startDevGrid({ stateDir: join(dir, "grid"), blockTimeMs: 0 });
  session = await openSession({ chainUrl: grid.chainUrl, relayUrl: grid.relayUrl, mnemonic: grid.user.mnemonic, keyType: "sr25519", nodeId: grid.node.nodeId });
  await zosCalls(session, "zos.system.version", 50); // warm-up
  const echo = stats(await rawEcho(N, 300));
  const version = stats(await zosCalls(session, "zos.system.version", N));
  const statsCall = stats(await zosCalls(session, "zos.statistics.get", N));
  const seqS = await deploySequential(session, DEPLOYS, 0);
  const acceptS = await deployAcceptOnly(session, DEPLOYS * 2, 10_000);
  const total = (await session.peer.request(session.nodeTwinId, "zos.deployment.list", null) as unknown[]).length;
  if (total !== DEPLOYS * 3) throw new Error(`expected ${DEPLOYS * 3} deployments stored, found ${total}`);

  const md = [
    "## Node API (zos.* over RMB) and `npm start`",
    "",
    `Command: \`node_modules/deno/deno run -A bench/node-api.ts --n ${N} --deploys ${DEPLOYS}\` — ${machineLine()}.`,
    "Everything on loopback (the node's drivers and modules are kernel processes): dev chain with instant blocks, our relay, the",
    "node under the kernel as `zos dev` runs it, and a user session (sr25519, e2e-encrypted bodies since both twins publish a pk).",
    "",
    "| round trip (sequential) | p50 | p99 | mean |",
    "|---|---|---|---|",
    `| raw WebSocket echo, 300 B (baseline, same run) | ${ms(echo.p50)} ms | ${ms(echo.p99)} ms | ${ms(echo.mean)} ms |`,
    `| zos.system.version through relay + node | ${ms(version.p50)} ms | ${ms(version.p99)} ms | ${ms(version.mean)} ms |`,
    `| zos.statistics.get through relay + node | ${ms(statsCall.p50)} ms | ${ms(statsCall.p99)} ms | ${ms(statsCall.mean)} ms |`,
    "",
    "| deployments accepted end to end | count | per second |",
    "|---|---|---|",
    `| create contract (1 tx) + sign + zos.deployment.deploy, one at a time (= \`zos client deploy\`) | ${DEPLOYS} | ${(DEPLOYS / seqS).toFixed(1)} |`,
    `| zos.deployment.deploy only (contract check on chain, signature check, durable store), 8 in flight | ${DEPLOYS * 2} | ${((DEPLOYS * 2) / acceptS).toFixed(1)} |`,
    "",
    "| `npm start` (`zos dev --json`) | cold: node registered | cold: ready (user funded, endpoints.json) | second start: registered | second start: ready |",
    "|---|---|---|---|---|",
    ...starts,
    "",
    "No goal was set for these numbers in the issue; they are recorded to see regressions. Each zos.* call costs two",
    "relay hops, envelope signing and verification on both ends (sr25519 verification dominates) and secp256k1",
    "ECDH + AES-GCM both ways.",
  ].join("\n");
  console.log(md);
  if (!values["no-write"]) writeSection("node-api", md);
} finally {
  await session?.close();
  await grid?.stop();
  rmSync(dir, { recursive: true, force: true });
}
