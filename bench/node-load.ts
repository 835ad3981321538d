// A node under load (issue 14 item 5), the real one: startNode() under the kernel with loop-device pools (root),
// the dev chain, relay and activation service.
//   (a) --users N,M,…: that many grid users (each an account, a twin, its own RMB session) send one deployment each
//       at the same moment (a zmount of 1 MiB: a real vdisk on a pool); per step, the time until every one is "ok",
//       each user's send → ok latency, and the refusals. Steps stop where a step fails ("gives out").
//   (b) --stored K [--owners M]: M users (default 10) store K deployments between them (contracts made in batches
//       of 50), then the node is stopped and started again on the same state: time to registered-and-serving,
//       zos.deployment.list latency (one owner's K/M deployments) and zos.deployment.get before and after, the
//       list answer's size, and which node processes used the CPU after the restart.
//   node_modules/deno/deno run -A bench/node-load.ts [--users 10,50,100] [--stored 10000] [--owners 10] [--no-write]
//   [--all-steps] (run every users step even after one had failures)
// Busy machine: numbers taken while other engineers' suites ran on the same 2 cores; the load average is printed.
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import os from "node:os";
import process from "node:process";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { startTestNode } from "../tools/test-node.ts";
import { ensureDevUser } from "../cli/commands/dev/user.ts";
import { prepareDeployment, signDeployment, wireJson } from "../cli/commands/client/deploy.ts";
import type { UserSession } from "../cli/commands/client/session.ts";
import { submitTx } from "../cli/commands/client/chain_tx.ts";
import { challengeHash } from "../modules/lib/gridtypes/deployment.ts";
import { RmbPeer } from "../capabilities/rmb/peer.ts";
import { CachedTwins } from "../capabilities/rmb/twins.ts";
import { ChainTwins } from "../capabilities/rmb/chain-twins.ts";
import { e2eKeyFromSecret } from "../capabilities/rmb/e2e.ts";
import { miniSecretFromMnemonic, signerFromMnemonic } from "../capabilities/rmb/signer.ts";
import { startNode } from "../modules/node.ts";
import { machineLine, percentile, writeSection } from "./lib/report.ts";

const { values } = parseArgs({ options: { users: { type: "string", default: "10,50,100" }, stored: { type: "string", default: "10000" }, owners: { type: "string", default: "10" }, "no-write": { type: "boolean" }, "all-steps": { type: "boolean" } } });
const userSteps = values.users!.split(",").filter(Boolean).map(Number);
const STORED = Number(values.stored);
const OWNERS = Math.max(1, Number(values.owners));
// deno-lint-ignore no-explicit-any
type Any = any;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

const tn = await startTestNode({ prefix: "zt-faults-load-", officialRmb: false, node: { registerTimeoutMs: 300_000, disks: { count: 2, hdd: 1, sizeGiB: 40 } } });
const api = await ApiPromise.create({ provider: new WsProvider(tn.chain.url), noInitWarn: true });
const twins = new CachedTwins(ChainTwins.fromApi(api), { ttlMs: 600_000 });
const sessions: UserSession[] = [];

/** A user sharing this process's chain connection: account, twin, own RMB session to the node. */
async function user(i: number): Promise<UserSession> {
  const u = await ensureDevUser(join(tn.dir, "users", String(i)), tn.client, tn.faucet, tn.relay.url);
  const pair: KeyringPair = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri(u.mnemonic);
  const signer = await signerFromMnemonic(u.mnemonic, "sr25519");
  const peer = new RmbPeer({ relayUrls: [tn.relay.url], twinId: u.twinId, signer, twins, e2e: e2eKeyFromSecret(miniSecretFromMnemonic(u.mnemonic)), session: randomBytes(8).toString("hex") });
  await peer.start(60_000);
  const s: UserSession = { api, pair, signer, twinId: u.twinId, nodeId: tn.node.nodeId, nodeTwinId: tn.node.twinId, peer, close: () => peer.close() };
  sessions.push(s);
  return s;
}

