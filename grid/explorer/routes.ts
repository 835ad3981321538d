// The grid proxy's routes (grid-proxy/internal/explorer/server.go) over the GridModel: GET only,
// ids must be digits (else mux's plain-text 404), JSON errors {"error": "..."} with the proxy's
// statuses, `count`/`size`/`pages` headers with ret_count=true.
import type { Contract, GridModel } from "../indexer/model.ts";
import { CONTRACT_FILTERS, CONTRACT_SORT_KEYS, contractJson, contractMatches, contractSortKey } from "./contracts.ts";
import { FARM_FILTERS, FARM_SORT_KEYS, farmJson, farmMatches, farmSortKey, farmsWithNodes } from "./farms.ts";
import type { NodeAsk, NodeInfoSource } from "./node-info.ts";
import { NODE_FILTERS, NODE_SORT_KEYS, nodeJson, nodeMatches, type NodeRow, nodeRow, nodeSortKey, validateNodeFilter } from "./nodes.ts";
import { decodeParams, HttpError, type Limit, paginate, type ParamSpec } from "./params.ts";

export const PROXY_VERSION = "zos-ts-dev";

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** plain text instead of JSON (mux's 404) */
  text?: string;
}

export interface RouteDeps {
  model: GridModel;
  info: NodeInfoSource;
  ask: NodeAsk | null;
  now?: () => number; // unix s
}

const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, headers });

function countHeaders(limit: Limit, count: number): Record<string, string> | undefined {
  if (!limit.retCount) return undefined;
  return { count: String(count), size: String(limit.size), pages: String(limit.size ? Math.ceil(count / limit.size) : 0) };
}

function rows(d: RouteDeps): NodeRow[] {
  const now = d.now?.() ?? Math.floor(Date.now() / 1000);
  return [...d.model.nodes.values()].map((n) => nodeRow(d.model, n, d.info.get(n.nodeID), now));
}

function listNodes(d: RouteDeps, q: URLSearchParams, gatewaysOnly: boolean): Reply {
  const { filter, limit } = decodeParams(q, NODE_FILTERS, NODE_SORT_KEYS, "Node");
  validateNodeFilter(filter);
  if (gatewaysOnly) filter.domain = true;
  const found = rows(d).filter((r) => nodeMatches(r, filter));
  const renterFirst = filter.available_for ?? filter.rentable_or_rented_by;
  const page = paginate(found, limit, nodeSortKey, (r) => r.node.nodeID, renterFirst === undefined ? undefined : (r) => r.renter === renterFirst);
  return ok(page.items.map((r) => nodeJson(r, false)), countHeaders(limit, page.count));
}

function oneNode(d: RouteDeps, id: number, gateway: boolean): NodeRow {
  const n = d.model.nodes.get(id);
  const what = gateway ? "gateway" : "node";
  if (!n || (gateway && !n.publicConfig?.domain)) throw new HttpError(404, `${what} not found`);
  return nodeRow(d.model, n, d.info.get(id), d.now?.() ?? Math.floor(Date.now() / 1000));
}

async function askNode(d: RouteDeps, id: number, command: string): Promise<unknown> {
  const n = d.model.nodes.get(id);
  if (!n) throw new HttpError(404, "node not found");
  if (!d.ask) throw new HttpError(502, "bad gateway: this explorer has no RMB connection to the nodes");
  try {
    return await d.ask(n.twinID, command, null, 10_000);
  } catch (e) {
    throw new HttpError(502, `failed to reach node ${id} over RMB: ${(e as Error).message}`);
  }
}

function listFarms(d: RouteDeps, q: URLSearchParams): Reply {
  const { filter, limit } = decodeParams(q, FARM_FILTERS, FARM_SORT_KEYS, "Farm");
  validateNodeFilter({ features: filter.node_features ?? [] });
  const byFarm = farmsWithNodes(d.model, rows(d));
  const found = [...d.model.farms.values()].filter((f) => farmMatches(f, filter, byFarm.get(f.farmID) ?? []));
  const page = paginate(found, limit, farmSortKey, (f) => f.farmID);
  return ok(page.items.map(farmJson), countHeaders(limit, page.count));
}

