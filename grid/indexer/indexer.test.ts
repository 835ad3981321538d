// deno-lint-ignore-file no-explicit-any
// The dev grid's GraphQL indexer: the exact queries GridClient 2.9.2 sends (shared/spec EXPLORER.md
// §3.2) answered from a dev chain filled through signed extrinsics; a contract created or cancelled a
// moment ago is visible; BigInt travels as a string; bad requests get GraphQL errors; a restarted
// chain's indexer rebuilds the same entities from storage.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { type RunningChain, startChain } from "../chain/mod.ts";
import { populate, type Populated } from "../explorer/populate.ts";
import { type RunningIndexer, startIndexer } from "./mod.ts";

const t = suite("grid/indexer: tfchain indexer GraphQL over the dev chain");
let dir: string;
let c: RunningChain;
let ix: RunningIndexer;
let grid: Populated;

async function gql(query: string, variables?: unknown): Promise<any> {
  const r = await fetch(ix.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  assert.is(r.status, 200);
  return await r.json();
}

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "zt-explorer-indexer-"));
  c = await startChain({ stateDir: join(dir, "chain"), blockTimeMs: 0, log: () => {} });
  ix = await startIndexer({ chain: c.chain });
  grid = await populate(c, { nodes: 6, contracts: 30, farmIps: 2 });
  await ix.feed.caughtUp(c.chain.head.number);
});

t.after(async () => {
  await ix?.stop();
  await c?.stop();
});

t("connect probe and counts as GridClient asks them", async () => {
  assert.equal(await gql("query { __typename }", {}), { data: { __typename: "Query" } });
  const farms = await gql("query { items: farmsConnection(orderBy: farmID_ASC) { count: totalCount } }");
  assert.is(farms.data.items.count, 2);
  const nodes = await gql("query { items: nodesConnection(orderBy: nodeID_ASC) { count: totalCount } }");
  assert.is(nodes.data.items.count, 6);
  const inFarm2 = await gql(`query { items: nodesConnection(where: {farmID_eq: ${grid.farm2Id}}, orderBy: nodeID_ASC) { count: totalCount } }`);
  assert.is(inFarm2.data.items.count, 1); // every 4th node (index 3) is in farm 2
  const count = await gql(
    `query { items: nodeContractsConnection(where: {twinID_eq: ${grid.userTwinId}, state_in: [Created, GracePeriod]}, orderBy: twinID_ASC) { count: totalCount } }`,
  );
  assert.is(count.data.items.count, 30);
});

t("getNodeTwinId and getContracts (with the trailing comma and prefix match gc sends)", async () => {
  const node = grid.nodeIds[2];
  const tw = await gql("query getNodeTwinId($nodeId: Int!){ nodes(where: { nodeID_eq: $nodeId }) { twinID } }", { nodeId: node });
  assert.is(tw.data.nodes.length, 1);
  assert.type(tw.data.nodes[0].twinID, "number");
  const q = `query getContracts($nodeContractsCount: Int!){ nodeContracts(where: {twinID_eq: ${grid.userTwinId}, state_in: [Created, GracePeriod], AND: [{ deploymentData_contains: "\\"type\\":\\"vm\\"" },{ deploymentData_contains: "\\"projectName\\":\\"p1" }]}, limit: $nodeContractsCount){contractID deploymentData state createdAt nodeID numberOfPublicIPs} }`;
  const r = await gql(q, { nodeContractsCount: 30 });
  assert.ok(!r.errors, JSON.stringify(r.errors));
  // vm contracts are the odd ones (i % 2), project p1 = i % 10 == 1: i = 1, 11, 21
  assert.is(r.data.nodeContracts.length, 3);
  for (const x of r.data.nodeContracts) {
    assert.type(x.contractID, "string", "BigInt is a decimal string");
    assert.type(x.createdAt, "string");
    assert.type(x.nodeID, "number");
    assert.is(x.state, "Created");
    assert.is(JSON.parse(x.deploymentData).type, "vm");
  }
  const trailing = `query getContracts($nodeContractsCount: Int!){ nodeContracts(where: {twinID_eq: ${grid.userTwinId}, state_in: [Created, GracePeriod], AND: [{ deploymentData_contains: "\\"type\\":\\"zdb\\"" },]}, limit: $nodeContractsCount){contractID} }`;
  assert.is((await gql(trailing, { nodeContractsCount: 100 })).data.nodeContracts.length, 15);
  const three = await gql(
    `query getContracts($nameContractsCount: Int!, $nodeContractsCount: Int!, $rentContractsCount: Int!){ nameContracts(where: {twinID_eq: ${grid.userTwinId}, state_in: [Created]}, limit: $nameContractsCount){contractID createdAt name solutionProviderID state twinID} nodeContracts(where: {twinID_eq: ${grid.userTwinId}, state_in: [Created]}, limit: $nodeContractsCount){contractID deploymentData state createdAt nodeID numberOfPublicIPs} rentContracts(where: {twinID_eq: ${grid.userTwinId}, state_in: [Created]}, limit: $rentContractsCount){contractID createdAt nodeID solutionProviderID state twinID} }`,
    { nameContractsCount: 0, nodeContractsCount: 5, rentContractsCount: 0 },
  );
  assert.is(three.data.nodeContracts.length, 5);
  assert.equal(three.data.nameContracts, []);
});

