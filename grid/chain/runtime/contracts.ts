// SmartContractModule: node, name and rent contracts, capacity and NRU reports, with the storage
// indexes nodes read (Contracts, ActiveNodeContracts, ContractIDByNodeIDAndHash, ...). Billing is
// not simulated: contracts stay Created until cancelled.
import { bytesToString, Ctx } from "./context.ts";

const P = "SmartContractModule";
const G = "TfgridModule";
export const CONTRACT_VERSION = 4;

// deno-lint-ignore no-explicit-any
type Any = any;

function nextContractId(ctx: Ctx): number {
  const id = (ctx.get<number>(P, "ContractID") ?? 0) + 1;
  ctx.put(P, "ContractID", [], id);
  return id;
}

function checkSolutionProvider(ctx: Ctx, id: number | null): void {
  if (id === null || id === undefined) return;
  const sp = ctx.get<Any>(P, "SolutionProviders", id);
  if (!sp) ctx.fail(P, "NoSuchSolutionProvider");
  if (!sp.approved) ctx.fail(P, "SolutionProviderNotApproved");
}

function storeNew(ctx: Ctx, twinId: number, contractType: Any, sp: number | null): Any {
  const id = nextContractId(ctx);
  const contract = {
    version: CONTRACT_VERSION,
    state: { Created: null },
    contractId: id,
    twinId,
    contractType,
    solutionProviderId: sp ?? null,
  };
  ctx.put(P, "Contracts", [id], contract);
  ctx.put(P, "ContractBillingInformationByID", [id], {
    previousNuReported: 0,
    lastUpdated: ctx.nowSecs(),
    amountUnbilled: 0,
  });
  return contract;
}

function createNodeContract(ctx: Ctx, a: Any): void {
  const twinId = ctx.twinOf(P);
  const node = ctx.get<Any>(G, "Nodes", a.node_id);
  if (!node) ctx.fail(P, "NodeNotExists");
  const farm = ctx.get<Any>(G, "Farms", node.farmId);
  if (!farm) ctx.fail(P, "FarmNotExists");
  const rent = ctx.get<number>(P, "ActiveRentContractForNode", a.node_id);
  if (rent !== null) {
    const rc = ctx.get<Any>(P, "Contracts", rent);
    if (rc && rc.twinId !== twinId) ctx.fail(P, "NodeNotAvailableToDeploy");
  } else if (farm.dedicatedFarm) {
    ctx.fail(P, "NodeNotAvailableToDeploy");
  }
  if (ctx.get<number>(P, "ContractIDByNodeIDAndHash", a.node_id, a.deployment_hash) !== 0) {
    ctx.fail(P, "ContractIsNotUnique");
  }
  checkSolutionProvider(ctx, a.solution_provider_id);
  const wanted = Number(a.public_ips);
  const free = (farm.publicIps as Any[]).filter((ip) => Number(ip.contractId) === 0);
  if (wanted > farm.publicIps.length) ctx.fail(P, "FarmHasNotEnoughPublicIPs");
  if (wanted > free.length) ctx.fail(P, "FarmHasNotEnoughPublicIPsFree");
  const contract = storeNew(ctx, twinId, {
    NodeContract: {
      nodeId: a.node_id,
      deploymentHash: a.deployment_hash,
      deploymentData: a.deployment_data,
      publicIps: wanted,
      publicIpsList: [],
    },
  }, a.solution_provider_id);
  const id = contract.contractId;
  if (wanted > 0) {
    const taken = free.slice(0, wanted);
    for (const ip of taken) ip.contractId = id;
    contract.contractType.NodeContract.publicIpsList = taken.map((ip) => ({ ...ip }));
    ctx.put(P, "Contracts", [id], contract);
    ctx.put(G, "Farms", [farm.id], farm);
  }
  ctx.put(P, "ContractIDByNodeIDAndHash", [a.node_id, a.deployment_hash], id);
  const active = ctx.get<number[]>(P, "ActiveNodeContracts", a.node_id) ?? [];
  active.push(id);
  ctx.put(P, "ActiveNodeContracts", [a.node_id], active);
  ctx.deposit(P, "ContractCreated", contract);
  if (wanted > 0) ctx.deposit(P, "IPsReserved", id, contract.contractType.NodeContract.publicIpsList);
}

