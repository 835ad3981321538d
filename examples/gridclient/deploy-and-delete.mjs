#!/usr/bin/env node
// The official @threefold/grid_client against the local grid of `npm start`, configured from
// .zos-dev/endpoints.json alone: connect, find the node with nodes.filter, deploy each workload type
// the node offers through the high-level modules, see it in contracts.listMyContracts, delete it.
//
//   node examples/gridclient/deploy-and-delete.mjs [--endpoints FILE] [--types zdb,vm,...] [--json]
//
// It runs itself again with endpoints.json's client_env when that is not set yet (GridClient asks a
// KYC service at a fixed HTTPS host; client_env's preload and CA send that name to the local one).
// Exit codes: 0 every requested type deployed and deleted, 1 one failed, 2 bad usage / no grid.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const USAGE = "usage: node examples/gridclient/deploy-and-delete.mjs [--endpoints FILE] [--types zdb,vm,gateway] [--json]";
let args;
try {
  args = parseArgs({
    options: { endpoints: { type: "string" }, types: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
  }).values;
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const file = resolve(args.endpoints ?? ".zos-dev/endpoints.json");
let ep;
try {
  ep = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  console.error(`cannot read ${file} (${e.message}): start the local grid with \`npm start\` first`);
  process.exit(2);
}
for (const k of ["chain_url", "relay_url", "proxy_url", "graphql_url", "activation_url", "user_mnemonic", "node_id", "client_env"]) {
  if (ep[k] === undefined) {
    console.error(`${file} has no "${k}": restart \`npm start\` with this version of zos-ts`);
    process.exit(2);
  }
}
// 1. the environment endpoints.json asks for (set before Node starts: NODE_EXTRA_CA_CERTS is read once)
if (Object.entries(ep.client_env).some(([k, v]) => process.env[k] !== v)) {
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: "inherit", env: { ...process.env, ...ep.client_env } });
  process.exit(r.status ?? 1);
}

// the package's ES module build does not load in Node (directory imports); its CommonJS build does
const { GridClient } = createRequire(import.meta.url)("@threefold/grid_client");
const out = { node: null, steps: [] };
const say = (msg) => (args.json ? undefined : console.log(msg));
const step = (type, ok, detail) => {
  out.steps.push({ type, ok, ...detail });
  say(`${ok ? "ok  " : "FAIL"} ${type}${detail.error ? `: ${detail.error}` : detail.note ? ` (${detail.note})` : ""}`);
};

// 2. the client, from endpoints.json only
const grid = new GridClient({
  mnemonic: ep.user_mnemonic,
  network: ep.network ?? "dev",
  substrateURL: ep.chain_url,
  relayURL: ep.relay_url,
  proxyURL: ep.proxy_url,
  graphqlURL: ep.graphql_url,
  activationURL: ep.activation_url,
  deploymentTimeoutMinutes: 2,
});
let failed = false;
try {
  await grid.connect();
  const nodes = await grid.nodes.filter({ nodeId: ep.node_id });
  const node = nodes.find((n) => n.nodeId === ep.node_id);
  if (!node) throw new Error(`nodes.filter does not find node ${ep.node_id} (status up): is its uptime reported?`);
  out.node = { nodeId: node.nodeId, features: node.features, domain: node.publicConfig?.domain ?? "", total: node.total_resources, used: node.used_resources };
  say(`node ${node.nodeId}: ${node.total_resources.cru} cores, ${(node.total_resources.mru / 2 ** 30).toFixed(1)} GiB RAM, features ${node.features.join(",") || "(none)"}`);

  // 3. every type the node runs (or the ones asked for)
  const offered = {
    zdb: node.features.includes("zdb"),
    vm: node.features.includes("zmachine") && node.features.includes("network"),
    gateway: node.features.includes("gateway-name-proxy") && out.node.domain !== "",
  };
  const types = args.types ? args.types.split(",") : Object.keys(offered).filter((t) => offered[t]);
  const name = (p) => `${p}${Date.now().toString(36)}`;
  const seen = async (contractId) => {
    const mine = await grid.contracts.listMyContracts();
    return mine.nodeContracts.some((c) => +c.contractID === +contractId) || mine.nameContracts.some((c) => +c.contractID === +contractId);
  };
  for (const type of types) {
    const started = Date.now();
    try {
      let contractId;
      let remove;
      if (type === "zdb") {
        const n = name("zdb");
        const r = await grid.zdbs.deploy({ name: n, zdbs: [{ name: n, node_id: node.nodeId, mode: "user", disk_size: 1, publicNamespace: false, password: "dev-password" }] });
        contractId = r.contracts.created[0].contractId;
        remove = () => grid.zdbs.delete({ name: n });
      } else if (type === "vm") {
        const n = name("vm");
        const r = await grid.machines.deploy({
          name: n,
          network: { name: name("net"), ip_range: "10.249.0.0/16", addAccess: false },
          machines: [{ name: n, node_id: node.nodeId, disks: [{ name: name("d"), size: 1, mountpoint: "/data" }], public_ip: false, public_ip6: false, planetary: false, mycelium: false, cpu: 1, memory: 256, rootfs_size: 0, flist: ep.flists?.["guests/debian-guest.fl"] ?? "https://hub.grid.tf/tf-official-apps/base:latest.flist", entrypoint: "/sbin/init", env: {} }],
        });
        contractId = r.contracts.created[0].contractId;
        remove = () => grid.machines.delete({ name: n });
      } else if (type === "gateway") {
        const n = name("gw");
        const r = await grid.gateway.deploy_name({ name: n, node_id: node.nodeId, tls_passthrough: false, backends: ["http://198.18.0.250:8080"] });
        contractId = r.contracts.created.find((c) => c.contractType?.nodeContract)?.contractId ?? r.contracts.created[0].contractId;
        remove = () => grid.gateway.delete_name({ name: n });
      } else throw new Error(`unknown type "${type}" (zdb, vm, gateway)`);
      if (!(await seen(contractId))) throw new Error(`contract ${contractId} is not in contracts.listMyContracts()`);
      await remove();
      if (await seen(contractId)) throw new Error(`contract ${contractId} is still listed after delete`);
      step(type, true, { contractId: Number(contractId), ms: Date.now() - started });
    } catch (e) {
      failed = true;
      step(type, false, { error: String(e?.message ?? e).split("\n")[0], ms: Date.now() - started });
    }
  }
  if (!types.length) say("the node offers none of zdb, vm (zmachine + network), gateway yet: nothing deployed");
} catch (e) {
  failed = true;
  out.error = String(e?.message ?? e);
  if (!args.json) console.error(`error: ${out.error}`);
} finally {
  await grid.disconnect().catch(() => {});
}
if (args.json) console.log(JSON.stringify(out));
process.exit(failed ? 1 : 0);
