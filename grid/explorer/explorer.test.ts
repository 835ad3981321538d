// deno-lint-ignore-file no-explicit-any
// The dev grid's explorer (grid proxy REST API) over a dev chain filled through signed extrinsics:
// the proxy's JSON shapes (numbers, snake_case contract keys, features never null), filters as
// GridClient sends them, pagination and count headers, sort keys, and the proxy's error answers.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type RunningChain, startChain } from "../chain/mod.ts";
import { type RunningExplorer, startExplorer } from "./mod.ts";
import { populate, type Populated } from "./populate.ts";

const t = suite("grid/explorer: grid proxy REST API over the dev chain");
let c: RunningChain;
let ex: RunningExplorer;
let grid: Populated;
const GiB = 1024 ** 3;

async function get(path: string): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const r = await fetch(ex.url + path);
  const text = await r.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch { /* plain text (mux 404) */ }
  return { status: r.status, body, headers: r.headers, text };
}

t.before(async () => {
  c = await startChain({ blockTimeMs: 0, log: () => {} });
  // nodes answer RMB through a test double here (no node processes in this suite); the real RMB
  // path is covered by gridclient.test.ts against `npm start`'s node
  ex = await startExplorer({
    chain: c.chain,
    ask: (_twin, cmd) => {
      if (cmd === "zos.system.node_features_get") return Promise.resolve(["zmount", "zdb", "volume", "network", "zmachine", "wireguard"]);
      if (cmd === "zos.system.diagnostics") return Promise.resolve({ healthy: true });
      if (cmd === "zos.statistics.get") return Promise.resolve({ total: { cru: 4 }, used: { cru: 0 } });
      return Promise.reject(new Error("not supported"));
    },
  });
  grid = await populate(c, { nodes: 8, contracts: 24, farmIps: 3 });
  await ex.feed.caughtUp(c.chain.head.number);
  for (const id of grid.nodeIds) await ex.info.refresh(id);
});

t.after(async () => {
  await ex?.stop();
  await c?.stop();
});

t("/version, /ping, CORS and content type", async () => {
  const v = await get("/version");
  assert.is(v.status, 200);
  assert.type(v.body.version, "string");
  assert.equal((await get("/ping")).body, { ping: "pong" });
  assert.is(v.headers.get("access-control-allow-origin"), "*");
  assert.is(v.headers.get("content-type"), "application/json");
});

t("/nodes as GridClient filters: shapes, capacity, features, sort by free_cru desc", async () => {
  const r = await get("/nodes?status=up&sort_by=free_cru&sort_order=desc&features=");
  assert.is(r.status, 200);
  assert.is(r.body.length, 8);
  const n = r.body[0];
  for (const k of ["nodeId", "farmId", "twinId", "uptime", "created", "updatedAt", "rentContractId", "rentedByTwinId", "extraFee", "farm_free_ips"]) {
    assert.type(n[k], "number", k);
  }
  for (const k of ["dedicated", "inDedicatedFarm", "rented", "rentable", "healthy"]) assert.type(n[k], "boolean", k);
  assert.equal(Object.keys(n.publicConfig).sort(), ["domain", "gw4", "gw6", "ipv4", "ipv6"]);
  assert.ok(Array.isArray(n.features) && n.features.includes("zdb"), "features from the node over RMB");
  assert.is(n.status, "up");
  assert.is(n.healthy, true);
  // free_cru descending: 16-core nodes first
  const free = r.body.map((x: any) => x.total_resources.cru - x.used_resources.cru);
  assert.equal(free, [...free].sort((a: number, b: number) => b - a));
  // used = contracts' reported resources (none yet) + the proxy's reserve
  assert.is(n.used_resources.sru, 20 * GiB);
  assert.is(n.used_resources.mru, Math.max(Math.floor(n.total_resources.mru / 10), 2 * GiB));
  assert.is(n.dedicated, false, "a node with active contracts in a shared farm is not dedicated");
  // what filterNodes({cru: 12, mru: 20, sru: 300, farmId: 1, features: ["zmachine"]}) sends
  const f = await get(`/nodes?total_cru=12&free_mru=${20 * GiB}&free_sru=${300 * GiB}&farm_ids=1&status=up&sort_by=free_cru&sort_order=desc&features=zmachine`);
  assert.ok(f.body.length > 0);
  for (const x of f.body) {
    assert.ok(x.total_resources.cru >= 12 && x.farmId === 1);
    assert.ok(x.total_resources.mru - x.used_resources.mru >= 20 * GiB);
  }
  assert.equal((await get("/nodes?features=gateway-name-proxy")).body, []);
  assert.is((await get("/nodes?status=down")).body.length, 0);
  assert.is((await get("/nodes?country=egypt")).body.length, 4);
  assert.is((await get(`/nodes?node_id=${grid.nodeIds[5]}`)).body[0].nodeId, grid.nodeIds[5]);
  assert.is((await get(`/nodes?farm_ids=${grid.farm2Id}`)).body.length, 2);
  const avail = await get(`/nodes?available_for=${grid.userTwinId}&free_ips=1`);
  assert.ok(avail.body.every((x: any) => x.farmId === grid.farm2Id));
});

t("pagination: page/size, ret_count headers, empty page past the end, randomize", async () => {
  const p1 = await get("/nodes?page=1&size=3&ret_count=true");
  assert.is(p1.body.length, 3);
  assert.is(p1.headers.get("count"), "8");
  assert.is(p1.headers.get("pages"), "3");
  assert.is(p1.headers.get("size"), "3");
  const p3 = await get("/nodes?page=3&size=3");
  assert.is(p3.body.length, 2);
  assert.equal((await get("/nodes?page=4&size=3")).body, []);
  assert.is(p1.body[0].nodeId < p1.body[1].nodeId, true, "node_id ascending by default");
  assert.is((await get("/nodes")).headers.get("count"), null, "count only with ret_count=true");
  assert.is((await get("/nodes?randomize=true")).body.length, 8);
});

