// GET /nodes, /nodes/{id}, /gateways: the grid proxy's node view (pkg/types/nodes.go) with its derived
// values (db/setup.sql, postgres.go): used capacity = the resources nodes reported for their active
// contracts + the proxy's reserve, status from the last uptime report and the power state, rentable/
// rented/dedicated from rent contracts and the farm; features, healthy, dmi, speed, gpus from the
// nodes themselves over RMB (node-info.ts), as the proxy's RMB indexers do.
import type { GridModel, Node } from "../indexer/model.ts";
import type { NodeInfo } from "./node-info.ts";
import { HttpError, type ParamSpec, type Params } from "./params.ts";

const GiB = 1024 ** 3;
const UP_WINDOW_S = 80 * 60;
const STANDBY_WINDOW_S = 24 * 3600;

export const VALID_FEATURES = [
  "zmount", "zdb", "volume", "ipv4", "ip", "gateway-name-proxy", "gateway-fqdn-proxy", "qsfs", "zlogs", "network",
  "zmachine", "zmachine-light", "network-light", "wireguard", "yggdrasil", "mycelium",
];

export const NODE_FILTERS: ParamSpec = {
  status: "strings", free_mru: "uint", free_hru: "uint", free_sru: "uint", total_mru: "uint", total_hru: "uint",
  total_sru: "uint", total_cru: "uint", free_ips: "uint", ipv4: "bool", ipv6: "bool", domain: "bool",
  has_ipv6: "bool", healthy: "bool", has_gpu: "bool", certification_type: "string", farm_ids: "uints",
  farm_name: "string", farm_name_contains: "string", country: "string", country_contains: "string", city: "string",
  city_contains: "string", region: "string", dedicated: "bool", rentable: "bool", rented: "bool",
  in_dedicated_farm: "bool", available_for: "uint", rented_by: "uint", rentable_or_rented_by: "uint",
  owned_by: "uint", node_id: "uint", node_ids: "uints", twin_id: "uint", excluded: "uints", features: "strings",
  num_gpu: "uint", gpu_device_name: "string", gpu_vendor_name: "string", gpu_vendor_id: "string",
  gpu_device_id: "string", gpu_available: "bool", price_min: "float", price_max: "float",
};

export const NODE_SORT_KEYS = [
  "node_id", "farm_id", "twin_id", "country", "city", "uptime", "created", "updated_at", "total_cru", "total_mru",
  "total_hru", "total_sru", "used_cru", "used_mru", "used_hru", "used_sru", "status", "dedicated_farm",
  "rent_contract_id", "rented", "rentable", "num_gpu", "extra_fee", "price_usd", "free_cru",
] as const;

interface Cap {
  cru: number;
  sru: number;
  hru: number;
  mru: number;
}

/** Everything the filters, the sort and the JSON need, computed once per node per request. */
export interface NodeRow {
  node: Node;
  status: "up" | "down" | "standby";
  total: Cap;
  used: Cap;
  free: Cap;
  renter: number;
  rentContractId: number;
  farmDedicated: boolean;
  farmName: string;
  farmTwin: number;
  farmFreeIps: number;
  hasActiveContract: boolean;
  info: NodeInfo;
}

export function nodeStatus(n: Node, nowS: number): "up" | "down" | "standby" {
  const p = n.power;
  const powerUp = (p.state === "" || p.state === "Up") && (p.target === "" || p.target === "Up");
  if (n.updatedAt >= nowS - UP_WINDOW_S && powerUp) return "up";
  if ((p.state === "Down" || p.target === "Down") && n.updatedAt >= nowS - STANDBY_WINDOW_S) return "standby";
  return "down";
}

