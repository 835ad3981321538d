// The node under the capability kernel (manifests/node.json, modules/node.ts): start → registered on the
// dev chain (cold: new seed; warm: same state dir again), and zos.* round trips from a grid user through the
// relay → rmb driver → api module (→ provision module / hostfacts driver) compared with the in-process
// api path measured by bench/node-api.ts.
//   node_modules/deno/deno run -A bench/node-kernel.ts [--n 300] [--no-write]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startChain } from "../grid/chain/mod.ts";
import { startRelay } from "../grid/relay/mod.ts";
import { ChainClient } from "../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../capabilities/rmb/signer.ts";
import { DevFaucet } from "../cli/commands/dev/faucet.ts";
import { ensureDevUser } from "../cli/commands/dev/user.ts";
import { openSession } from "../cli/commands/client/session.ts";
import { startNode } from "../modules/node.ts";
import { machineLine, percentile, writeSection } from "./lib/report.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "300" }, "no-write": { type: "boolean" } } });
const N = Number(values.n);
const dir = mkdtempSync(join(tmpdir(), "zt-bench-node-kernel-"));
const chain = await startChain({ blockTimeMs: 0, log: () => {} });
const relay = await startRelay({ chainUrl: chain.url });
const alice = chain.devAccounts.find((a) => a.name === "alice") ?? chain.devAccounts[0];
const opts = { stateDir: join(dir, "node"), chainUrl: chain.url, relayUrl: relay.url, farmId: 1, faucetMnemonic: alice.mnemonic };
const ms = (x: number) => x.toFixed(2);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
};

try {
  let t0 = performance.now();
  let node = await startNode(opts);
  const cold = performance.now() - t0;
  await node.stop();
  t0 = performance.now();
  node = await startNode(opts);
  const warm = performance.now() - t0;

  // resident memory of each process (the kernel's children), once the node is registered and idle
  const rss: string[] = [];
  let rssTotal = 0;
  for (const name of ["kv", "log", "clock", "identity", "hostfacts", "chain", "rmb", "provision", "registrar", "api"]) {
    const pid = node.kernel.pid(name);
    let kb = 0;
    try {
      kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch { /* exited */ }
    rssTotal += kb;
    rss.push(`${name} ${(kb / 1024).toFixed(0)}`);
  }
  const client = await ChainClient.connect({ urls: [chain.url] });
  const u = await ensureDevUser(join(dir, "user"), client, new DevFaucet(client, await signerFromMnemonic(alice.mnemonic, "sr25519")), relay.url);
  const s = await openSession({ chainUrl: chain.url, relayUrl: relay.url, mnemonic: u.mnemonic, keyType: "sr25519", nodeId: node.nodeId });
  const rows: string[] = [];
  for (const [command, payload] of [["zos.system.version", null], ["zos.statistics.get", null], ["zos.deployment.list", null]] as const) {
    for (let i = 0; i < 30; i++) await s.peer.request(s.nodeTwinId, command, payload);
    const xs: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await s.peer.request(s.nodeTwinId, command, payload);
      xs.push(performance.now() - t);
    }
    const st = stats(xs);
    rows.push(`| ${command} | ${ms(st.p50)} ms | ${ms(st.p99)} ms |`);
  }
  await s.close();
  await client.close();
  await node.stop();
  const md = [
    `${machineLine()}`,
    "",
    "Command: `node_modules/deno/deno run -A bench/node-kernel.ts --n " + N + "` (dev chain with instant blocks, local relay).",
    "",
    "| start → registered on chain | time |",
    "|---|---|",
    `| cold (new seed: fund, T&C, twin, node) | ${(cold / 1000).toFixed(2)} s |`,
    `| warm (same state dir: already registered) | ${(warm / 1000).toFixed(2)} s |`,
    "",
    `Resident memory of the node's 10 processes (MiB): ${rss.join(", ")} — total ${(rssTotal / 1024).toFixed(0)} MiB.`,
    "",
    `zos.* round trips from a grid user (our RmbPeer), through relay → rmb driver → api module (${N} sequential calls each):`,
    "",
    "| command | p50 | p99 |",
    "|---|---|---|",
    ...rows,
    "",
    "No speed goal was set for the kernel-hosted node; compare the in-process node in section `node-api`.",
  ].join("\n");
  console.log(md);
  if (!values["no-write"]) writeSection("node-kernel", md);
} finally {
  await relay.stop();
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
}
