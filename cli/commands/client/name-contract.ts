// Gateway names as the official client handles them: a `gateway-name-proxy` needs a chain name contract
// for its name owned by the deploying twin, so `zos client deploy` makes one when the name is free and
// reuses the user's own. A name held by another twin is left alone: the node refuses that workload.
import type { Deployment } from "../../../modules/lib/gridtypes/types.ts";
import { gatewayNameHandler } from "../../../modules/lib/gridtypes/workloads/misc.ts";
import { submitTx } from "./chain_tx.ts";
import type { UserSession } from "./session.ts";

/** Names of the deployment's gateway-name-proxy workloads. */
export function gatewayNames(d: Deployment): string[] {
  return d.workloads.filter((w) => w.type === "gateway-name-proxy" && w.data !== undefined).map((w) => gatewayNameHandler.decode(w.data!, "data").name);
}

export interface NameContract {
  name: string;
  contract_id: number;
  created: boolean;
  /** the twin holding it when that is not the user */
  owner?: number;
}

export async function ensureNameContracts(s: UserSession, names: string[]): Promise<NameContract[]> {
  const out: NameContract[] = [];
  for (const name of names) {
    const existing = Number((await s.api.query.smartContractModule.contractIDByNameRegistration(name)).toPrimitive() ?? 0);
    if (existing) {
      const c = (await s.api.query.smartContractModule.contracts(existing)).toPrimitive() as { twinId?: number } | null;
      const owner = Number(c?.twinId ?? 0);
      out.push({ name, contract_id: existing, created: false, ...(owner !== s.twinId ? { owner } : {}) });
      continue;
    }
    const events = await submitTx(s.api, s.api.tx.smartContractModule.createNameContract(name), s.pair);
    const created = events.find((e) => e.section === "smartContractModule" && e.method === "ContractCreated");
    const c = created?.data[0] as { contractId?: number; contract_id?: number } | undefined;
    out.push({ name, contract_id: Number(c?.contractId ?? c?.contract_id ?? 0), created: true });
  }
  return out;
}