function doc(name: string): string {
  return JSON.stringify({ version: 0, metadata: "", description: "", workloads: [{ version: 0, name, type: "zmount", data: { size: MiB }, metadata: "", description: "" }] });
}

/** Node contracts for `hashes`, in batches of 50 per extrinsic (the dev chain decodes at most 4 KiB of nested calls: 100 are 4.5 KiB); their ids in order. */
async function contracts(s: UserSession, hashes: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < hashes.length; i += 50) {
    const calls = hashes.slice(i, i + 50).map((h) => api.tx.smartContractModule.createNodeContract(s.nodeId, h, "", 0, null));
    let events;
    for (let a = 0; ; a++) {
      try {
        events = await submitTx(api, calls.length === 1 ? calls[0] : api.tx.utility.batch(calls), s.pair, 120_000);
        break;
      } catch (e) {
        // the dev chain validates a bounded amount of large extrinsics per second (several owners batch at once)
        if (a > 30 || !/retry in a second/.test((e as Error).message)) throw e;
        await sleep(500 + Math.random() * 1500);
      }
    }
    for (const e of events) if (e.section === "smartContractModule" && e.method === "ContractCreated") ids.push(Number((e.data[0] as Any).contractId ?? (e.data[0] as Any).contract_id));
  }
  if (ids.length !== hashes.length) throw new Error(`asked for ${hashes.length} contracts, the chain made ${ids.length}`);
  return ids;
}

async function signed(s: UserSession, names: string[]): Promise<{ contract: number; wire: unknown }[]> {
  const ds = names.map((n) => prepareDeployment(doc(n), s.twinId));
  const ids = await contracts(s, ds.map((d) => challengeHash(d)));
  const out = [];
  for (const [k, d] of ds.entries()) {
    d.contract_id = BigInt(ids[k]);
    await signDeployment(d, s);
    out.push({ contract: ids[k], wire: wireJson(d) });
  }
  return out;
}

const call = (s: UserSession, cmd: string, payload: unknown = "", timeoutMs = 60_000): Promise<Any> => s.peer.request(s.nodeTwinId, cmd, payload, { timeoutMs });

async function okAfter(s: UserSession, contract: number, t0: number, deadline: number): Promise<number> {
  for (;;) {
    const d = await call(s, "zos.deployment.get", { contract_id: contract }).catch(() => null);
    const st = d?.workloads?.[0]?.result?.state;
    if (st === "ok") return performance.now() - t0;
    if (st === "error") throw new Error(`error: ${d.workloads[0].result.message}`);
    if (Date.now() > deadline) throw new Error(`not ok after ${(deadline - t0) / 1000} s (state ${st ?? "none"})`);
    await sleep(250);
  }
}

/** CPU seconds (user + system) each node process has used so far, by kernel name. */
function cpuByProcess(kernel = tn.node.kernel): Map<string, number> {
  const out = new Map<string, number>();
  const tick = 100; // USER_HZ
  for (const name of Object.keys(kernel.states())) {
    const pid = kernel.pid(name);
    if (!pid) continue;
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      out.set(name, (Number(f[11]) + Number(f[12])) / tick);
    } catch { /* gone */ }
  }
  return out;
}

/** The node processes that used the most CPU between two readings: "api 12.3 s, provision 8.1 s, …". */
function topCpu(a: Map<string, number>, b: Map<string, number>, n = 5): string {
  return [...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]).slice(0, n)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", ");
}

