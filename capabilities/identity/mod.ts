// capabilities/identity: the node key (seed file) and what may be derived from it without exposing it.
export { NodeIdentity, PURPOSES, type KeyType, type PublicIdentity, type Purpose, type Signer } from "./identity.ts";
export { SEED_VERSION, SeedError, encodeSeedFile, loadOrCreateSeed, parseSeedFile, writeSeedFile } from "./seed.ts";
