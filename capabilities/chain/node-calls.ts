// The extrinsics a node submits (ZOS-REFERENCE §2.4, §5.3), typed, over a ChainSubmitter.
import type { ChainSubmitter, Included } from "./submitter.ts";

export const TERMS_LINK = "http://zos.tf/terms/v0.1";
export const TERMS_HASH = "9021d4dee05a661e2cb6838152c67f25";

/** Every call NodeCalls submits: the allow-list of the node's chain-purpose signer (manifests/node.json). */
export const NODE_CHAIN_CALLS = [
  "tfgridModule.userAcceptTc",
  "tfgridModule.createTwin",
  "tfgridModule.updateTwin",
  "tfgridModule.createNode",
  "tfgridModule.updateNode",
  "tfgridModule.reportUptimeV2",
  "tfgridModule.changePowerState",
  "smartContractModule.reportContractResources",
  "smartContractModule.addNruReports",
] as const;

export interface NodeRegistration {
  farmId: number;
  resources: { hru: number | bigint; sru: number | bigint; cru: number | bigint; mru: number | bigint };
  location: { city: string; country: string; latitude: string; longitude: string };
  interfaces: { name: string; mac: string; ips: string[] }[];
  secureBoot: boolean;
  virtualized: boolean;
  serialNumber: string | null;
}

function eventData(inc: Included, section: string, method: string): unknown[] {
  const e = inc.events.find((x) => x.section === section && x.method === method);
  if (!e) throw new Error(`chain: expected event ${section}.${method} was not emitted`);
  return e.data;
}

export class NodeCalls {
  readonly submitter: ChainSubmitter;

  constructor(submitter: ChainSubmitter) {
    this.submitter = submitter;
  }

  acceptTermsAndConditions(link = TERMS_LINK, hash = TERMS_HASH): Promise<Included> {
    return this.submitter.submit("tfgridModule", "userAcceptTc", link, hash);
  }

  /** Returns the new twin id. */
  async createTwin(relay: string | null, pk: string | null): Promise<number> {
    const inc = await this.submitter.submit("tfgridModule", "createTwin", relay, pk);
    return (eventData(inc, "tfgridModule", "TwinStored")[0] as { id: number }).id;
  }

  updateTwin(relay: string | null, pk: string | null): Promise<Included> {
    return this.submitter.submit("tfgridModule", "updateTwin", relay, pk);
  }

  /** Returns the new node id. */
  async createNode(n: NodeRegistration): Promise<number> {
    const inc = await this.submitter.submit(
      "tfgridModule",
      "createNode",
      n.farmId,
      n.resources,
      n.location,
      n.interfaces,
      n.secureBoot,
      n.virtualized,
      n.serialNumber,
    );
    return (eventData(inc, "tfgridModule", "NodeStored")[0] as { id: number }).id;
  }

  updateNode(nodeId: number, n: NodeRegistration): Promise<Included> {
    return this.submitter.submit(
      "tfgridModule",
      "updateNode",
      nodeId,
      n.farmId,
      n.resources,
      n.location,
      n.interfaces,
      n.secureBoot,
      n.virtualized,
      n.serialNumber,
    );
  }

  reportUptime(uptimeSecs: number, nowSecs = Math.floor(Date.now() / 1000)): Promise<Included> {
    return this.submitter.submit("tfgridModule", "reportUptimeV2", uptimeSecs, nowSecs);
  }

  changePowerState(state: "Up" | "Down"): Promise<Included> {
    return this.submitter.submit("tfgridModule", "changePowerState", state);
  }

  reportContractResources(
    list: { contractId: number; used: { hru: number; sru: number; cru: number; mru: number } }[],
  ): Promise<Included> {
    return this.submitter.submit("smartContractModule", "reportContractResources", list);
  }

  addNruReports(
    list: { contractId: number; timestamp: number; window: number; nru: number }[],
  ): Promise<Included> {
    return this.submitter.submit("smartContractModule", "addNruReports", list);
  }
}
