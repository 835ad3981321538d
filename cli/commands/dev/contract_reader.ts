// ContractReader over @polkadot/api: SmartContractModule.Contracts(id) reduced to what the api's
// contract check needs. The deployment hash is stored as the 32 ASCII bytes of the hex text.
import type { ApiPromise } from "@polkadot/api";
import type { ChainContract, ContractReader } from "../../../modules/api/ports.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

function hashText(v: Any): string {
  const bytes: Uint8Array = v?.toU8a ? v.toU8a(true) : new Uint8Array();
  return new TextDecoder().decode(bytes);
}

export class PolkadotContractReader implements ContractReader {
  #api: ApiPromise;
  constructor(api: ApiPromise) {
    this.#api = api;
  }

  async contract(contractId: number): Promise<ChainContract | null> {
    const o: Any = await (this.#api.query as Any).smartContractModule.contracts(contractId);
    if (!o || o.isNone) return null;
    const c = o.unwrap();
    const type = c.contractType;
    const base = { contract_id: contractId, twin_id: Number(c.twinId.toString()) };
    if (type.isNodeContract) {
      const n = type.asNodeContract;
      return { ...base, kind: "node", node_id: Number(n.nodeId.toString()), deployment_hash: hashText(n.deploymentHash) };
    }
    return { ...base, kind: type.isNameContract ? "name" : type.isRentContract ? "rent" : String(type.type).toLowerCase() };
  }
}
