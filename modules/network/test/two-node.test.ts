// The "done when", as a test (root): `zos dev --nodes 2` (two nodes under the kernel, one farm,
// public namespaces on a private underlay), a network built with the official @threefold/grid_client
// (Znet, Peer, Network's getPublicKey and wgRoutingIP helpers) deployed on both nodes through the chain and
// RMB, both ok, a ping from NR A to NR B's gateway over WireGuard, zos.network.* answered by the nodes from
// real state; node 1 as the access node (public config from chain applied), a PublicIP workload taking a
// farm IP the contract reserved; contract cancel removes the NR and the IP's filter; then stop: no
// namespace, link or wireguard-go process left.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import process from "node:process";
import "reflect-metadata";
import { OfficialClient } from "../../../capabilities/rmb/official-sdk.test-helper.ts";
import { type DevGrid, startDevGrid } from "../../../cli/commands/dev/grid.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import { ChainClient } from "../../../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { networkId } from "../../lib/gridtypes/names.ts";
import { names } from "../nr.ts";
import { inNs, wgKeys, wireguardPids } from "./lab.ts";
import { rootOnly } from "../../../tools/test-env.ts";

const require = createRequire(import.meta.url);
// deno-lint-ignore no-explicit-any
type Any = any;
const gc: Any = require("@threefold/grid_client");

function znet(subnet: string, port: number, priv: string, peer: { subnet: string; pub: string; endpoint: string }): Any {
  const z = new gc.Znet();
  z.ip_range = "10.50.0.0/16";
  z.subnet = subnet;
  z.wireguard_private_key = priv;
  z.wireguard_listen_port = port;
  const p = new gc.Peer();
  p.subnet = peer.subnet;
  p.wireguard_public_key = peer.pub;
  p.allowed_ips = [peer.subnet, gc.Network.prototype.wgRoutingIP(peer.subnet)];
  p.endpoint = peer.endpoint;
  z.peers = [p];
  const w = new gc.Workload();
  w.version = 0;
  w.name = "gcnet";
  w.type = gc.WorkloadTypes.network;
  w.data = z;
  w.metadata = "";
  w.description = "";
  return w;
}

