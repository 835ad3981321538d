// The grid as the TFChain indexer sees it: twins, farms (with public IPs), nodes, contracts, their used
// resources and bill reports. Built from the chain's events (grid/indexer/feed.ts), as tfchain_graphql's
// processor does; the GraphQL endpoint and the explorer (grid proxy) both read it.
import { hexToU8a, isHex, u8aToString } from "@polkadot/util";

export type ContractState = "Created" | "Deleted" | "OutOfFunds" | "GracePeriod";
export type ContractKind = "node" | "name" | "rent";

export interface Resources {
  cru: number;
  sru: number;
  hru: number;
  mru: number;
}

export interface Twin {
  twinID: number;
  accountID: string;
  relay: string | null;
  publicKey: string | null;
}

export interface PublicIp {
  id: string;
  ip: string;
  gateway: string;
  contractId: number;
}

export interface Farm {
  farmID: number;
  name: string;
  twinID: number;
  pricingPolicyID: number;
  certification: "NotCertified" | "Gold";
  dedicated: boolean;
  stellarAddress: string;
  publicIps: PublicIp[];
}

export interface PublicConfig {
  ipv4: string;
  gw4: string;
  ipv6: string;
  gw6: string;
  domain: string;
}

export interface Node {
  id: string;
  nodeID: number;
  farmID: number;
  twinID: number;
  resources: Resources;
  country: string;
  city: string;
  latitude: number | null;
  longitude: number | null;
  publicConfig: PublicConfig | null;
  created: number; // unix s, as registered
  createdAt: number; // unix s, block time of NodeStored
  updatedAt: number; // unix s, block time of the last update or uptime report
  uptime: number; // s
  farmingPolicyId: number;
  certification: "Diy" | "Certified";
  serialNumber: string;
  virtualized: boolean;
  secureBoot: boolean;
  power: { state: "Up" | "Down" | ""; target: "Up" | "Down" | "" };
  extraFee: number;
  gridVersion: number;
}

export interface Contract {
  id: string;
  contractID: number;
  kind: ContractKind;
  twinID: number;
  nodeID: number; // 0 for name contracts
  state: ContractState;
  createdAt: number; // unix s
  solutionProviderID: number | null;
  deploymentData: string;
  deploymentHash: string;
  numberOfPublicIPs: number;
  name: string;
  resources: Resources | null; // reported by the node (UpdatedUsedResources)
}

export interface BillReport {
  id: string;
  contractID: number;
  amountBilled: number;
  timestamp: number;
  discountReceived: "None" | "Default" | "Bronze" | "Silver" | "Gold";
}

// deno-lint-ignore no-explicit-any
type Any = any;

/** `Bytes` as toJSON() gives them (0x hex, or already text) → UTF-8 text, bytes kept verbatim. */
export function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return isHex(s) ? u8aToString(hexToU8a(s)) : s;
}

/** A deployment hash as clients wrote it: the 32 ASCII hex characters of an md5 digest, else 0x hex. */
function hashText(v: unknown): string {
  const s = String(v ?? "");
  const t = text(s);
  return /^[0-9a-fA-F]{32}$/.test(t) ? t : s;
}

function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "string" && v.startsWith("0x")) return Number(BigInt(v));
  return Number(v);
}

/** The enum variant name of a toJSON()'d enum (`{created: null}` or `"Created"`), capitalised. */
function variant(v: unknown): string {
  const k = typeof v === "string" ? v : v && typeof v === "object" ? Object.keys(v)[0] : "";
  return k ? k[0].toUpperCase() + k.slice(1) : "";
}

function resources(r: Any): Resources {
  return { cru: num(r?.cru), sru: num(r?.sru), hru: num(r?.hru), mru: num(r?.mru) };
}

function publicConfig(pc: Any): PublicConfig | null {
  if (!pc) return null;
  return {
    ipv4: text(pc.ip4?.ip),
    gw4: text(pc.ip4?.gw),
    ipv6: text(pc.ip6?.ip),
    gw6: text(pc.ip6?.gw),
    domain: text(pc.domain),
  };
}