/** Contract as stored, with contractType in the input shape (toJSON lower-cases enum keys). */
function loadContract(ctx: Ctx, id: number): Any | null {
  const c = ctx.get<Any>(P, "Contracts", id);
  if (!c) return null;
  const t = c.contractType;
  if (t.nodeContract) c.contractType = { NodeContract: t.nodeContract };
  else if (t.nameContract) c.contractType = { NameContract: t.nameContract };
  else if (t.rentContract) c.contractType = { RentContract: t.rentContract };
  const s = c.state;
  if (s && typeof s === "object") {
    if ("created" in s) c.state = { Created: null };
    else if ("gracePeriod" in s) c.state = { GracePeriod: s.gracePeriod };
    else if ("deleted" in s) c.state = { Deleted: s.deleted };
  }
  return c;
}

function updateNodeContract(ctx: Ctx, a: Any): void {
  const twinId = ctx.twinOf(P);
  const c = loadContract(ctx, a.contract_id);
  if (!c) ctx.fail(P, "ContractNotExists");
  if (c.twinId !== twinId) ctx.fail(P, "TwinNotAuthorizedToUpdateContract");
  const nc = c.contractType.NodeContract;
  if (!nc) ctx.fail(P, "InvalidContractType");
  if (c.state.GracePeriod !== undefined) ctx.fail(P, "CannotUpdateContractInGraceState");
  if (nc.deploymentHash !== a.deployment_hash) {
    if (ctx.get<number>(P, "ContractIDByNodeIDAndHash", nc.nodeId, a.deployment_hash) !== 0) {
      ctx.fail(P, "ContractIsNotUnique");
    }
    ctx.del(P, "ContractIDByNodeIDAndHash", nc.nodeId, nc.deploymentHash);
    ctx.put(P, "ContractIDByNodeIDAndHash", [nc.nodeId, a.deployment_hash], c.contractId);
  }
  nc.deploymentHash = a.deployment_hash;
  nc.deploymentData = a.deployment_data;
  ctx.put(P, "Contracts", [c.contractId], c);
  ctx.deposit(P, "ContractUpdated", c);
}

function removeContract(ctx: Ctx, id: number): void {
  ctx.del(P, "Contracts", id);
  ctx.del(P, "ContractBillingInformationByID", id);
  ctx.del(P, "NodeContractResources", id);
  ctx.del(P, "ContractLock", id);
}

function cancelContract(ctx: Ctx, a: Any): void {
  const twinId = ctx.twinOf(P);
  const c = loadContract(ctx, a.contract_id);
  if (!c) ctx.fail(P, "ContractNotExists");
  if (c.twinId !== twinId) ctx.fail(P, "TwinNotAuthorizedToCancelContract");
  const id = c.contractId;
  const t = c.contractType;
  if (t.NodeContract) {
    const nc = t.NodeContract;
    const active = (ctx.get<number[]>(P, "ActiveNodeContracts", nc.nodeId) ?? []).filter((x) => x !== id);
    if (active.length) ctx.put(P, "ActiveNodeContracts", [nc.nodeId], active);
    else ctx.del(P, "ActiveNodeContracts", nc.nodeId);
    ctx.del(P, "ContractIDByNodeIDAndHash", nc.nodeId, nc.deploymentHash);
    if (nc.publicIpsList.length) {
      const node = ctx.get<Any>(G, "Nodes", nc.nodeId);
      const farm = node ? ctx.get<Any>(G, "Farms", node.farmId) : null;
      if (farm) {
        for (const ip of farm.publicIps) if (Number(ip.contractId) === id) ip.contractId = 0;
        ctx.put(G, "Farms", [farm.id], farm);
      }
      ctx.deposit(P, "IPsFreed", id, nc.publicIpsList);
    }
    removeContract(ctx, id);
    ctx.deposit(P, "NodeContractCanceled", id, nc.nodeId, c.twinId);
  } else if (t.NameContract) {
    ctx.del(P, "ContractIDByNameRegistration", t.NameContract.name);
    removeContract(ctx, id);
    ctx.deposit(P, "NameContractCanceled", id);
  } else if (t.RentContract) {
    const nodeId = t.RentContract.nodeId;
    const active = ctx.get<number[]>(P, "ActiveNodeContracts", nodeId) ?? [];
    if (active.length) ctx.fail(P, "NodeHasActiveContracts");
    ctx.del(P, "ActiveRentContractForNode", nodeId);
    removeContract(ctx, id);
    ctx.deposit(P, "RentContractCanceled", id);
  }
}