function listContracts(d: RouteDeps, q: URLSearchParams): Reply {
  const { filter, limit } = decodeParams(q, CONTRACT_FILTERS, CONTRACT_SORT_KEYS, "Contract");
  if (filter.type !== undefined && !["node", "name", "rent"].includes(filter.type as string)) {
    throw new HttpError(400, `invalid contract type "${filter.type}": use node, name or rent`);
  }
  const found = [...d.model.contracts.values()].filter((c) => contractMatches(d.model, c, filter));
  const page = paginate(found, limit, contractSortKey, (c) => c.contractID);
  return ok(page.items.map((c) => contractJson(d.model, c)), countHeaders(limit, page.count));
}

const TWIN_FILTERS: ParamSpec = { twin_id: "uint", account_id: "string", relay: "string", public_key: "string" };

function listTwins(d: RouteDeps, q: URLSearchParams): Reply {
  const { filter: f, limit } = decodeParams(q, TWIN_FILTERS, ["twin_id", "relay", "public_key", "account_id"], "Twin");
  const found = [...d.model.twins.values()].filter((t) =>
    (f.twin_id === undefined || t.twinID === f.twin_id) && (f.account_id === undefined || t.accountID === f.account_id) &&
    (f.relay === undefined || t.relay === f.relay) && (f.public_key === undefined || t.publicKey === f.public_key)
  );
  const key = (t: (typeof found)[number], k: string) =>
    k === "relay" ? t.relay ?? "" : k === "public_key" ? t.publicKey ?? "" : k === "account_id" ? t.accountID : t.twinID;
  const page = paginate(found, limit, key, (t) => t.twinID);
  return ok(page.items.map((t) => ({ twinId: t.twinID, accountId: t.accountID, relay: t.relay ?? "", publicKey: t.publicKey ?? "" })), countHeaders(limit, page.count));
}

const IP_FILTERS: ParamSpec = { farm_ids: "uints", ip: "string", gateway: "string", free: "bool" };

function listIps(d: RouteDeps, q: URLSearchParams): Reply {
  const { filter: f, limit } = decodeParams(q, IP_FILTERS, ["ip", "farm_id", "contract_id"], "PublicIP");
  const all = [...d.model.farms.values()].flatMap((farm) => farm.publicIps.map((ip) => ({ ...ip, farmId: farm.farmID })));
  const found = all.filter((ip) =>
    (f.farm_ids === undefined || (f.farm_ids as number[]).includes(ip.farmId)) && (f.ip === undefined || ip.ip === f.ip) &&
    (f.gateway === undefined || ip.gateway === f.gateway) && (f.free === undefined || (ip.contractId === 0) === f.free)
  );
  const key = (ip: (typeof found)[number], k: string) => (k === "ip" ? ip.ip : k === "farm_id" ? ip.farmId : ip.contractId);
  const page = paginate(found, limit, key, (ip) => ip.farmId);
  return ok(page.items.map((ip) => ({ id: ip.id, ip: ip.ip, gateway: ip.gateway, contract_id: ip.contractId, farm_id: ip.farmId })), countHeaders(limit, page.count));
}

