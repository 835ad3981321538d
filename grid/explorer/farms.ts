// GET /farms (pkg/types/farms.go): farm filters plus node filters (a farm matches when at least one
// of its nodes matches all node_* filters), and the proxy's farm JSON with its public IPs.
import type { Farm, GridModel } from "../indexer/model.ts";
import type { NodeRow } from "./nodes.ts";
import { nodeMatches } from "./nodes.ts";
import type { ParamSpec, Params } from "./params.ts";

export const FARM_FILTERS: ParamSpec = {
  free_ips: "uint", total_ips: "uint", stellar_address: "string", pricing_policy_id: "uint", farm_id: "uint",
  twin_id: "uint", name: "string", name_contains: "string", certification_type: "string", dedicated: "bool",
  country: "string", region: "string", node_free_mru: "uint", node_free_hru: "uint", node_free_sru: "uint",
  node_total_cru: "uint", node_status: "strings", node_rented_by: "uint", node_available_for: "uint",
  node_has_gpu: "bool", node_has_ipv6: "bool", node_certified: "bool", node_features: "strings",
  // not in the Go proxy's FarmFilter (it answers 400); GridClient sends it for `farmName`, so the dev
  // explorer accepts it as an alias of `name`
  farm_name: "string",
};

export const FARM_SORT_KEYS = ["farm_id", "name", "twin_id", "dedicated", "public_ips", "free_ips", "total_ips", "used_ips"] as const;

/** Node filter keys of /farms → the same filter of /nodes. */
const NODE_KEYS: Record<string, string> = {
  node_free_mru: "free_mru", node_free_hru: "free_hru", node_free_sru: "free_sru", node_total_cru: "total_cru",
  node_status: "status", node_rented_by: "rented_by", node_available_for: "available_for", node_has_gpu: "has_gpu",
  node_has_ipv6: "has_ipv6", node_features: "features", country: "country",
};

export function farmMatches(f: Farm, p: Params, nodesOfFarm: NodeRow[]): boolean {
  const free = f.publicIps.filter((ip) => ip.contractId === 0).length;
  const name = (p.name ?? p.farm_name) as string | undefined;
  if (p.free_ips !== undefined && free < (p.free_ips as number)) return false;
  if (p.total_ips !== undefined && f.publicIps.length < (p.total_ips as number)) return false;
  if (p.stellar_address !== undefined && f.stellarAddress !== p.stellar_address) return false;
  if (p.pricing_policy_id !== undefined && f.pricingPolicyID !== p.pricing_policy_id) return false;
  if (p.farm_id !== undefined && f.farmID !== p.farm_id) return false;
  if (p.twin_id !== undefined && f.twinID !== p.twin_id) return false;
  if (name !== undefined && f.name.toLowerCase() !== name.toLowerCase()) return false;
  if (p.name_contains !== undefined && !f.name.toLowerCase().includes(String(p.name_contains).toLowerCase())) return false;
  if (p.certification_type !== undefined && f.certification.toLowerCase() !== String(p.certification_type).toLowerCase()) return false;
  if (p.dedicated !== undefined && f.dedicated !== p.dedicated) return false;
  const nodeFilter: Params = {};
  for (const [k, v] of Object.entries(p)) if (NODE_KEYS[k]) nodeFilter[NODE_KEYS[k]] = v;
  if (p.node_certified !== undefined) nodeFilter.certification_type = p.node_certified ? "Certified" : "Diy";
  if (Object.keys(nodeFilter).length === 0) return true;
  return nodesOfFarm.some((r) => nodeMatches(r, nodeFilter));
}

export function farmSortKey(f: Farm, field: string): number | string | boolean {
  const free = f.publicIps.filter((ip) => ip.contractId === 0).length;
  switch (field) {
    case "farm_id": return f.farmID;
    case "name": return f.name;
    case "twin_id": return f.twinID;
    case "dedicated": return f.dedicated;
    case "public_ips":
    case "total_ips": return f.publicIps.length;
    case "free_ips": return free;
    default: return f.publicIps.length - free; // used_ips
  }
}

export function farmJson(f: Farm): Record<string, unknown> {
  return {
    name: f.name,
    farmId: f.farmID,
    twinId: f.twinID,
    pricingPolicyId: f.pricingPolicyID,
    certificationType: f.certification,
    stellarAddress: f.stellarAddress,
    dedicated: f.dedicated,
    publicIps: f.publicIps.map((ip) => ({ id: ip.id, ip: ip.ip, gateway: ip.gateway, contract_id: ip.contractId })),
  };
}

export function farmsWithNodes(m: GridModel, rows: NodeRow[]): Map<number, NodeRow[]> {
  const by = new Map<number, NodeRow[]>();
  for (const r of rows) {
    const l = by.get(r.node.farmID);
    if (l) l.push(r);
    else by.set(r.node.farmID, [r]);
  }
  for (const id of m.farms.keys()) if (!by.has(id)) by.set(id, []);
  return by;
}