/** The relay's counters (its /metrics), "name{labels}" → value. */
async function relayCounters(): Promise<Map<string, number>> {
  const text = await (await fetch(`${tn.relay.url.replace(/^ws/, "http")}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(rmb_relay_\w+_total(?:\{[^}]*\})?) (\d+(?:\.\d+)?)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** What changed between two readings of counters: "name +n, …" (only what moved). */
function moved(a: Map<string, number>, b: Map<string, number>): string {
  return [...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, v]) => v > 0).map(([k, v]) => `${k.replace(/^rmb_relay_|_total/g, "")} +${v}`).join(", ");
}

/** The users' RMB peers' counters summed: reconnects, and frames dropped (a reply after its request timed out is one). */
function clientStats(batch: UserSession[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of batch) {
    const st = (s.peer as RmbPeer).stats as unknown as Record<string, number>;
    for (const k of ["reconnects", "framesDropped"]) out.set(k, (out.get(k) ?? 0) + st[k]);
  }
  return out;
}

/** Messages with their numbers (twin ids, ms, uids) blanked, counted: the kinds of failure in a step. */
function tally(messages: string[]): string {
  const m = new Map<string, number>();
  for (const x of messages) {
    const k = x.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "<uid>").replace(/\d+/g, "N").slice(0, 200);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} × ${k}`).join("; ");
}

interface UserRow {
  users: number;
  allOkS: number;
  /** send → the node's answer to zos.deployment.deploy (stored and queued) */
  ans50: number;
  ans99: number;
  cpu: string;
  p50: number;
  p99: number;
  failures: number;
  firstError: string;
  /** every failure, by kind; the relay's, the users' peers' and the node's rmb driver's view of the step */
  errors: string;
  relay: string;
  clients: string;
  rmbLog: string;
}
const userRows: UserRow[] = [];
let warmupS = 0;
let usersGaveOut = "";
const md: string[] = [];
try {
  // the node's first deploy after a (re)start loads the signature code (sr25519, lazily: boot footprint) — seconds
  // on a busy machine; one deploy first, so the steps measure the node in steady state
  let made = 0;
  {
    const s = await user(made++);
    const [w] = await signed(s, ["warmup"]);
    const t = performance.now();
    await call(s, "zos.deployment.deploy", w.wire, 300_000);
    warmupS = (performance.now() - t) / 1000;
    console.log(`warm-up: the first deploy after the node started answered in ${warmupS.toFixed(1)} s`);
  }
  // (a) many users at once
  for (const n of userSteps) {
    while (sessions.length < n) await user(made++);
    const batch = sessions.slice(0, n);
    const docs = await Promise.all(batch.map((s) => signed(s, [`u${n}x${s.twinId}`]).then((x) => x[0])));
    const t0 = performance.now();
    const deadline = Date.now() + 600_000;
    const lat: number[] = [];
    const ans: number[] = [];
    let failures = 0;
    let firstError = "";
    const errors: string[] = [];
    const cpu0 = cpuByProcess();
    const relay0 = await relayCounters();
    const clients0 = clientStats(batch);
    const lines0 = tn.lines.length;
    await Promise.all(batch.map(async (s, k) => {
      let stage = "deploy";
      try {
        await call(s, "zos.deployment.deploy", docs[k].wire);
        ans.push(performance.now() - t0);
        stage = "until ok";
        lat.push(await okAfter(s, docs[k].contract, t0, deadline));
      } catch (e) {
        failures++;
        firstError ||= (e as Error).message;
        errors.push(`${stage}: ${(e as Error).message}`);
      }
    }));
    // after the step: replies that came after their request had timed out land in the users' framesDropped
    await sleep(5000);
    const relay = moved(relay0, await relayCounters());
    const clients = moved(clients0, clientStats(batch));
    const rmbLog = tally(tn.lines.slice(lines0).filter((l) => l.startsWith("rmb:")).map((l) => l.replace(/^(rmb: )+/, "")));
    lat.sort((a, b) => a - b);
    ans.sort((a, b) => a - b);
    const cpu = topCpu(cpu0, cpuByProcess());
    const row = { users: n, allOkS: (performance.now() - t0) / 1000, ans50: percentile(ans, 50), ans99: percentile(ans, 99), cpu, p50: percentile(lat, 50), p99: percentile(lat, 99), failures, firstError, errors: tally(errors), relay, clients, rmbLog };
    userRows.push(row);
    console.log(`${n} users at once: all ok after ${row.allOkS.toFixed(1)} s; send→answer p50 ${(row.ans50 / 1000).toFixed(1)} s p99 ${(row.ans99 / 1000).toFixed(1)} s; send→ok p50 ${(row.p50 / 1000).toFixed(1)} s p99 ${(row.p99 / 1000).toFixed(1)} s; ${failures} failed ${firstError}; node CPU: ${cpu}`);
    console.log(`  failures: ${row.errors || "none"}\n  relay: ${relay}\n  users' peers: ${clients || "nothing moved"}\n  node rmb driver said: ${rmbLog || "nothing"}`);
    if (failures) {
      usersGaveOut ||= `${n} users: ${failures} failed — ${firstError}`;
      if (!values["all-steps"]) break;
    }
  }
  if (userSteps.length) md.push(`### ${userSteps.join(", ")} users deploying at once

Each user its own account, twin and RMB session; one zmount (1 MiB vdisk on a pool) each, all sent at the same moment.

| users | all ok after | send → deploy answered p50 | p99 | send → ok p50 | p99 | failures | node CPU in the step (top 5) |
|---|---|---|---|---|---|---|---|
${userRows.map((r) => `| ${r.users} | ${r.allOkS.toFixed(1)} s | ${(r.ans50 / 1000).toFixed(1)} s | ${(r.ans99 / 1000).toFixed(1)} s | ${(r.p50 / 1000).toFixed(1)} s | ${(r.p99 / 1000).toFixed(1)} s | ${r.failures} | ${r.cpu} |`).join("\n")}

Before the steps, one deploy warms the node up: the first deploy after a start loads the signature code and was
answered after ${warmupS.toFixed(1)} s.

Where it gives out: ${usersGaveOut || `not reached up to ${userRows.at(-1)?.users ?? 0} users`}.`);

  // (b) K stored deployments: restart time and list latency
  if (STORED > 0) {
    // the owners: the users of part (a) first, more when needed
    while (sessions.length < OWNERS) await user(made++);
    const owners = sessions.slice(0, OWNERS);
    const s = owners[0];
    const mine: number[] = [];
    const t0 = performance.now();
    let sent = 0;
    // each owner stores its share in rounds of up to 500 (contracts in batches of 50), 8 deploys in flight each
    await Promise.all(owners.map(async (o, k) => {
      const share = Math.floor(STORED / OWNERS) + (k < STORED % OWNERS ? 1 : 0);
      for (let i = 0; i < share; i += 500) {
        const docs = await signed(o, Array.from({ length: Math.min(500, share - i) }, (_, j) => `s${k}x${i + j}`));
        if (o === s) mine.push(...docs.map((d) => d.contract));
        let next = 0;
        await Promise.all(Array.from({ length: 8 }, async () => {
          while (next < docs.length) {
            const d = docs[next++];
            for (let a = 0; ; a++) {
              try {
                await call(o, "zos.deployment.deploy", d.wire);
                break;
              } catch (e) {
                if (/already exists/.test((e as Error).message)) break; // an earlier try was stored, its answer lost
                if (a > 5) throw e;
                await sleep(1000);
              }
            }
            if (++sent % 1000 === 0) console.log(`${sent} deployments stored (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
          }
        }));
      }
    }));
    const storeS = (performance.now() - t0) / 1000;
    console.log(`${sent} deployments stored by ${OWNERS} owners in ${storeS.toFixed(0)} s`);
    const listLatency = async () => {
      const xs: number[] = [];
      let count = 0;
      let bytes = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const l = await call(s, "zos.deployment.list", "", 120_000);
        xs.push(performance.now() - t);
        count = l.length;
        bytes = JSON.stringify(l).length;
      }
      xs.sort((a, b) => a - b);
      const g: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        await call(s, "zos.deployment.get", { contract_id: mine[Math.floor(Math.random() * mine.length)] });
        g.push(performance.now() - t);
      }
      g.sort((a, b) => a - b);
      return { count, bytes, listMs: xs[2], getMs: g[10] };
    };
    const before = await listLatency();
    console.log(`list of ${before.count}: median ${before.listMs.toFixed(0)} ms; get median ${before.getMs.toFixed(0)} ms`);
    const state = join(tn.dir, "node");
    await tn.node.stop();
    const r0 = performance.now();
    // where the restart's time goes: when each process answered ready, and when the engine had read every deployment
    const marks: { what: string; s: number }[] = [];
    const onEvent = (e: { event: string; process?: string; line?: unknown }) => {
      const s = (performance.now() - r0) / 1000;
      if (e.event === "ready") marks.push({ what: `${e.process} ready`, s });
      if (e.event === "output" && e.process === "provision" && /engine open/.test(String(e.line))) marks.push({ what: "provision engine open (all deployments read)", s });
    };
    const again = await startNode({ stateDir: state, chainUrl: tn.chain.url, relayUrl: tn.relay.url, farmId: 1, activationUrl: tn.activation.url, registerTimeoutMs: 600_000, onEvent });
    const restartS = (performance.now() - r0) / 1000;
    const slowest = [...marks].sort((a, b) => b.s - a.s).slice(0, 6).map((m) => `${m.what} at ${m.s.toFixed(1)} s`).join(", ");
    console.log(`restart marks: ${marks.map((m) => `${m.what} ${m.s.toFixed(1)}`).join("; ")}`);
    let firstListS = 0;
    try {
      for (;;) {
        try {
          await call(s, "zos.deployment.list", "", 120_000);
          break;
        } catch { await sleep(500); }
      }
      firstListS = (performance.now() - r0) / 1000;
      const cpuA = cpuByProcess(again.kernel);
      const after = await listLatency();
      const cpuAfter = topCpu(cpuA, cpuByProcess(again.kernel));
      // then, once the node has settled: whatever it does after a start no longer competes
      await sleep(20_000);
      const settled = await listLatency();
      console.log(`restart: serving after ${restartS.toFixed(1)} s, first list answered at ${firstListS.toFixed(1)} s; list of ${after.count}: ${after.listMs.toFixed(0)} ms (node CPU meanwhile: ${cpuAfter}); settled ${settled.listMs.toFixed(0)} ms`);
      const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
      md.push(`### ${STORED.toLocaleString("en")} stored deployments: restart and \`zos.deployment.list\`

${OWNERS} users, ${STORED.toLocaleString("en")} zmount deployments between them (1 MiB vdisks on the pools), stored through the node in
${storeS.toFixed(0)} s (contracts in batches of 50, 8 deploys in flight per user). Then \`startNode()\` again on the same state.
One user's list holds its ${before.count} deployments.

| | before restart | right after restart | 20 s later |
|---|---|---|---|
| \`zos.deployment.list\` (median of 5, ${before.count} deployments, ${kb(before.bytes)} of JSON) | ${before.listMs.toFixed(0)} ms | ${after.listMs.toFixed(0)} ms | ${settled.listMs.toFixed(0)} ms |
| \`zos.deployment.get\` (median of 20) | ${before.getMs.toFixed(0)} ms | ${after.getMs.toFixed(0)} ms | ${settled.getMs.toFixed(0)} ms |
| node stop → registered and serving | — | ${restartS.toFixed(1)} s (first list answered at ${firstListS.toFixed(1)} s) | |

Node CPU while the lists right after the restart ran (top 5): ${cpuAfter}. The restart's last steps: ${slowest}.`);
    } finally {
      await again.stop();
    }
  }
} finally {
  for (const s of sessions) await s.close().catch(() => {});
  await api.disconnect().catch(() => {});
  await tn.stop();
}
const text = `## Node under load: users at once, stored deployments (issue 14 item 5)

\`node_modules/deno/deno run -A bench/node-load.ts --users ${values.users} --stored ${STORED} --owners ${OWNERS}\` (root: loop-device pools)
— ${machineLine()}, load ${os.loadavg()[0].toFixed(1)} at the end: **the machine was shared with other engineers' test
runs**; the users, the chain and the relay run in the bench's process on the same 2 cores as the node's processes.

${md.join("\n\n")}
`;
console.log(text);
if (!values["no-write"]) writeSection("node-load", text);
process.exit(0);