t("/nodes/{id} nests capacity; 404s; gateways need a domain", async () => {
  const id = grid.nodeIds[0];
  const r = await get(`/nodes/${id}`);
  assert.is(r.status, 200);
  assert.ok(r.body.capacity.total_resources.cru > 0);
  assert.is(r.body.total_resources, undefined);
  const missing = await get("/nodes/99999");
  assert.is(missing.status, 404);
  assert.equal(missing.body, { error: "node not found" });
  const notDigits = await get("/nodes/abc");
  assert.is(notDigits.status, 404);
  assert.is(notDigits.text, "404 page not found\n");
  assert.is((await get(`/gateways/${id}`)).status, 404);
  assert.equal((await get("/gateways")).body, []);
  assert.equal((await get(`/nodes/${id}/status`)).body, { status: "up" });
  assert.equal((await get(`/nodes/${id}/statistics`)).body, { total: { cru: 4 }, used: { cru: 0 } });
});

t("400s: unknown key (farm_id on /nodes), bad values, bad sort, unknown feature", async () => {
  const cases = [
    ["/nodes?farm_id=1", /invalid path "farm_id"/],
    ["/nodes?total_cru=-1", /total_cru/],
    ["/nodes?ipv4=yes", /ipv4/],
    ["/nodes?sort_by=name", /"name" is not a sort field for Node type/],
    ["/nodes?sort_order=up", /sort order/],
    ["/nodes?features=warp-drive", /invalid feature "warp-drive"/],
    ["/contracts?type=lease", /invalid contract type/],
    ["/farms?node_features=warp", /invalid feature/],
  ] as const;
  for (const [path, re] of cases) {
    const r = await get(path);
    assert.is(r.status, 400, path);
    assert.match(r.body.error, re, path);
  }
});

t("/farms with node filters, public IPs and the farm_name alias", async () => {
  const all = await get("/farms?node_status=up&node_features=");
  assert.equal(all.body.map((f: any) => f.farmId), [1, grid.farm2Id]);
  const f2 = all.body[1];
  assert.equal(Object.keys(f2).sort(), ["certificationType", "dedicated", "farmId", "name", "pricingPolicyId", "publicIps", "stellarAddress", "twinId"]);
  assert.is(f2.publicIps.length, 3);
  assert.equal(Object.keys(f2.publicIps[0]).sort(), ["contract_id", "gateway", "id", "ip"]);
  assert.is(f2.publicIps[0].contract_id, 0);
  assert.equal((await get("/farms?free_ips=1")).body.map((f: any) => f.farmId), [grid.farm2Id]);
  assert.equal((await get(`/farms?farm_name=${encodeURIComponent(f2.name.toUpperCase())}`)).body.map((f: any) => f.farmId), [grid.farm2Id]);
  assert.equal((await get("/farms?node_total_cru=12")).body.length, 2);
  assert.equal((await get("/farms?node_total_cru=16")).body.map((f: any) => f.farmId), [grid.farm2Id]);
  assert.equal((await get("/farms?node_total_cru=1000")).body, []);
  assert.equal((await get(`/farms?twin_id=${grid.userTwinId}`)).body.length, 1);
});

t("/contracts: snake_case items, filters as gridproxy_client sends them, /contracts/{id}", async () => {
  const r = await get(`/contracts?twin_id=${grid.userTwinId}&state=Created,GracePeriod&ret_count=true&size=5`);
  assert.is(r.headers.get("count"), "24");
  assert.is(r.body.length, 5);
  const x = r.body[0];
  assert.equal(Object.keys(x).sort(), ["contract_id", "created_at", "details", "state", "twin_id", "type"]);
  assert.type(x.contract_id, "number");
  assert.is(x.type, "node");
  assert.equal(Object.keys(x.details).sort(), ["deployment_data", "deployment_hash", "farm_id", "farm_name", "nodeId", "number_of_public_ips"]);
  assert.equal((await get(`/contracts?twin_id=${grid.userTwinId}&state=GracePeriod`)).body, []);
  assert.is((await get(`/contracts?contract_id=${grid.contractIds[3]}`)).body[0].contract_id, grid.contractIds[3]);
  assert.is((await get(`/contracts?node_id=${grid.nodeIds[1]}`)).body.length, 3);
  assert.is((await get("/contracts?state=created&type=node&sort_by=contract_id&sort_order=desc&size=1")).body[0].contract_id, grid.contractIds[23]);
  assert.is((await get(`/contracts/${grid.contractIds[0]}`)).body.contract_id, grid.contractIds[0]);
  assert.equal((await get("/contracts/424242")).body, { error: "contract not found" });
});

t("/twins, /public_ips, /stats", async () => {
  const tw = await get(`/twins?twin_id=${grid.userTwinId}`);
  assert.equal(Object.keys(tw.body[0]).sort(), ["accountId", "publicKey", "relay", "twinId"]);
  assert.is(tw.body[0].accountId, grid.user.address);
  assert.is((await get("/public_ips?free=true")).body.length, 3);
  const st = await get("/stats?status=up");
  assert.is(st.body.nodes, 8);
  assert.is(st.body.farms, 2);
  assert.is(st.body.contracts, 24);
  assert.is(st.body.publicIps, 3);
});

t.run();
