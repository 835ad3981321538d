// What the api module needs from the rest of the node, as small interfaces. Each is optional where the
// node may not have the capability yet: the router then answers "<command> is not supported on this
// node yet". The api module itself holds no state and touches no resources.

/** A deployment as JSON (Zero-OS v3 shape, see ZOS-REFERENCE §3.1). Kept loose: the engine owns the model. */
export type DeploymentJson = Record<string, unknown>;
export type WorkloadJson = Record<string, unknown>;

/** A deployment decoded and validated by the deployment model (modules/lib/gridtypes). */
export interface DecodedDeployment {
  twinId: number;
  contractId: number;
  version: number;
  /** lowercase hex MD5 challenge hashes the node accepts in the contract: the node's rendering first,
   * then grid_client's where it knowingly differs (see modules/lib/gridtypes clientChallenge) */
  hashes: string[];
  /** the model's own representation */
  value: unknown;
  /** the JSON text as received (the engine re-decodes and verifies it itself) */
  raw: string;
}

export interface DeploymentCodec {
  /** Decodes the JSON text of a deployment; throws with a readable message when it is invalid. */
  decode(payload: string): DecodedDeployment;
}

/** The provisioning engine (modules/provision). Twin scoping is enforced by the api as well. */
export interface DeploymentEngine {
  deploy(twin: number, deployment: DecodedDeployment): Promise<void>;
  update(twin: number, deployment: DecodedDeployment): Promise<void>;
  get(twin: number, contractId: number): Promise<DeploymentJson | null>;
  list(twin: number): Promise<DeploymentJson[]>;
  changes(twin: number, contractId: number): Promise<WorkloadJson[]>;
  /** Workload types this node can provision (zos.system.node_features_get). */
  features?(): string[];
  /** Capacity of okay workloads and counters for zos.statistics.get. */
  usage?(): Promise<EngineUsage>;
  /** IPs of okay public ip workloads (zos.network.list_public_ips). */
  publicIps?(): Promise<string[]>;
  /** The caller's VM IPs in a network (zos.network.list_private_ips). */
  privateIps?(twin: number, networkName: string): Promise<string[]>;
}

export interface Capacity {
  cru: number;
  sru: number;
  hru: number;
  mru: number;
  ipv4u: number;
}

export interface EngineUsage {
  used: Capacity;
  deployments: number;
  workloads: number;
  last_deployment_timestamp: number;
}

/** A contract as read from SmartContractModule.Contracts. */
export interface ChainContract {
  contract_id: number;
  twin_id: number;
  /** "node" for a NodeContract; "name" / "rent" otherwise. */
  kind: string;
  node_id?: number;
  deployment_hash?: string;
}

export interface ContractReader {
  contract(contractId: number): Promise<ChainContract | null>;
}

/** Who this node is on chain; undefined until the registrar finished. */
export interface NodeIdentity {
  nodeId(): number | undefined;
  twinId(): number | undefined;
  /** The twin of the farm this node belongs to (admin commands). */
  farmerTwin(): Promise<number | undefined>;
}

export interface SystemInfo {
  version(): { zos: string; zinit: string };
  dmi?(): Promise<unknown>;
  hypervisor?(): Promise<string>;
  /** total capacity of the node */
  capacity?(): Promise<Capacity>;
  /** reserved for the system (ZOS-REFERENCE §5.3) */
  reserved?(): Promise<Capacity>;
}

export interface Diagnostics {
  /** name → healthy, with a note; e.g. registrar, provision, rmb */
  modules(): Promise<{ name: string; healthy: boolean; status: unknown }[]>;
  /** Every node process's memory as the kernel measured it (its `memory` grant); absent when not granted. */
  processes?(): Promise<ProcessMemoryJson[]>;
}

/** One process's measured memory (kernel/rss.ts RssSample, MiB). */
export interface ProcessMemoryJson {
  process: string;
  pid: number;
  rssMb: number;
  pssMb: number | null;
  ussMb: number | null;
  budgetMb: number | null;
}

export interface NetworkInfo {
  wgPorts?(): Promise<number[]>;
  publicConfig?(): Promise<unknown>;
  interfaces?(): Promise<{ zos: string[]; ygg: string[] }>;
  hasIpv6?(): Promise<boolean>;
  /** admin view: every host interface */
  adminInterfaces?(): Promise<Record<string, { ips: string[]; mac: string }>>;
  publicNic?(): Promise<{ is_single: boolean; is_dual: boolean; dual_interface: string }>;
  /** IPs of the node's public ip workloads (zos.network.list_public_ips) */
  publicIps?(): Promise<string[]>;
  /** farmer-only: the NIC br-pub uses ("zos" = share the zos uplink) */
  setPublicNic?(ifname: string): Promise<void>;
}

export interface StorageInfo {
  pools(): Promise<{ name: string; type: "ssd" | "hdd"; size: number; used: number }[]>;
}

export interface LocationInfo {
  location(): Promise<{
    longitude: number;
    latitude: number;
    continent: string;
    country_name: string;
    country_code: string;
    city_name: string;
  }>;
}

export interface VmConsoles {
  /** a VM's console from byte `offset`; null when the node has no such VM */
  consoleLog(id: string, offset: number, max: number): Promise<{ log: string; next: number; state: string } | null>;
}

/** The node's live upgrade (the kernel's "upgrade" capability; kernel/upgrade/), for zos.admin.upgrade_*. */
export interface UpgradeControl {
  status(): Promise<unknown>;
  check(): Promise<unknown>;
  approve(hash: string, twin: number): Promise<unknown>;
}

export interface ApiDeps {
  vms?: VmConsoles;
  codec?: DeploymentCodec;
  engine?: DeploymentEngine;
  contracts?: ContractReader;
  identity: NodeIdentity;
  system: SystemInfo;
  diagnostics?: Diagnostics;
  network?: NetworkInfo;
  storage?: StorageInfo;
  location?: LocationInfo;
  upgrade?: UpgradeControl;
  /** Largest accepted payload in bytes (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Open RMB connections (zos.statistics.get open_connections); 0 when unknown. */
  openConnections?(): number;
}