export class GridModel {
  readonly twins = new Map<number, Twin>();
  readonly farms = new Map<number, Farm>();
  readonly nodes = new Map<number, Node>();
  readonly contracts = new Map<number, Contract>();
  readonly bills: BillReport[] = [];
  /** nodeID → ids of its Created/GracePeriod node contracts, and its active rent contract */
  private readonly activeByNode = new Map<number, Set<number>>();
  private readonly rentByNode = new Map<number, number>();
  /** the last block applied (number, unix s) */
  head = { number: -1, time: 0 };
  /** bumped on every change; caches key on it */
  version = 0;

  // ------------------------------------------------------------------ writers (events and state)

  putTwin(t: Any): void {
    this.twins.set(num(t.id), {
      twinID: num(t.id),
      accountID: String(t.accountId),
      relay: t.relay ? text(t.relay) : null,
      publicKey: t.pk ? String(t.pk) : null,
    });
    this.version++;
  }

  putFarm(f: Any): void {
    const id = num(f.id);
    const old = this.farms.get(id);
    this.farms.set(id, {
      farmID: id,
      name: text(f.name),
      twinID: num(f.twinId),
      pricingPolicyID: num(f.pricingPolicyId),
      certification: variant(f.certification) === "Gold" ? "Gold" : "NotCertified",
      dedicated: Boolean(f.dedicatedFarm),
      stellarAddress: old?.stellarAddress ?? "",
      publicIps: (f.publicIps ?? []).map((ip: Any, i: number) => ({
        id: `${id}-${i}`,
        ip: text(ip.ip),
        gateway: text(ip.gateway),
        contractId: num(ip.contractId),
      })),
    });
    this.version++;
  }

  putNode(n: Any, time: number): void {
    const id = num(n.id);
    const old = this.nodes.get(id);
    this.nodes.set(id, {
      id: String(id),
      nodeID: id,
      farmID: num(n.farmId),
      twinID: num(n.twinId),
      resources: resources(n.resources),
      country: text(n.location?.country),
      city: text(n.location?.city),
      latitude: n.location?.latitude ? Number(text(n.location.latitude)) : null,
      longitude: n.location?.longitude ? Number(text(n.location.longitude)) : null,
      publicConfig: publicConfig(n.publicConfig),
      created: num(n.created),
      createdAt: old?.createdAt || time,
      updatedAt: time,
      uptime: old?.uptime ?? 0,
      farmingPolicyId: num(n.farmingPolicyId),
      certification: variant(n.certification) === "Certified" ? "Certified" : "Diy",
      serialNumber: text(n.serialNumber),
      virtualized: Boolean(n.virtualized),
      secureBoot: Boolean(n.secureBoot),
      power: old?.power ?? { state: "", target: "" },
      extraFee: old?.extraFee ?? 0,
      gridVersion: num(n.version),
    });
    this.version++;
  }

  putContract(c: Any, time: number): void {
    const id = num(c.contractId);
    const old = this.contracts.get(id);
    const t = c.contractType ?? {};
    const nc = t.nodeContract ?? t.NodeContract;
    const na = t.nameContract ?? t.NameContract;
    const rc = t.rentContract ?? t.RentContract;
    const kind: ContractKind = nc ? "node" : na ? "name" : "rent";
    const s = variant(c.state);
    const state: ContractState = s === "Created" || s === "GracePeriod" || s === "Deleted" ? s : "OutOfFunds";
    const contract: Contract = {
      id: String(id),
      contractID: id,
      kind,
      twinID: num(c.twinId),
      nodeID: num((nc ?? rc)?.nodeId),
      state,
      createdAt: old?.createdAt || time,
      solutionProviderID: c.solutionProviderId === null || c.solutionProviderId === undefined
        ? null
        : num(c.solutionProviderId),
      deploymentData: text(nc?.deploymentData),
      deploymentHash: nc ? hashText(nc.deploymentHash) : "",
      numberOfPublicIPs: num(nc?.publicIps),
      name: text(na?.name),
      resources: old?.resources ?? null,
    };
    this.contracts.set(id, contract);
    this.reindex(contract);
    if (kind === "node" && nc.publicIpsList) this.stampIps(id, nc.publicIpsList.map((ip: Any) => text(ip.ip)));
    this.version++;
  }

