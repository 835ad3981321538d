// ContractReader over the chain driver's read facet: SmartContractModule.Contracts(id) reduced to what
// the api's contract check needs. The deployment hash is stored as the 32 ASCII bytes of the hex text.
import type { ChainClient } from "../../../capabilities/chain/mod.ts";
import type { ChainContract, ContractReader } from "../../../modules/api/ports.ts";

// deno-lint-ignore no-explicit-any
type Plain = any;

function hashText(v: unknown): string {
  const s = String(v ?? "");
  if (/^0x([0-9a-f]{2})+$/i.test(s)) {
    return new TextDecoder().decode(Uint8Array.from(s.slice(2).match(/../g)!, (x) => parseInt(x, 16)));
  }
  return s;
}

export class DriverContractReader implements ContractReader {
  #client: ChainClient;
  constructor(client: ChainClient) {
    this.#client = client;
  }

  async contract(contractId: number): Promise<ChainContract | null> {
    const c: Plain = await this.#client.read.contract(contractId);
    if (!c) return null;
    const type: Record<string, Plain> = c.contractType ?? {};
    const [variant] = Object.keys(type);
    const base = { contract_id: contractId, twin_id: Number(c.twinId) };
    if (variant?.toLowerCase() === "nodecontract") {
      const n = type[variant];
      return { ...base, kind: "node", node_id: Number(n.nodeId), deployment_hash: hashText(n.deploymentHash) };
    }
    return { ...base, kind: (variant ?? "unknown").replace(/Contract$/i, "").toLowerCase() };
  }
}