t("getConsumption with a numeric BigInt variable; ordering, offset and connections paging", async () => {
  const id = grid.contractIds[4];
  const r = await gql(
    "query getConsumption($contractId: BigInt!){ contractBillReports(where: {contractID_eq: $contractId}, limit: 2, orderBy: timestamp_DESC){amountBilled timestamp discountReceived} nodeContracts(where: {contractID_eq: $contractId}){createdAt} nameContracts(where: {contractID_eq: $contractId}){createdAt} rentContracts(where: {contractID_eq: $contractId}){createdAt} }",
    { contractId: id },
  );
  assert.ok(!r.errors, JSON.stringify(r.errors));
  assert.equal(r.data.contractBillReports, []); // the dev chain does not bill
  assert.is(r.data.nodeContracts.length, 1);
  assert.ok(Number(r.data.nodeContracts[0].createdAt) > 1_600_000_000);
  const asString = await gql("query q($contractId: BigInt!){ nodeContracts(where: {contractID_eq: $contractId}){contractID} }", { contractId: String(id) });
  assert.is(asString.data.nodeContracts[0].contractID, String(id));
  const desc = await gql("query { nodes(orderBy: nodeID_DESC, offset: 1, limit: 2) { nodeID } }");
  const ids = [...grid.nodeIds].sort((a, b) => b - a);
  assert.equal(desc.data.nodes.map((n: any) => n.nodeID), ids.slice(1, 3));
  const page = await gql("query { nodesConnection(orderBy: nodeID_ASC, first: 4) { totalCount edges { cursor node { nodeID } } pageInfo { hasNextPage endCursor } } }");
  const conn = page.data.nodesConnection;
  assert.is(conn.totalCount, 6);
  assert.is(conn.edges.length, 4);
  assert.ok(conn.pageInfo.hasNextPage);
  const next = await gql(`query { nodesConnection(orderBy: nodeID_ASC, first: 4, after: "${conn.pageInfo.endCursor}") { edges { node { nodeID } } pageInfo { hasNextPage } } }`);
  assert.is(next.data.nodesConnection.edges.length, 2);
  assert.not.ok(next.data.nodesConnection.pageInfo.hasNextPage);
  const farm = await gql(`query { farms(where: {farmID_eq: ${grid.farm2Id}}) { name twinID publicIPs { ip gateway contractId } } }`);
  assert.is(farm.data.farms[0].publicIPs.length, 2);
  assert.is(farm.data.farms[0].publicIPs[0].contractId, "0");
});

t("a contract cancelled a moment ago reads Deleted; bad requests answer GraphQL errors", async () => {
  const { ApiPromise, WsProvider } = await import("@polkadot/api");
  const api = await ApiPromise.create({ provider: new WsProvider(c.url), noInitWarn: true });
  try {
    const id = grid.contractIds[0];
    await new Promise<void>((ok, fail) => {
      api.tx.smartContractModule.cancelContract(id).signAndSend(grid.user, (r: any) => {
        if (r.status.isInBlock) ok();
      }).catch(fail);
    });
  } finally {
    await api.disconnect();
  }
  const r = await gql(`query { nodeContracts(where: {contractID_eq: ${grid.contractIds[0]}}) { state } }`);
  assert.equal(r.data.nodeContracts, [{ state: "Deleted" }]);
  const bad = await gql("query { nodes(where: {nodeID_like: 1}) { nodeID } }");
  assert.ok(bad.errors?.length && /nodeID_like/.test(bad.errors[0].message));
  const notJson = await fetch(ix.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
  assert.is(notJson.status, 400);
  assert.ok((await notJson.json()).errors[0].message.includes("bad request"));
  const noQuery = await fetch(ix.url, { method: "POST", body: "{}" });
  assert.is(noQuery.status, 400);
  const wrongPath = await fetch(ix.url.replace("/graphql", "/other"), { method: "POST", body: "{}" });
  assert.is(wrongPath.status, 404);
});

t("after a restart the indexer rebuilds the same grid from the chain's storage", async () => {
  const before = await gql("query { nodes(orderBy: nodeID_ASC) { nodeID twinID farmID } farms(orderBy: farmID_ASC) { farmID name } nodeContracts(orderBy: contractID_ASC) { contractID state nodeID deploymentData } }");
  await ix.stop();
  await c.stop();
  c = await startChain({ stateDir: join(dir, "chain"), blockTimeMs: 0, log: () => {} });
  ix = await startIndexer({ chain: c.chain });
  const after = await gql("query { nodes(orderBy: nodeID_ASC) { nodeID twinID farmID } farms(orderBy: farmID_ASC) { farmID name } nodeContracts(orderBy: contractID_ASC) { contractID state nodeID deploymentData } }");
  assert.equal(after, before);
});

t.run();