export function nodeRow(m: GridModel, n: Node, info: NodeInfo, nowS: number): NodeRow {
  const total = { ...n.resources };
  const contracts = m.activeContracts(n.nodeID);
  const used: Cap = { cru: 0, sru: 0, hru: 0, mru: 0 };
  for (const id of contracts) {
    const r = m.contracts.get(id)?.resources;
    if (!r) continue;
    used.cru += r.cru;
    used.sru += r.sru;
    used.hru += r.hru;
    used.mru += r.mru;
  }
  used.mru += Math.max(Math.floor(total.mru / 10), 2 * GiB);
  used.sru += 20 * GiB;
  const free = {
    cru: total.cru - used.cru,
    sru: total.sru - used.sru,
    hru: total.hru - used.hru,
    mru: total.mru - used.mru,
  };
  const rent = m.rentContract(n.nodeID);
  const farm = m.farms.get(n.farmID);
  return {
    node: n,
    status: nodeStatus(n, nowS),
    total,
    used,
    free,
    renter: rent?.twinID ?? 0,
    rentContractId: rent?.contractID ?? 0,
    farmDedicated: farm?.dedicated ?? false,
    farmName: farm?.name ?? "",
    farmTwin: farm?.twinID ?? 0,
    farmFreeIps: farm?.publicIps.filter((ip) => ip.contractId === 0).length ?? 0,
    hasActiveContract: contracts.size > 0,
    info,
  };
}

const rentable = (r: NodeRow) => (r.farmDedicated || !r.hasActiveContract) && r.renter === 0;
const dedicatedFilter = (r: NodeRow) => r.farmDedicated || !r.hasActiveContract || r.renter !== 0;
const availableFor = (r: NodeRow, t: number) => r.renter === t || (r.renter === 0 && !r.farmDedicated && r.node.extraFee === 0);

/** Checks the filter values the proxy validates beyond decoding (features must be known names). */
export function validateNodeFilter(f: Params): void {
  for (const feat of (f.features as string[] | undefined) ?? []) {
    if (!VALID_FEATURES.includes(feat)) throw new HttpError(400, `invalid feature "${feat}": valid features are ${VALID_FEATURES.join(", ")}`);
  }
}

export function nodeMatches(r: NodeRow, f: Params): boolean {
  const n = r.node;
  const pc = n.publicConfig;
  const ieq = (a: string, b: unknown) => a.toLowerCase() === String(b).toLowerCase();
  const icontains = (a: string, b: unknown) => a.toLowerCase().includes(String(b).toLowerCase());
  const statuses = (f.status as string[] | undefined) ?? [];
  if (statuses.length && !statuses.includes(r.status)) return false;
  if (f.free_mru !== undefined && r.free.mru < (f.free_mru as number)) return false;
  if (f.free_hru !== undefined && r.free.hru < (f.free_hru as number)) return false;
  if (f.free_sru !== undefined && r.free.sru < (f.free_sru as number)) return false;
  if (f.total_mru !== undefined && r.total.mru < (f.total_mru as number)) return false;
  if (f.total_hru !== undefined && r.total.hru < (f.total_hru as number)) return false;
  if (f.total_sru !== undefined && r.total.sru < (f.total_sru as number)) return false;
  if (f.total_cru !== undefined && r.total.cru < (f.total_cru as number)) return false;
  if (f.free_ips !== undefined && r.farmFreeIps < (f.free_ips as number)) return false;
  if (f.ipv4 !== undefined && Boolean(pc?.ipv4) !== f.ipv4) return false;
  if (f.ipv6 !== undefined && Boolean(pc?.ipv6) !== f.ipv6) return false;
  if (f.domain !== undefined && Boolean(pc?.domain) !== f.domain) return false;
  if (f.has_ipv6 !== undefined && r.info.hasIpv6 !== f.has_ipv6) return false;
  if (f.healthy !== undefined && r.info.healthy !== f.healthy) return false;
  if (f.has_gpu !== undefined && (r.info.gpus.length > 0) !== f.has_gpu) return false;
  if (f.num_gpu !== undefined && r.info.gpus.length < (f.num_gpu as number)) return false;
  if (f.certification_type !== undefined && !ieq(n.certification, f.certification_type)) return false;
  if (f.farm_ids !== undefined && (f.farm_ids as number[]).length && !(f.farm_ids as number[]).includes(n.farmID)) return false;
  if (f.farm_name !== undefined && !ieq(r.farmName, f.farm_name)) return false;
  if (f.farm_name_contains !== undefined && !icontains(r.farmName, f.farm_name_contains)) return false;
  if (f.country !== undefined && !ieq(n.country, f.country)) return false;
  if (f.country_contains !== undefined && !icontains(n.country, f.country_contains)) return false;
  if (f.city !== undefined && !ieq(n.city, f.city)) return false;
  if (f.city_contains !== undefined && !icontains(n.city, f.city_contains)) return false;
  if (f.dedicated !== undefined && dedicatedFilter(r) !== f.dedicated) return false;
  if (f.rentable !== undefined && rentable(r) !== f.rentable) return false;
  if (f.rented !== undefined && (r.renter !== 0) !== f.rented) return false;
  if (f.in_dedicated_farm !== undefined && r.farmDedicated !== f.in_dedicated_farm) return false;
  if (f.available_for !== undefined && !availableFor(r, f.available_for as number)) return false;
  if (f.rented_by !== undefined && r.renter !== f.rented_by) return false;
  if (f.rentable_or_rented_by !== undefined && !(rentable(r) || r.renter === f.rentable_or_rented_by)) return false;
  if (f.owned_by !== undefined && r.farmTwin !== f.owned_by) return false;
  if (f.node_id !== undefined && n.nodeID !== f.node_id) return false;
  if (f.node_ids !== undefined && (f.node_ids as number[]).length && !(f.node_ids as number[]).includes(n.nodeID)) return false;
  if (f.twin_id !== undefined && n.twinID !== f.twin_id) return false;
  if (f.excluded !== undefined && (f.excluded as number[]).includes(n.nodeID)) return false;
  const feats = (f.features as string[] | undefined) ?? [];
  if (feats.some((x) => !r.info.features.includes(x))) return false;
  if (f.price_min !== undefined || f.price_max !== undefined) return false; // no pricing in the dev grid
  return true;
}

