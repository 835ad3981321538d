// The chain contract check of ZOS-REFERENCE §3.6, run before a deployment reaches the engine: the
// contract exists, is a node contract for this node, belongs to the sender, and carries the hash of
// exactly this deployment. Zero-OS runs it later in the engine and reports failures in workload results;
// we refuse up front so nothing is stored for a deployment the chain does not back (the reply says why).
import { ApiError } from "./errors.ts";
import type { ContractReader } from "./ports.ts";

export interface ContractCheckInput {
  senderTwin: number;
  contractId: number;
  nodeId: number;
  /** accepted hashes (the node's rendering first) */
  deploymentHashes: string[];
}

export async function checkNodeContract(contracts: ContractReader, input: ContractCheckInput): Promise<void> {
  const { senderTwin, contractId, nodeId, deploymentHashes } = input;
  if (contractId === 0) {
    throw new ApiError("deployment has contract_id 0: create the node contract on chain first and set its id");
  }
  const contract = await contracts.contract(contractId);
  if (!contract) throw new ApiError(`contract ${contractId} does not exist on chain`);
  if (contract.kind !== "node") {
    throw new ApiError(`contract ${contractId} is a ${contract.kind} contract, not a node contract`);
  }
  if (contract.node_id !== nodeId) {
    throw new ApiError(`contract ${contractId} is for node ${contract.node_id}, not for this node (${nodeId})`);
  }
  if (contract.twin_id !== senderTwin) {
    throw new ApiError(`contract ${contractId} belongs to twin ${contract.twin_id}, not to the sender twin ${senderTwin}`);
  }
  const onChain = (contract.deployment_hash ?? "").toLowerCase();
  if (!deploymentHashes.some((h) => h.toLowerCase() === onChain)) {
    throw new ApiError(
      `contract ${contractId} hash "${onChain}" does not match the deployment hash "${deploymentHashes[0]}": ` +
        "update the contract with the hash of this deployment",
    );
  }
}