test("two nodes under npm start: a grid_client network on both, ping across, zos.network.*, nothing left after stop", async () => {
  if (!rootOnly("two nodes with namespaces")) return;
  const dir = tempDir("zt-network-2node-");
  let grid: DevGrid | null = null;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    grid = await startDevGrid({ stateDir: dir, blockTimeMs: 0, nodes: 2 });
    assert.is(grid.nodes.length, 2);
    assert.equal(grid.endpoints.nodes?.map((n) => n.public_ip), ["198.18.0.1", "198.18.0.2"]);
    // node 1 is the access node: its farmer's public config on chain, applied by its network module
    assert.equal(grid.accessNode && { ...grid.accessNode, farm_ips: grid.accessNode.farm_ips.length }, {
      node_id: grid.nodes[0].node_id, public_ipv4: "198.18.0.1/24", gw4: "198.18.0.254", public_ipv6: "2001:db8:18::1/64", gw6: "2001:db8:18::fe",
      domain: "node1.zos.test", farm_ips: 4,
    });
    assert.match(inNs(join(dir, "node", "netlink", "ns", "public"), ["ip", "-br", "addr", "show", "dev", "public"]), /198\.18\.0\.1\/24 2001:db8:18::1\/64/);
    // the host's test client reaches the access node's public addresses from the underlay's namespace
    inNs(grid.lanNetns!, ["ping", "-c", "1", "-W", "2", "198.18.0.1"]);
    inNs(grid.lanNetns!, ["ping", "-6", "-c", "1", "-W", "2", "2001:db8:18::1"]);
    const user = grid.user;
    const client = new OfficialClient(grid.chainUrl, grid.relayUrl, user.mnemonic, randomBytes(5).toString("hex"), "sr25519", 3);
    closers.push(() => client.disconnect());
    await client.connect();
    const rmb = new gc.RMB(client);
    // contracts through the project's chain client as the user: it also takes a "finalized" status as
    // included (tfchain_client waits for inBlock only and can miss it on a heavily loaded machine)
    const chainClient = await ChainClient.connect({ urls: [grid.chainUrl] });
    closers.push(() => chainClient.close());
    const userTx = chainClient.submitter(await signerFromMnemonic(user.mnemonic, "sr25519"));
    const createContract = async (nodeId: number, hash: string, publicIps: number): Promise<number> => {
      const inc = await userTx.submit("smartContractModule", "createNodeContract", nodeId, hash, "", publicIps, null);
      const ev = inc.events.find((e) => e.section === "smartContractModule" && e.method === "ContractCreated");
      if (!ev) throw new Error(`no ContractCreated event: ${JSON.stringify(inc.events.map((e) => e.method))}`);
      return Number(ev.data[0].contractId);
    };
    const call = (nodeTwin: number, cmd: string, payload: unknown = "") => rmb.request([nodeTwin], cmd, typeof payload === "string" ? payload : JSON.stringify(payload), 20, 1);

    const a = wgKeys(), b = wgKeys();
    const pubA = gc.Network.prototype.getPublicKey(a.priv), pubB = gc.Network.prototype.getPublicKey(b.priv);
    assert.is(pubA, a.pub, "grid_client derives the same public key");
    const plan = [
      { node: grid.nodes[0], wl: znet("10.50.1.0/24", 3401, a.priv, { subnet: "10.50.2.0/24", pub: pubB, endpoint: "198.18.0.2:3402" }) },
      { node: grid.nodes[1], wl: znet("10.50.2.0/24", 3402, b.priv, { subnet: "10.50.1.0/24", pub: pubA, endpoint: "198.18.0.1:3401" }) },
    ];
    const contracts: number[] = [];
    for (const { node, wl } of plan) {
      const d = new gc.DeploymentFactory({ twinId: user.twinId }).create([wl], 0, "", "", 0);
      d.contract_id = await createContract(node.node_id, d.challenge_hash(), 0);
      contracts.push(d.contract_id);
      await d.sign(user.twinId, user.mnemonic, "sr25519");
      await call(node.twin_id, "zos.deployment.deploy", JSON.stringify(d));
    }
    for (const [i, { node }] of plan.entries()) {
      let state = "";
      for (let k = 0; k < 120 && state !== "ok"; k++) {
        const got = await call(node.twin_id, "zos.deployment.get", { contract_id: contracts[i] });
        state = got.workloads[0].result?.state ?? "";
        if (state === "error") throw new Error(`node ${node.node_id}: ${JSON.stringify(got.workloads[0].result)}`);
        if (state !== "ok") await new Promise((r) => setTimeout(r, 250));
      }
      assert.is(state, "ok", `network ok on node ${node.node_id}`);
    }
    const nr = names(networkId(user.twinId, "gcnet")).ns;
    const pinA = join(dir, "node", "netlink", "ns", nr);
    let pinged = false;
    for (let i = 0; i < 30 && !pinged; i++) {
      try {
        inNs(pinA, ["ping", "-c", "1", "-W", "1", "10.50.2.1"]);
        pinged = true;
      } catch { await new Promise((r) => setTimeout(r, 200)); }
    }
    assert.ok(pinged, "from inside NR A, NR B's gateway answers over WireGuard");

    // zos.network.* from real state
    assert.equal(await call(grid.nodes[0].twin_id, "zos.network.list_wg_ports"), [3401]);
    assert.equal(await call(grid.nodes[1].twin_id, "zos.network.list_wg_ports"), [3402]);
    // the public config the access node applied from chain; node 2 has none (Zero-OS answers an error)
    assert.equal(await call(grid.nodes[0].twin_id, "zos.network.public_config_get"), {
      type: "macvlan", ipv4: "198.18.0.1/24", gw4: "198.18.0.254", ipv6: "2001:db8:18::1/64", gw6: "2001:db8:18::fe", domain: "node1.zos.test",
    });
    const pcErr = await call(grid.nodes[1].twin_id, "zos.network.public_config_get").then(() => "", (e: Error) => String(e.message ?? e));
    assert.match(pcErr, /no public config/);
    assert.is(await call(grid.nodes[0].twin_id, "zos.network.has_ipv6"), true);
    assert.is(await call(grid.nodes[1].twin_id, "zos.network.has_ipv6"), false);
    assert.ok("zos" in (await call(grid.nodes[0].twin_id, "zos.network.interfaces")));

    // a public IP on the access node: grid_client's PublicIP workload, the contract reserving one farm IP
    const pip = new gc.PublicIP();
    pip.v4 = true;
    pip.v6 = true;
    const ipw = new gc.Workload();
    Object.assign(ipw, { version: 0, name: "pubip", type: gc.WorkloadTypes.ip, data: pip, metadata: "", description: "" });
    const dIp = new gc.DeploymentFactory({ twinId: user.twinId }).create([ipw], 0, "", "", 0);
    dIp.contract_id = await createContract(grid.nodes[0].node_id, dIp.challenge_hash(), 1);
    await dIp.sign(user.twinId, user.mnemonic, "sr25519");
    await call(grid.nodes[0].twin_id, "zos.deployment.deploy", JSON.stringify(dIp));
    let ipResult: Any = null;
    for (let k = 0; k < 120 && ipResult?.state !== "ok"; k++) {
      const got = await call(grid.nodes[0].twin_id, "zos.deployment.get", { contract_id: dIp.contract_id });
      ipResult = got.workloads[0].result;
      if (ipResult?.state === "error") throw new Error(`ip workload: ${JSON.stringify(ipResult)}`);
      if (ipResult?.state !== "ok") await new Promise((r) => setTimeout(r, 250));
    }
    assert.is(ipResult.data.gateway, "198.18.0.254");
    assert.match(ipResult.data.ip, /^198\.18\.0\.20[0-3]\/24$/, "one of the farm's IPs the contract reserved");
    assert.match(ipResult.data.ip6, /^2001:db8:18:0:[0-9a-f:]+\/64$/, "the SLAAC address of the VM's tap in the node's /64");
    assert.equal(await call(grid.nodes[0].twin_id, "zos.network.list_public_ips"), [ipResult.data.ip, ipResult.data.ip6].map((x: string) => x.split("/")[0]));
    const hostA = join(dir, "node", "netlink", "ns", "host");
    assert.match(inNs(hostA, ["nft", "list", "table", "bridge", "zos-pubip"]), /chain r-/);

    // contracts cancelled on chain: node 2's NR goes (namespace, bridge, wireguard-go), the IP's filter goes
    await userTx.submit("smartContractModule", "cancelContract", contracts[1]);
    await userTx.submit("smartContractModule", "cancelContract", dIp.contract_id);
    const pinsB = join(dir, "node2", "netlink", "ns");
    let gone = false;
    for (let k = 0; k < 120 && !gone; k++) {
      gone = !existsSync(join(pinsB, nr)) && wireguardPids(join(dir, "node2", "netlink", "wg")).length === 0 &&
        !/chain r-/.test(inNs(hostA, ["nft", "list", "table", "bridge", "zos-pubip"]));
      if (!gone) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(gone, "the cancelled contracts' NR and public IP filter are removed");
    assert.not.match(inNs(join(pinsB, "host"), ["ip", "-br", "link"]), /^b-/m, "NR bridge removed");
    assert.equal(await call(grid.nodes[1].twin_id, "zos.network.list_wg_ports"), []);
  } finally {
    for (const c of closers.reverse()) await c().catch(() => {});
    await grid?.stop();
  }
  for (const d of ["node", "node2"]) {
    const pins = join(dir, d, "netlink", "ns");
    assert.equal(existsSync(pins) ? readdirSync(pins) : [], [], `${d}: no namespace left`);
    assert.equal(wireguardPids(join(dir, d, "netlink", "wg")), [], `${d}: no wireguard-go left`);
  }
  assert.equal(readdirSync(join(dir, "lan", "ns")), [], "underlay removed");
  rmSync(dir, { recursive: true, force: true }); // (nothing mounted is left in it: asserted above)
});

test.run();
