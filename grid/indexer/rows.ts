// GraphQL rows of each entity, projected from the GridModel (rebuilt only when the model changed).
import type { GridModel } from "./model.ts";

export type Row = Record<string, unknown>;

function resourcesRow(id: string, r: { cru: number; sru: number; hru: number; mru: number }): Row {
  return { id, cru: r.cru, sru: r.sru, hru: r.hru, mru: r.mru };
}

export class Rows {
  private readonly model: GridModel;
  private built = -1;
  private cache = new Map<string, Row[]>();

  constructor(model: GridModel) {
    this.model = model;
  }

  of(type: string): Row[] {
    if (this.built !== this.model.version) {
      this.cache = this.build();
      this.built = this.model.version;
    }
    return this.cache.get(type) ?? [];
  }

  private build(): Map<string, Row[]> {
    const m = this.model;
    const gridVersion = 3;
    const twins = [...m.twins.values()].map((t) => ({
      id: String(t.twinID),
      gridVersion,
      twinID: t.twinID,
      accountID: t.accountID,
      relay: t.relay,
      publicKey: t.publicKey,
    }));
    const publicIps: Row[] = [];
    const farms = [...m.farms.values()].map((f) => {
      const ips = f.publicIps.map((ip) => ({ id: ip.id, ip: ip.ip, gateway: ip.gateway, contractId: ip.contractId }));
      publicIps.push(...ips);
      return {
        id: String(f.farmID),
        gridVersion,
        farmID: f.farmID,
        name: f.name,
        twinID: f.twinID,
        pricingPolicyID: f.pricingPolicyID,
        certification: f.certification,
        stellarAddress: f.stellarAddress || null,
        dedicatedFarm: f.dedicated,
        publicIPs: ips,
      };
    });
    const nodes = [...m.nodes.values()].map((n) => ({
      id: n.id,
      gridVersion: n.gridVersion,
      nodeID: n.nodeID,
      farmID: n.farmID,
      twinID: n.twinID,
      country: n.country || null,
      city: n.city || null,
      uptime: n.uptime,
      created: n.created,
      farmingPolicyId: n.farmingPolicyId,
      certification: n.certification,
      secureBoot: n.secureBoot,
      virtualized: n.virtualized,
      serialNumber: n.serialNumber || null,
      createdAt: n.createdAt,
      updatedAt: n.updatedAt,
      dedicated: n.extraFee > 0,
      extraFee: n.extraFee,
      location: { id: n.id, longitude: String(n.longitude ?? ""), latitude: String(n.latitude ?? "") },
      publicConfig: n.publicConfig ? { id: n.id, ...n.publicConfig } : null,
      resourcesTotal: resourcesRow(n.id, n.resources),
      power: n.power.state || n.power.target ? { state: n.power.state || null, target: n.power.target || null } : null,
    }));
    const nodeContracts: Row[] = [];
    const nameContracts: Row[] = [];
    const rentContracts: Row[] = [];
    for (const c of m.contracts.values()) {
      const base = {
        id: c.id,
        gridVersion,
        contractID: c.contractID,
        twinID: c.twinID,
        state: c.state,
        createdAt: c.createdAt,
        solutionProviderID: c.solutionProviderID,
      };
      if (c.kind === "node") {
        nodeContracts.push({
          ...base,
          nodeID: c.nodeID,
          deploymentData: c.deploymentData,
          deploymentHash: c.deploymentHash,
          numberOfPublicIPs: c.numberOfPublicIPs,
          resourcesUsed: c.resources ? resourcesRow(c.id, c.resources) : null,
        });
      } else if (c.kind === "name") nameContracts.push({ ...base, name: c.name });
      else rentContracts.push({ ...base, nodeID: c.nodeID });
    }
    const bills = m.bills.map((b) => ({ ...b }));
    return new Map<string, Row[]>([
      ["Twin", twins],
      ["Farm", farms],
      ["PublicIp", publicIps],
      ["Node", nodes],
      ["NodeContract", nodeContracts],
      ["NameContract", nameContracts],
      ["RentContract", rentContracts],
      ["ContractBillReport", bills],
    ]);
  }
}
