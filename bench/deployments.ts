// Deployments accepted per second on one core: parse + validate + hash + verify signature + persist
// (FileStore, fdatasync'ed) through Engine.deploy — everything a node does before answering
// zos.deployment.deploy. Goal: ≥ 2,000/s. Also reports each stage alone and the sequential case
// (one deploy in flight, so every deploy pays its own fsync).
//
// usage: taskset -c 0 node_modules/deno/deno run -A bench/deployments.ts [--n 4000] [--concurrency 64] [--no-write]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { challengeHash, parseDeployment, validateDeployment, verifyDeployment } from "../modules/lib/gridtypes/mod.ts";
import { Engine } from "../modules/provision/engine.ts";
import { FileStore } from "../modules/provision/file-store.ts";
import { encodeRecord } from "../modules/provision/records.ts";
import { ChainContracts, fixedCapacity, keysOf, signedDoc, twinFromSeed, wl } from "../modules/provision/test/fixtures.ts";
import { machineLine, writeSection } from "./lib/report.ts";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";

const { values } = parseArgs({
  options: { n: { type: "string", default: "4000" }, concurrency: { type: "string", default: "64" }, "no-write": { type: "boolean" } },
});
const N = Number(values.n);
const C = Number(values.concurrency);

const owner = twinFromSeed(42, 7);