export function nodeSortKey(r: NodeRow, field: string): number | string | boolean {
  const n = r.node;
  switch (field) {
    case "node_id": return n.nodeID;
    case "farm_id": return n.farmID;
    case "twin_id": return n.twinID;
    case "country": return n.country;
    case "city": return n.city;
    case "uptime": return n.uptime;
    case "created": return n.created;
    case "updated_at": return n.updatedAt;
    case "status": return r.status;
    case "dedicated_farm": return r.farmDedicated;
    case "rent_contract_id": return r.rentContractId;
    case "rented": return r.renter !== 0;
    case "rentable": return rentable(r);
    case "num_gpu": return r.info.gpus.length;
    case "extra_fee": return n.extraFee;
    case "price_usd": return 0;
    case "free_cru": return r.total.cru - r.used.cru;
  }
  const [kind, res] = field.split("_") as ["total" | "used", keyof Cap];
  return (kind === "total" ? r.total : r.used)[res];
}

/** The proxy's Node JSON (nested = the /nodes/{id} shape with `capacity`). */
export function nodeJson(r: NodeRow, nested: boolean): Record<string, unknown> {
  const n = r.node;
  const pc = n.publicConfig;
  const res = {
    total_resources: { ...r.total },
    used_resources: { ...r.used },
  };
  return {
    id: n.id,
    nodeId: n.nodeID,
    farmId: n.farmID,
    twinId: n.twinID,
    gridVersion: n.gridVersion,
    uptime: n.uptime,
    created: n.created,
    farmingPolicyId: n.farmingPolicyId,
    updatedAt: n.updatedAt,
    ...(nested ? { capacity: res } : res),
    location: { country: n.country, city: n.city, longitude: n.longitude, latitude: n.latitude },
    publicConfig: {
      domain: pc?.domain ?? "",
      gw4: pc?.gw4 ?? "",
      gw6: pc?.gw6 ?? "",
      ipv4: pc?.ipv4 ?? "",
      ipv6: pc?.ipv6 ?? "",
    },
    status: r.status,
    certificationType: n.certification,
    dedicated: r.farmDedicated || !r.hasActiveContract || r.renter !== 0 || n.extraFee > 0,
    inDedicatedFarm: r.farmDedicated,
    rentContractId: r.rentContractId,
    rentedByTwinId: r.renter,
    rented: r.renter !== 0,
    rentable: rentable(r),
    serialNumber: n.serialNumber,
    power: { state: n.power.state, target: n.power.target },
    num_gpu: r.info.gpus.length,
    extraFee: n.extraFee,
    healthy: r.info.healthy,
    dmi: r.info.dmi,
    speed: r.info.speed,
    gpus: r.info.gpus,
    price_usd: 0,
    farm_free_ips: r.farmFreeIps,
    farmName: r.farmName,
    country: n.country,
    city: n.city,
    features: [...r.info.features],
  };
}
