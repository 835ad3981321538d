// GET /contracts (pkg/types/contracts.go): node, name and rent contracts with the proxy's snake_case
// JSON, which @threefold/gridproxy_client reads as is (contract_id, details.nodeId, ...).
import type { Contract, GridModel } from "../indexer/model.ts";
import type { ParamSpec, Params } from "./params.ts";

export const CONTRACT_FILTERS: ParamSpec = {
  contract_id: "uint", contract_ids: "uints", twin_id: "uint", node_id: "uint", type: "string", state: "strings",
  name: "string", number_of_public_ips: "uint", deployment_data: "string", deployment_hash: "string",
  farm_name: "string", farm_id: "uint",
};

export const CONTRACT_SORT_KEYS = ["contract_id", "twin_id", "state", "created_at", "type"] as const;

function farmOf(m: GridModel, c: Contract) {
  const node = m.nodes.get(c.nodeID);
  return node ? m.farms.get(node.farmID) : undefined;
}

export function contractMatches(m: GridModel, c: Contract, p: Params): boolean {
  if (p.contract_id !== undefined && c.contractID !== p.contract_id) return false;
  if (p.contract_ids !== undefined && !(p.contract_ids as number[]).includes(c.contractID)) return false;
  if (p.twin_id !== undefined && c.twinID !== p.twin_id) return false;
  if (p.node_id !== undefined && (c.kind === "name" || c.nodeID !== p.node_id)) return false;
  if (p.type !== undefined && c.kind !== p.type) return false;
  const states = ((p.state as string[] | undefined) ?? []).map((s) => s.toLowerCase());
  if (states.length && !states.includes(c.state.toLowerCase())) return false;
  if (p.name !== undefined && c.name !== p.name) return false;
  if (p.number_of_public_ips !== undefined && c.numberOfPublicIPs < (p.number_of_public_ips as number)) return false;
  if (p.deployment_data !== undefined && c.deploymentData !== p.deployment_data) return false;
  if (p.deployment_hash !== undefined && c.deploymentHash !== p.deployment_hash) return false;
  if (p.farm_name !== undefined || p.farm_id !== undefined) {
    const farm = farmOf(m, c);
    if (!farm) return false;
    if (p.farm_id !== undefined && farm.farmID !== p.farm_id) return false;
    if (p.farm_name !== undefined && !farm.name.toLowerCase().includes(String(p.farm_name).toLowerCase())) return false;
  }
  return true;
}

export function contractSortKey(c: Contract, field: string): number | string {
  switch (field) {
    case "twin_id": return c.twinID;
    case "state": return c.state;
    case "created_at": return c.createdAt;
    case "type": return c.kind;
    default: return c.contractID;
  }
}

export function contractJson(m: GridModel, c: Contract): Record<string, unknown> {
  const farm = farmOf(m, c);
  let details: Record<string, unknown>;
  if (c.kind === "node") {
    details = {
      nodeId: c.nodeID,
      deployment_data: c.deploymentData,
      deployment_hash: c.deploymentHash,
      number_of_public_ips: c.numberOfPublicIPs,
      farm_name: farm?.name ?? "",
      farm_id: farm?.farmID ?? 0,
    };
  } else if (c.kind === "rent") details = { nodeId: c.nodeID, farm_name: farm?.name ?? "", farm_id: farm?.farmID ?? 0 };
  else details = { name: c.name };
  return { contract_id: c.contractID, twin_id: c.twinID, state: c.state, created_at: c.createdAt, type: c.kind, details };
}