/** A typical VM deployment as the grid client sends it: network, disk, public ip, VM. */
function vmDoc(i: number): string {
  return signedDoc(owner, i, [
    wl(`net${i}`, "network", { ip_range: "10.20.0.0/16", subnet: "10.20.2.0/24", wireguard_private_key: "CGKI1m+OXaB429P1KOiDlHnc6gJmDG6t7ODQR3c4N6Q=", wireguard_listen_port: 3090, peers: [{ subnet: "10.20.3.0/24", wireguard_public_key: "eFNHo0cuHMfAy8Ql+ZcnB4Xy0PoBx/XUqSUfvP+ybhw=", allowed_ips: ["10.20.3.0/24", "100.64.20.3/32"], endpoint: "185.206.122.31:3090" }] }),
    wl("disk", "zmount", { size: 16106127360 }),
    wl("pubip", "ip", { v4: true, v6: true }),
    wl("vm", "zmachine", {
      flist: "https://hub.grid.tf/tf-official-apps/base:latest.flist",
      network: { public_ip: "pubip", planetary: true, interfaces: [{ network: `net${i}`, ip: "10.20.2.5" }], mycelium: { network: `net${i}`, hex_seed: "0a1b2c3d4e5f" } },
      size: 21474836480,
      compute_capacity: { cpu: 2, memory: 2147483648 },
      mounts: [{ name: "disk", mountpoint: "/data" }],
      entrypoint: "/sbin/zinit init",
      env: { SSH_KEY: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0 user@host" },
      corex: false,
      gpu: [],
    }),
  ], { metadata: "{\"type\":\"vm\",\"name\":\"bench\"}" });
}

function rate(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

function timeIt(count: number, f: (i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) f(i);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  console.log(`generating ${N} signed deployments…`);
  const docs = Array.from({ length: N }, (_, i) => vmDoc(i + 1));
  const bytes = docs.map((d) => new TextEncoder().encode(d));
  const keys = keysOf([owner]);

  // stages alone (warm)
  const parsed = docs.map((d) => parseDeployment(d));
  const tParse = timeIt(N, (i) => parseDeployment(bytes[i]));
  const tValidate = timeIt(N, (i) => validateDeployment(parsed[i]));
  const tHash = timeIt(N, (i) => challengeHash(parsed[i]));
  let t0 = performance.now();
  for (let i = 0; i < N; i++) if (!(await verifyDeployment(parsed[i], keys)).ok) throw new Error("bench doc does not verify");
  const tVerify = performance.now() - t0;
  const recs = parsed.map((d) => ({ deployment: d, hash: "", created: 0, applied: {}, changes: d.workloads }));
  const tEncode = timeIt(N, (i) => encodeRecord(recs[i]));

  // sr25519 signature check alone
  await cryptoWaitReady();
  const sr = new Keyring({ type: "sr25519" }).addFromUri("//Bench");
  const srDocs = parsed.slice(0, Math.min(N, 500)).map((d) => {
    const o = JSON.parse(docs[Number(d.contract_id) - 1]);
    const h = challengeHash(d);
    o.signature_requirement.signatures = [{ twin_id: 42, signature: Buffer.from(sr.sign(Buffer.from(h, "hex"))).toString("hex"), signature_type: "sr25519" }];
    return parseDeployment(JSON.stringify(o));
  });
  const srKeys = { getKey: () => sr.publicKey };
  t0 = performance.now();
  for (const d of srDocs) if (!(await verifyDeployment(d, srKeys)).ok) throw new Error("sr25519 bench doc does not verify");
  const tSr = performance.now() - t0;

  // the whole accept path through the engine onto a FileStore
  const dir = mkdtempSync(join(tmpdir(), "zt-bench-deploy-"));
  const results: { label: string; count: number; ms: number }[] = [];
  let spread = "";
  try {
    const open = async (name: string) => {
      const store = FileStore.open(join(dir, name));
      const engine = await Engine.open({ store, keys, contracts: new ChainContracts(), managers: new Map(), capacity: fixedCapacity(256) });
      return { store, engine };
    };
    // three runs on fresh stores: this machine is shared, so report the median and the spread
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const { store, engine } = await open(`concurrent${r}`);
      let next = 0;
      t0 = performance.now();
      await Promise.all(Array.from({ length: C }, async () => {
        while (next < N) await engine.deploy(bytes[next++]);
      }));
      runs.push(performance.now() - t0);
      await store.close();
    }
    runs.sort((a, b) => a - b);
    spread = `runs: ${runs.map((ms) => rate(N, ms)).reverse().join(", ")}/s`;
    results.push({ label: `Engine.deploy, ${C} in flight (group commit), median of 3`, count: N, ms: runs[1] });
    {
      const { store, engine } = await open("sequential");
      const n = Math.min(N, 1000);
      t0 = performance.now();
      for (let i = 0; i < n; i++) await engine.deploy(bytes[i]);
      results.push({ label: "Engine.deploy, 1 in flight (one fdatasync each)", count: n, ms: performance.now() - t0 });
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const goal = 2000;
  const main = results[0];
  const mainRate = rate(main.count, main.ms);
  const rows = [
    ["parse (bytes → model, Go JSON rules)", rate(N, tParse)],
    ["validate (node rules)", rate(N, tValidate)],
    ["challenge hash (MD5)", rate(N, tHash)],
    ["verify, ed25519 (node:crypto)", rate(N, tVerify)],
    ["verify, sr25519 (@polkadot/util-crypto WASM)", rate(srDocs.length, tSr)],
    ["encode store record", rate(N, tEncode)],
    ...results.map((r) => [`**${r.label}**`, rate(r.count, r.ms)]),
  ] as [string, number][];
  const md = [
    "## Deployments accepted per second",
    "",
    `Machine: ${machineLine()}; load average ${loadavg()[0].toFixed(1)} when it ran (the machine is shared: other engineers' suites run at the same time). Reproduce: \`taskset -c 0 node_modules/deno/deno run -A bench/deployments.ts --n ${N} --concurrency ${C}\`.`,
    "",
    "One core (pinned). Each deployment is a typical VM deployment as the grid client sends it (network with a peer, zmount, ip, zmachine",
    "with mycelium, mount and env; ~1.9 kB of JSON) signed with ed25519. \"Accepted\" = `Engine.deploy` resolved: parsed, validated,",
    "challenge-hashed, signature verified against the twin key, written to the FileStore log and fdatasync'ed, job queued.",
    "Processing the queue (chain check, managers) is not part of it, as on zos where the RMB call returns before.",
    "Stage rows run each step alone over all documents; `validate` includes decoding each workload's data, which the hash",
    "then reuses (as in the accept path).",
    "",
    "| stage | per second |",
    "|---|---:|",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    "",
    `Goal ≥ ${goal}/s accepted: ${mainRate >= goal ? "met" : "**missed**"} (${mainRate}/s with ${C} in flight; ${spread}).` +
      ` With one request at a time every deploy waits for its own fdatasync, which bounds that row by the disk's sync latency.`,
    `sr25519 verification (WASM schnorrkel) costs far more than ed25519; deployments signed with sr25519 are bounded by that row.`,
  ].join("\n");
  console.log(md);
  if (!values["no-write"]) writeSection("deployments", md);
}

await main();
