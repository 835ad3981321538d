// What the registrar needs from the chain driver and from the node's system/storage capabilities.
// Small on purpose: the chain adapter (capabilities/chain) implements RegistrarChain with extrinsics
// signed by the node's "chain" signer; the registrar never sees a key.

export interface Resources {
  hru: number;
  sru: number;
  cru: number;
  mru: number;
}

export interface NodeLocation {
  city: string;
  country: string;
  latitude: string;
  longitude: string;
}

export interface NodeInterface {
  name: string;
  mac: string;
  ips: string[];
}

/** The settable fields of TfgridModule.create_node / update_node (ZOS-REFERENCE §2.4 step 4). */
export interface NodeRegistration {
  farmId: number;
  resources: Resources;
  location: NodeLocation;
  interfaces: NodeInterface[];
  secureBoot: boolean;
  virtualized: boolean;
  serialNumber: string | null;
}

export interface ChainNode extends NodeRegistration {
  id: number;
  twinId: number;
}

export interface ChainTwin {
  id: number;
  relay: string | null;
  /** hex (0x…) of the compressed secp256k1 key, or null */
  pk: string | null;
}

export interface RegistrarChain {
  /** SS58 address of the node account */
  readonly address: string;
  freeBalance(): Promise<bigint>;
  hasAcceptedTerms(): Promise<boolean>;
  acceptTerms(link: string, hash: string): Promise<void>;
  twinIdByAccount(): Promise<number | null>;
  createTwin(relay: string | null, pk: string | null): Promise<number>;
  getTwin(id: number): Promise<ChainTwin | null>;
  updateTwin(relay: string | null, pk: string | null): Promise<void>;
  farm(id: number): Promise<{ id: number; twinId: number } | null>;
  nodeIdByTwin(twinId: number): Promise<number | null>;
  getNode(id: number): Promise<ChainNode | null>;
  createNode(reg: NodeRegistration): Promise<number>;
  updateNode(id: number, reg: NodeRegistration): Promise<void>;
  /** TfgridModule.report_uptime_v2(uptime, timestamp_hint) */
  reportUptime(uptimeSecs: number, nowSecs: number): Promise<void>;
}

/** Gets an unfunded account some balance: the activation service on real grids, the dev faucet here. */
export interface Activator {
  activate(address: string): Promise<void>;
}

/** Facts about the machine, from the system and storage capabilities. */
export interface HostFacts {
  capacity(): Promise<Resources>;
  interfaces(): Promise<NodeInterface[]>;
  /** may throw (geoip unreachable): the registrar falls back to an "Unknown" location */
  location(): Promise<NodeLocation>;
  secureBoot(): Promise<boolean>;
  virtualized(): Promise<boolean>;
  serialNumber(): Promise<string | null>;
  /** seconds since the machine booted */
  uptimeSecs(): number;
}
