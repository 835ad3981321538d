// The DeploymentCodec over the node's deployment model (modules/lib/gridtypes): Go-compatible decoding,
// validation and challenge hashes.
import { challengeHash, clientChallenge, md5, parseDeployment, validateDeployment } from "../lib/gridtypes/deployment.ts";
import type { Deployment } from "../lib/gridtypes/types.ts";
import type { DecodedDeployment, DeploymentCodec } from "./ports.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

export const gridtypesCodec: DeploymentCodec = {
  decode(payload: string): DecodedDeployment {
    const d: Deployment = parseDeployment(payload);
    validateDeployment(d);
    if (d.contract_id > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`contract_id ${d.contract_id} is larger than any contract this chain can hold`);
    }
    const hashes = [challengeHash(d)];
    const client = clientChallenge(d);
    if (client !== null) hashes.push(hex(md5(client)));
    return { twinId: d.twin_id, contractId: Number(d.contract_id), version: d.version, hashes, value: d, raw: payload };
  },
};