function stats(d: RouteDeps, q: URLSearchParams): Reply {
  const { filter } = decodeParams(q, { status: "strings" }, ["node_id"], "Stats");
  const all = rows(d);
  const st = (filter.status as string[] | undefined) ?? [];
  const nodes = st.length ? all.filter((r) => st.includes(r.status)) : all;
  const sum = (k: "cru" | "sru" | "hru" | "mru") => nodes.reduce((a, r) => a + r.total[k], 0);
  const contracts = [...d.model.contracts.values()].filter((c) => c.state === "Created" || c.state === "GracePeriod");
  const countries = new Set(nodes.map((r) => r.node.country).filter(Boolean));
  const byCountry: Record<string, number> = {};
  for (const r of nodes) if (r.node.country) byCountry[r.node.country] = (byCountry[r.node.country] ?? 0) + 1;
  return ok({
    nodes: nodes.length,
    farms: d.model.farms.size,
    countries: countries.size,
    totalCru: sum("cru"),
    totalSru: sum("sru"),
    totalMru: sum("mru"),
    totalHru: sum("hru"),
    publicIps: [...d.model.farms.values()].reduce((a, f) => a + f.publicIps.length, 0),
    accessNodes: nodes.filter((r) => r.node.publicConfig?.ipv4 || r.node.publicConfig?.ipv6).length,
    gateways: nodes.filter((r) => r.node.publicConfig?.domain).length,
    twins: d.model.twins.size,
    contracts: contracts.length,
    nodesDistribution: byCountry,
    gpus: nodes.reduce((a, r) => a + r.info.gpus.length, 0),
    dedicatedNodes: nodes.filter((r) => r.farmDedicated || r.node.extraFee > 0).length,
    workloads_number: 0,
  });
}

function contractById(d: RouteDeps, id: number): Contract {
  const c = d.model.contracts.get(id);
  if (!c) throw new HttpError(404, "contract not found");
  return c;
}

/** Routes one GET; throws HttpError for the proxy's error answers. */
export async function route(d: RouteDeps, path: string, q: URLSearchParams): Promise<Reply> {
  const parts = path.replace(/\/+$/, "").split("/").slice(1);
  const id = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
  const notFound: Reply = { status: 404, body: null, text: "404 page not found\n" };
  const [a, b, c] = parts;
  if (parts.length === 0 || (parts.length === 1 && a === "")) return ok({ message: "the dev grid's explorer (grid proxy API)", version: PROXY_VERSION });
  if (parts.length === 1) {
    switch (a) {
      case "version": return ok({ version: PROXY_VERSION });
      case "ping": return ok({ ping: "pong" });
      case "health": return ok({ total_state_ok: true, db_conn: "ok", rmb_conn: d.ask ? "ok" : "unavailable", indexers: {} });
      case "nodes": return listNodes(d, q, false);
      case "gateways": return listNodes(d, q, true);
      case "farms": return listFarms(d, q);
      case "twins": return listTwins(d, q);
      case "contracts": return listContracts(d, q);
      case "public_ips":
      case "ips": return listIps(d, q);
      case "stats": return stats(d, q);
    }
    return notFound;
  }
  const n = id(b);
  if (n === null) return notFound;
  if (parts.length === 2) {
    if (a === "nodes" || a === "gateways") return ok(nodeJson(oneNode(d, n, a === "gateways"), true));
    if (a === "contracts") return ok(contractJson(d.model, contractById(d, n)));
    return notFound;
  }
  if (parts.length === 3 && a === "nodes") {
    if (c === "status") return ok({ status: oneNode(d, n, false).status });
    if (c === "statistics") return ok(await askNode(d, n, "zos.statistics.get"));
    if (c === "gpu") {
      oneNode(d, n, false);
      return ok(d.info.get(n).gpus);
    }
  }
  if (parts.length === 3 && a === "contracts" && c === "bills") {
    contractById(d, n);
    return ok(d.model.bills.filter((x) => x.contractID === n).map((x) => ({
      contract_id: x.contractID, amount_billed: x.amountBilled, discount_received: x.discountReceived, timestamp: x.timestamp,
    })));
  }
  if (parts.length === 3 && a === "twins" && c === "consumption") {
    if (!d.model.twins.has(n)) throw new HttpError(404, "twin not found");
    return ok({ last_hour_consumption: 0, overall_consumption: 0 }); // no billing on the dev chain
  }
  return notFound;
}