  setContractState(id: number, state: ContractState): void {
    const c = this.contracts.get(id);
    if (!c) return;
    c.state = state;
    this.reindex(c);
    if (state === "Deleted" && c.kind === "node") this.freeIps(id);
    this.version++;
  }

  setUsedResources(id: number, used: Any): void {
    const c = this.contracts.get(id);
    if (!c) return;
    c.resources = resources(used);
    this.version++;
  }

  addBill(b: Any, eventId: string): void {
    const lvl = variant(b.discountLevel);
    this.bills.push({
      id: eventId,
      contractID: num(b.contractId),
      amountBilled: num(b.amountBilled),
      timestamp: num(b.timestamp),
      discountReceived: (["None", "Default", "Bronze", "Silver", "Gold"].includes(lvl) ? lvl : "None") as BillReport["discountReceived"],
    });
    this.version++;
  }

  nodeUptime(nodeId: number, uptime: number, time: number): void {
    const n = this.nodes.get(nodeId);
    if (!n) return;
    n.uptime = uptime;
    n.updatedAt = time;
    this.version++;
  }

  nodePublicConfig(nodeId: number, pc: Any): void {
    const n = this.nodes.get(nodeId);
    if (!n) return;
    n.publicConfig = publicConfig(pc);
    this.version++;
  }

  nodePower(nodeId: number, field: "state" | "target", value: unknown): void {
    const n = this.nodes.get(nodeId);
    if (!n) return;
    n.power[field] = variant(value) === "Down" ? "Down" : "Up";
    this.version++;
  }

  nodeExtraFee(nodeId: number, fee: number): void {
    const n = this.nodes.get(nodeId);
    if (!n) return;
    n.extraFee = fee;
    this.version++;
  }

  deleteTwin(id: number): void {
    this.twins.delete(id);
    this.version++;
  }

  deleteFarm(id: number): void {
    this.farms.delete(id);
    this.version++;
  }

  deleteNode(id: number): void {
    this.nodes.delete(id);
    this.version++;
  }

  // ------------------------------------------------------------------ derived reads

  /** ids of the node's active (Created or GracePeriod) node contracts */
  activeContracts(nodeId: number): ReadonlySet<number> {
    return this.activeByNode.get(nodeId) ?? new Set();
  }

  /** the node's active rent contract, or undefined */
  rentContract(nodeId: number): Contract | undefined {
    const id = this.rentByNode.get(nodeId);
    return id === undefined ? undefined : this.contracts.get(id);
  }

  private reindex(c: Contract): void {
    const active = c.state === "Created" || c.state === "GracePeriod";
    if (c.kind === "node") {
      let set = this.activeByNode.get(c.nodeID);
      if (!set) this.activeByNode.set(c.nodeID, (set = new Set()));
      if (active) set.add(c.contractID);
      else set.delete(c.contractID);
    } else if (c.kind === "rent") {
      if (active) this.rentByNode.set(c.nodeID, c.contractID);
      else if (this.rentByNode.get(c.nodeID) === c.contractID) this.rentByNode.delete(c.nodeID);
    }
  }

  private stampIps(contractId: number, ips: string[]): void {
    const c = this.contracts.get(contractId);
    const farm = c ? this.farms.get(this.nodes.get(c.nodeID)?.farmID ?? -1) : undefined;
    for (const ip of farm?.publicIps ?? []) if (ips.includes(ip.ip)) ip.contractId = contractId;
  }

  private freeIps(contractId: number): void {
    for (const f of this.farms.values()) {
      for (const ip of f.publicIps) if (ip.contractId === contractId) ip.contractId = 0;
    }
  }
}
