// capabilities/identity: the node key (seed file) and what may be derived from it without exposing it.
export {
  type KeyType,
  NodeIdentity,
  type PublicIdentity,
  type Purpose,
  PURPOSES,
  type ExtrinsicSigner,
  type RmbSigner,
  type Signer,
} from "./identity.ts";
export { ExtrinsicPolicy, RefusedPayload } from "./chain-policy.ts";
export { tfchain, tfchainRegistry } from "./tfchain-registry.ts";
export {
  encodeSeedFile,
  loadOrCreateSeed,
  parseSeedFile,
  SEED_VERSION,
  SeedError,
  writeSeedFile,
} from "./seed.ts";
