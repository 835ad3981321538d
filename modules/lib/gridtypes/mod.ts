// Public surface of the pure deployment model library (no I/O). Other modules import from here.
export * from "./types.ts";
export { challenge, challengeHash, clientChallenge, decodeDeployment, deploymentJson, parseDeployment, validateDeployment, workloadCapacity, workloadData, workloadJson } from "./deployment.ts";
export { ed25519Verify, sr25519Verify, verifyDeployment, type TwinKeys, type VerifyResult } from "./verify.ts";
export { upgradeOps, type UpgradeOp } from "./upgrade.ts";
export { HANDLERS, INSTALL_ORDER, SHARABLE_TYPES, UPDATABLE_TYPES, WORKLOAD_TYPES } from "./registry.ts";
export { nameError, networkId, uniqueName, workloadId } from "./names.ts";
export { goIPNetString, goIPString, parseGoIP, parseGoIPNet } from "./ip.ts";
export { parseJson, stringifyJson, JsonNumber, JsonObject, type JsonValue } from "./json.ts";
