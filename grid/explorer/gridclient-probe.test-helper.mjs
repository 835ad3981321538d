// Run by gridclient.test.ts under Node with endpoints.json's client_env, as a user's program would be:
// the official GridClient configured from endpoints.json only, exercising what it asks of the
// explorer, the indexer, the chain's TFKVStore and the KYC service. Prints one JSON line of results.
//   node gridclient-probe.test-helper.mjs ENDPOINTS_FILE all|kyc
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [file, mode = "all"] = process.argv.slice(2);
const ep = JSON.parse(readFileSync(file, "utf8"));
const { GridClient } = createRequire(import.meta.url)("@threefold/grid_client");
const out = {};
const errorOf = async (f) => {
  try {
    await f();
    return null;
  } catch (e) {
    return String(e?.message ?? e);
  }
};
const grid = new GridClient({
  mnemonic: ep.user_mnemonic,
  network: ep.network,
  substrateURL: ep.chain_url,
  relayURL: ep.relay_url,
  proxyURL: ep.proxy_url,
  graphqlURL: ep.graphql_url,
  activationURL: ep.activation_url,
  deploymentTimeoutMinutes: 1,
});
try {
  await grid.connect();
  out.connected = true;
  if (mode === "kyc") {
    // every deploy/update/delete asks KYC first (TwinDeploymentHandler.handle): a raw deployment
    // through grid.zos.deploy reaches that gate before any capacity or feature check
    const twin = grid.twinId;
    out.zosDeployError = await errorOf(() =>
      grid.zos.deploy({
        node_id: ep.node_id, version: 0, twin_id: twin, contract_id: 0, metadata: "", description: "kyc probe", expiration: 0,
        signature_requirement: { requests: [{ twin_id: twin, required: false, weight: 1 }], weight_required: 1, signatures: [], signature_style: "" },
        workloads: [],
      })
    );
    out.nameContractError = await errorOf(() => grid.contracts.create_name({ name: "kyc" + Date.now().toString(36) }));
  } else {
    const nodes = await grid.nodes.filter({ nodeId: ep.node_id });
    out.filtered = nodes.map((n) => ({ nodeId: n.nodeId, farmId: n.farmId, status: n.status, total: n.total_resources, used: n.used_resources, features: n.features }));
    out.filterMissingCru = (await grid.nodes.filter({ cru: 100000 })).length;
    out.nodesCount = await grid.capacity.getNodesCount({});
    out.freeResources = await grid.capacity.getNodeFreeResources({ nodeId: ep.node_id });
    out.farms = (await grid.capacity.filterFarms({})).map((f) => f.farmId);
    out.farmIdByName = await grid.capacity.getFarmIdFromFarmName({ farmName: "zt-dev-farm" });
    out.allNodes = (await grid.capacity.getAllNodes()).map((n) => n.nodeId);
    // a deployment's contract, as machines/zdbs create it: listMyContracts sees it a moment later
    const data = JSON.stringify({ version: 3, type: "zdb", name: "probe", projectName: "probe" });
    const c = await grid.contracts.create_node({ node_id: ep.node_id, hash: randomBytes(16).toString("hex"), data, public_ip: 0 });
    out.contractId = Number(c.contractId);
    const mine = await grid.contracts.listMyContracts();
    out.listed = mine.nodeContracts.filter((x) => +x.contractID === out.contractId).map((x) => ({ contractID: x.contractID, nodeID: x.nodeID, state: x.state, deploymentData: x.deploymentData }));
    out.overdue = await grid.contracts.getTotalOverdue?.().catch((e) => `error: ${e.message}`);
    await grid.contracts.cancel({ id: out.contractId });
    out.listedAfterCancel = (await grid.contracts.listMyContracts()).nodeContracts.filter((x) => +x.contractID === out.contractId).length;
    out.deletedListed = (await grid.contracts.listMyContracts({ state: ["Deleted"] })).nodeContracts.filter((x) => +x.contractID === out.contractId).length;
    // the chain's key-value store
    const key = "probe/" + randomBytes(4).toString("hex");
    await grid.kvstore.set({ key, value: "hello dev grid" });
    out.kvGet = await grid.kvstore.get({ key });
    out.kvListed = (await grid.kvstore.list()).includes(key);
    await grid.kvstore.remove({ key });
    out.kvAfterRemove = await grid.kvstore.get({ key });
  }
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await grid.disconnect().catch(() => {});
}
console.log("PROBE " + JSON.stringify(out));
process.exit(0);
