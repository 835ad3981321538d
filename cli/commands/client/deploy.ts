// `zos client deploy F`: complete the deployment for this user, create the node contract with its
// hash, sign it, send it to the node over RMB and follow its workloads until they settle.
import { challenge, challengeHash, deploymentJson, md5, parseDeployment, validateDeployment } from "../../../modules/lib/gridtypes/deployment.ts";
import type { Deployment } from "../../../modules/lib/gridtypes/types.ts";
import { ChainTxError, submitTx } from "./chain_tx.ts";
import type { UserSession } from "./session.ts";
import { ensureNameContracts, gatewayNames } from "./name-contract.ts";

export class DeployInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeployInputError";
  }
}

export interface Progress {
  (event: string, fields: Record<string, unknown>): void;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Fills what the user does not write by hand (twin, contract 0, a signature request for the user)
 * and validates with the node's own rules. */
export function prepareDeployment(text: string, twinId: number): Deployment {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DeployInputError(`not valid JSON: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new DeployInputError("the file must hold one deployment object");
  const twin = raw.twin_id ?? 0;
  if (twin !== 0 && twin !== twinId) {
    throw new DeployInputError(`twin_id ${twin} in the file is not your twin (${twinId}); remove it or set it to ${twinId}`);
  }
  raw.twin_id = twinId;
  raw.contract_id = 0;
  raw.version ??= 0;
  const sr = (raw.signature_requirement ?? {}) as Record<string, unknown>;
  if (!Array.isArray(sr.requests) || sr.requests.length === 0) {
    raw.signature_requirement = { requests: [{ twin_id: twinId, required: false, weight: 1 }], weight_required: 1, signatures: [] };
  } else {
    raw.signature_requirement = { ...sr, signatures: [] };
  }
  let d: Deployment;
  try {
    d = parseDeployment(JSON.stringify(raw));
    validateDeployment(d);
  } catch (err) {
    throw new DeployInputError((err as Error).message);
  }
  if (d.version !== 0) throw new DeployInputError(`a new deployment has version 0, the file says ${d.version}`);
  return d;
}

/** JSON value of a deployment for the wire (u64 values are far below 2^53 in practice). */
export function wireJson(d: Deployment): unknown {
  return JSON.parse(deploymentJson(d));
}

export async function signDeployment(d: Deployment, s: UserSession): Promise<void> {
  const sig = await s.signer.sign(md5(challenge(d)));
  d.signature_requirement.signatures = d.signature_requirement.signatures.filter((x) => x.twin_id !== s.twinId);
  d.signature_requirement.signatures.push({ twin_id: s.twinId, signature: hex(sig), signature_type: s.signer.type });
}

export async function createNodeContract(s: UserSession, hash: string): Promise<number> {
  const tx = s.api.tx.smartContractModule.createNodeContract(s.nodeId, hash, "", 0, null);
  const events = await submitTx(s.api, tx, s.pair);
  const created = events.find((e) => e.section === "smartContractModule" && e.method === "ContractCreated");
  const c = created?.data[0] as { contractId?: number; contract_id?: number } | undefined;
  const id = c?.contractId ?? c?.contract_id;
  if (typeof id !== "number") throw new ChainTxError("the chain did not report the created contract id");
  return id;
}

export async function cancelContract(s: UserSession, id: number): Promise<void> {
  await submitTx(s.api, s.api.tx.smartContractModule.cancelContract(id), s.pair);
}

export interface WorkloadView {
  name: string;
  type: string;
  state: string;
  message: string;
  data: unknown;
}

export function workloadViews(dep: unknown): WorkloadView[] {
  const wls = (dep as { workloads?: Record<string, unknown>[] })?.workloads ?? [];
  return wls.map((w) => {
    const r = (w.result ?? {}) as Record<string, unknown>;
    return {
      name: String(w.name),
      type: String(w.type),
      state: String(r.state ?? "") || "init",
      message: String(r.message ?? ""),
      data: r.data ?? null,
    };
  });
}

const settled = (s: string) => s === "ok" || s === "error" || s === "deleted" || s === "unchanged" || s === "paused";

/** Polls zos.deployment.get until every workload settled (or the deadline). */
export async function follow(s: UserSession, contractId: number, timeoutMs: number, progress: Progress): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  const last = new Map<string, string>();
  let dep: unknown = null;
  while (true) {
    dep = await s.peer.request(s.nodeTwinId, "zos.deployment.get", { contract_id: contractId }, { timeoutMs: 20_000 });
    const views = workloadViews(dep);
    for (const w of views) {
      if (last.get(w.name) !== w.state) {
        last.set(w.name, w.state);
        progress("workload", { name: w.name, type: w.type, state: w.state, message: w.message });
      }
    }
    if (views.every((w) => settled(w.state))) return dep;
    if (Date.now() > deadline) {
      progress("timeout", { waiting_for: views.filter((w) => !settled(w.state)).map((w) => w.name) });
      return dep;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface DeployResult {
  contract_id: number;
  hash: string;
  deployment: unknown;
  ok: boolean;
}

export async function deploy(s: UserSession, text: string, timeoutMs: number, progress: Progress): Promise<DeployResult> {
  const d = prepareDeployment(text, s.twinId);
  const hash = challengeHash(d);
  for (const nc of await ensureNameContracts(s, gatewayNames(d))) progress("name_contract", { ...nc });
  progress("contract", { node_id: s.nodeId, hash });
  const contractId = await createNodeContract(s, hash);
  progress("contract_created", { contract_id: contractId });
  d.contract_id = BigInt(contractId);
  await signDeployment(d, s);
  try {
    await s.peer.request(s.nodeTwinId, "zos.deployment.deploy", wireJson(d), { timeoutMs: 20_000 });
  } catch (err) {
    // The node refused: do not leave a contract billing for nothing.
    progress("deploy_refused", { contract_id: contractId, reason: (err as Error).message });
    await cancelContract(s, contractId).catch((e) =>
      progress("cancel_failed", { contract_id: contractId, reason: (e as Error).message }));
    throw err;
  }
  progress("accepted", { contract_id: contractId, node_twin_id: s.nodeTwinId });
  const dep = await follow(s, contractId, timeoutMs, progress);
  const ok = workloadViews(dep).every((w) => w.state === "ok");
  return { contract_id: contractId, hash, deployment: dep, ok };
}
