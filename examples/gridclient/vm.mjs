#!/usr/bin/env node
// A VM through the official @threefold/grid_client against the local grid of `npm start`, configured from
// .zos-dev/endpoints.json alone: grid.machines.deploy builds a Network (the NR), a DiskPrimitive (a zmount)
// and a VMPrimitive (the zmachine, from the dev hub's container guest), the node runs it; the script prints
// the VM's private IP, its network and contract. `--delete NAME` takes that deployment down again.
//
//   node examples/gridclient/vm.mjs [--endpoints FILE] [--name NAME] [--json]
//   node examples/gridclient/vm.mjs --delete NAME [--endpoints FILE] [--json]
//
// The guest (grid/hub/guests.ts) configures its network from the cloud-init seed and serves a page on :8080;
// it answers ping from inside its network resource (as root: `ip netns exec`/nsenter into the node's n-<netid>).
// It runs itself again with endpoints.json's client_env when that is not set yet (GridClient asks a KYC
// service at a fixed HTTPS host; client_env's preload and CA send that name to the local one).
// Exit codes: 0 done, 1 the deployment failed, 2 bad usage / no grid.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const USAGE = "usage: node examples/gridclient/vm.mjs [--endpoints FILE] [--name NAME | --delete NAME] [--json]";
const GUEST = "guests/debian-guest.fl";
let args;
try {
  args = parseArgs({
    options: { endpoints: { type: "string" }, name: { type: "string" }, delete: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
  }).values;
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
for (const n of [args.name, args.delete]) {
  if (n !== undefined && !/^[a-z][a-z0-9]{1,14}$/.test(n)) {
    console.error(`name "${n}": 2-15 of a-z 0-9, starting with a letter (grid_client's rule for deployment names)\n${USAGE}`);
    process.exit(2);
  }
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
const flist = ep.flists?.[GUEST];
if (!args.delete && !flist) {
  console.error(`${file} lists no flist "${GUEST}" (endpoints.json "flists"): restart \`npm start\` with this version of zos-ts`);
  process.exit(2);
}
if (Object.entries(ep.client_env).some(([k, v]) => process.env[k] !== v)) {
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: "inherit", env: { ...process.env, ...ep.client_env } });
  process.exit(r.status ?? 1);
}

// the package's ES module build does not load in Node (directory imports); its CommonJS build does
const { GridClient } = createRequire(import.meta.url)("@threefold/grid_client");
const say = (msg) => (args.json ? undefined : console.log(msg));
const grid = new GridClient({
  mnemonic: ep.user_mnemonic,
  network: ep.network ?? "dev",
  substrateURL: ep.chain_url,
  relayURL: ep.relay_url,
  proxyURL: ep.proxy_url,
  graphqlURL: ep.graphql_url,
  activationURL: ep.activation_url,
  deploymentTimeoutMinutes: 3,
});
let out;
let features = [];
let failed = false;
try {
  await grid.connect();
  if (args.delete) {
    await grid.machines.delete({ name: args.delete });
    out = { deleted: args.delete };
    say(`deleted ${args.delete}`);
  } else {
    const nodes = await grid.nodes.filter({ nodeId: ep.node_id });
    const node = nodes.find((n) => n.nodeId === ep.node_id);
    if (!node) throw new Error(`nodes.filter does not find node ${ep.node_id} (status up): is its uptime reported?`);
    features = node.features;
    if (!node.features.includes("zmachine")) throw new Error(`node ${node.nodeId} does not offer zmachine (features ${node.features.join(",")}): VMs need the node to run as root`);
    const name = args.name ?? `vm${Date.now().toString(36)}`;
    const network = `${name}net`;
    const r = await grid.machines.deploy({
      name,
      network: { name: network, ip_range: "10.249.0.0/16", addAccess: false },
      machines: [{
        name, node_id: node.nodeId, flist, entrypoint: "/sbin/init", env: {},
        cpu: 1, memory: 256, rootfs_size: 0, disks: [{ name: `${name}d`, size: 1, mountpoint: "/data" }],
        public_ip: false, public_ip6: false, planetary: false, mycelium: false,
      }],
    });
    const [vm] = await grid.machines.getObj(name);
    out = {
      name, network, twin_id: grid.twinId, node_id: node.nodeId,
      contract_id: Number(vm.contractId), contracts: r.contracts.created.map((c) => Number(c.contractId)),
      ip: vm.interfaces[0].ip, state: vm.status, message: vm.message, flist,
    };
    say(`${name}: ${out.state} on node ${out.node_id}, contract ${out.contract_id}, ip ${out.ip} on network ${network}`);
  }
} catch (e) {
  failed = true;
  out = { error: String(e?.message ?? e), features };
  if (!args.json) console.error(`error: ${out.error}`);
} finally {
  await grid.disconnect().catch(() => {});
}
if (args.json) console.log(JSON.stringify(out));
process.exit(failed ? 1 : 0);