function createNameContract(ctx: Ctx, a: Any): void {
  const twinId = ctx.twinOf(P);
  const name = bytesToString(a.name);
  if (name.length < 3) ctx.fail(P, "NameContractNameTooShort");
  if (name.length > 64) ctx.fail(P, "NameContractNameTooLong");
  if (!/^[a-z0-9-]+$/i.test(name)) ctx.fail(P, "NameNotValid");
  if (ctx.get<number>(P, "ContractIDByNameRegistration", a.name) !== 0) ctx.fail(P, "NameExists");
  const c = storeNew(ctx, twinId, { NameContract: { name: a.name } }, null);
  ctx.put(P, "ContractIDByNameRegistration", [a.name], c.contractId);
  ctx.deposit(P, "ContractCreated", c);
}

function createRentContract(ctx: Ctx, a: Any): void {
  const twinId = ctx.twinOf(P);
  const node = ctx.get<Any>(G, "Nodes", a.node_id);
  if (!node) ctx.fail(P, "NodeNotExists");
  if (ctx.has(P, "ActiveRentContractForNode", a.node_id)) ctx.fail(P, "NodeHasRentContract");
  const active = ctx.get<number[]>(P, "ActiveNodeContracts", a.node_id) ?? [];
  for (const cid of active) {
    const c = ctx.get<Any>(P, "Contracts", cid);
    if (c && c.twinId !== twinId) ctx.fail(P, "NodeNotAvailableToDeploy");
  }
  checkSolutionProvider(ctx, a.solution_provider_id);
  const c = storeNew(ctx, twinId, { RentContract: { nodeId: a.node_id } }, a.solution_provider_id);
  ctx.put(P, "ActiveRentContractForNode", [a.node_id], c.contractId);
  ctx.deposit(P, "ContractCreated", c);
}

function signerNode(ctx: Ctx): number {
  const twinId = ctx.twinOf(P);
  const nodeId = ctx.get<number>(G, "NodeIdByTwinID", twinId);
  if (!nodeId) ctx.fail(P, "NodeNotExists");
  return nodeId;
}

function contractOnNode(ctx: Ctx, id: number, nodeId: number): boolean {
  const c = loadContract(ctx, id);
  return Boolean(c && c.contractType.NodeContract && c.contractType.NodeContract.nodeId === nodeId);
}

function reportContractResources(ctx: Ctx, a: Any): void {
  const nodeId = signerNode(ctx);
  for (const r of a.contract_resources as Any[]) {
    // TFChain skips reports for contracts that are gone or belong to another node
    if (!contractOnNode(ctx, r.contractId, nodeId)) continue;
    ctx.put(P, "NodeContractResources", [r.contractId], r);
    ctx.deposit(P, "UpdatedUsedResources", r);
  }
}

function addNruReports(ctx: Ctx, a: Any): void {
  const nodeId = signerNode(ctx);
  for (const r of a.reports as Any[]) {
    if (!contractOnNode(ctx, r.contractId, nodeId)) continue;
    const info = ctx.get<Any>(P, "ContractBillingInformationByID", r.contractId);
    info.previousNuReported = r.nru;
    info.lastUpdated = ctx.nowSecs();
    ctx.put(P, "ContractBillingInformationByID", [r.contractId], info);
    ctx.deposit(P, "NruConsumptionReportReceived", r);
  }
}

export const contractCalls: Record<string, (ctx: Ctx, a: Any) => void> = {
  create_node_contract: createNodeContract,
  update_node_contract: updateNodeContract,
  cancel_contract: cancelContract,
  create_name_contract: createNameContract,
  create_rent_contract: createRentContract,
  report_contract_resources: reportContractResources,
  add_nru_reports: addNruReports,
};
