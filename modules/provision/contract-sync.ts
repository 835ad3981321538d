// Contract cancellation, as provisiond: a NodeContractCanceled event for this node uninstalls the deployment
// at once ("contract canceled event received"), and a periodic sync uninstalls any stored deployment whose
// contract is no longer on chain ("contract not active on chain"), so a missed event or a cancel while the
// node was down still frees the space.
import type { Deployment } from "../lib/gridtypes/mod.ts";

export interface CancelTarget {
  list(): Deployment[];
  deprovision(twin: number, contract: bigint, reason: string): Promise<void>;
}

export interface ContractReads {
  contract(id: number): Promise<unknown>;
}

export class ContractSync {
  readonly #engine: CancelTarget;
  readonly #read: ContractReads;
  readonly #nodeId: () => Promise<number>;
  readonly #queued = new Set<string>();
  /** contracts found missing in the last pass: only a second pass in a row uninstalls (a restarting chain
   *  driver can answer "absent" for a moment, and uninstalling deletes user data) */
  #missing = new Set<string>();

  constructor(engine: CancelTarget, read: ContractReads, nodeId: () => Promise<number>) {
    this.#engine = engine;
    this.#read = read;
    this.#nodeId = nodeId;
  }

  async #cancel(d: Deployment, reason: string): Promise<void> {
    const key = `${d.twin_id}-${d.contract_id}`;
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    await this.#engine.deprovision(d.twin_id, d.contract_id, reason);
  }

  /** A chain event: ("smartContractModule", "NodeContractCanceled", [contract, node, twin]). */
  async onEvent(section: string, method: string, data: unknown[]): Promise<void> {
    if (section !== "smartContractModule" || method !== "NodeContractCanceled") return;
    const [contract, node] = data.map((x) => Number(x));
    if (node !== (await this.#nodeId())) return;
    const d = this.#engine.list().find((x) => Number(x.contract_id) === contract);
    if (d) await this.#cancel(d, "contract canceled event received");
  }

  async sync(): Promise<void> {
    const node = await this.#nodeId();
    const missing = new Set<string>();
    for (const d of this.#engine.list()) {
      const c = (await this.#read.contract(Number(d.contract_id))) as { contractType?: { nodeContract?: { nodeId?: number } } } | null;
      if (c?.contractType?.nodeContract?.nodeId === node) continue;
      const key = `${d.twin_id}-${d.contract_id}`;
      missing.add(key);
      if (this.#missing.has(key)) await this.#cancel(d, "contract not active on chain");
    }
    this.#missing = missing;
  }
}
