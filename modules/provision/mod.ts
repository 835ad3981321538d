// Public surface of the provisioning engine library (modules/provision).
export { Engine, type EngineOptions, type Statistics } from "./engine.ts";
export { type DurableStore, MemoryStore, type StoreOp } from "./store.ts";
export { FileStore, type FileStoreOptions } from "./file-store.ts";
export { type KvBackend, KvDurableStore } from "./kv-store.ts";
export {
  type CapacitySource,
  type Clock,
  type ContractChecker,
  NO_ACTION,
  systemClock,
  type TwinKeys,
  UnchangedError,
  type WorkloadContext,
  type WorkloadManager,
} from "./interfaces.ts";
export { isOkay, usableMemory } from "./capacity.ts";
export { type ChainReads, contractCheckerFromChain, deploymentHashText, twinKeysFromChain } from "./chain-adapters.ts";
