// The engine's chain-facing interfaces built on the chain driver's read facet (capabilities/chain
// ChainReader, or its capability client later): twin keys from TfgridModule.Twins (cached 60 min, as
// zos does) and the node-contract check from SmartContractModule.Contracts + ActiveRentContractForNode.
// Values arrive as the driver gives them: `toPrimitive()` JSON of the SCALE values.
import type { Clock, ContractChecker, TwinKeys } from "./interfaces.ts";
import { systemClock } from "./interfaces.ts";

/** The part of the chain reader these adapters use. */
export interface ChainReads {
  twin(id: number): Promise<unknown>;
  contract(id: number): Promise<unknown>;
  rentContractForNode?(nodeId: number): Promise<number | null>;
}

const TWIN_CACHE_SECONDS = 3600;

/** Twin id → 32-byte account key (SS58 address or 0x-hex as the chain returns it). */
export function twinKeysFromChain(read: ChainReads, clock: Clock = systemClock): TwinKeys {
  const cache = new Map<number, { key: Uint8Array; at: number }>();
  return {
    async getKey(id) {
      const hit = cache.get(id);
      if (hit && clock.now() - hit.at < TWIN_CACHE_SECONDS) return hit.key;
      const twin = (await read.twin(id)) as { accountId?: unknown } | null;
      if (!twin) throw new Error(`twin ${id} does not exist on chain`);
      if (typeof twin.accountId !== "string") throw new Error(`twin ${id} has no account id on chain`);
      // loaded on the first twin lookup, not at start: @polkadot/util-crypto's top-level code costs the
      // process start-up time and memory it may never need (docs/PERFORMANCE.md, boot and footprint)
      const { decodeAddress } = await import("@polkadot/util-crypto");
      let key: Uint8Array;
      try {
        key = decodeAddress(twin.accountId);
      } catch (e) {
        throw new Error(`twin ${id} has an unreadable account id ${JSON.stringify(twin.accountId)}: ${(e as Error).message}`);
      }
      if (key.length !== 32) throw new Error(`twin ${id} account id is ${key.length} bytes, expected 32`);
      cache.set(id, { key, at: clock.now() });
      return key;
    },
  };
}

/** deployment_hash as text: the chain stores the 32 ASCII hex characters; toPrimitive may give them as 0x-hex. */
export function deploymentHashText(v: unknown): string | null {
  if (typeof v !== "string") return null;
  if (/^0x[0-9a-fA-F]{64}$/.test(v)) {
    const bytes = v.slice(2).match(/../g)!.map((b) => parseInt(b, 16));
    return String.fromCharCode(...bytes);
  }
  return v;
}

/** The engine's contract check against this node (`nodeId`), as provisiond's validation does. */
export function contractCheckerFromChain(read: ChainReads, nodeId: number): ContractChecker {
  return {
    async check(id, hash) {
      const c = (await read.contract(Number(id))) as { contractType?: { nodeContract?: { nodeId?: number; deploymentHash?: unknown } } } | null;
      if (!c) throw new Error(`contract ${id} does not exist on chain`);
      const nc = c.contractType?.nodeContract;
      if (!nc) throw new Error(`contract ${id} is not a node contract`);
      if (nc.nodeId !== nodeId) throw new Error(`contract ${id} is for node ${nc.nodeId}, not this node (${nodeId})`);
      const onChain = deploymentHashText(nc.deploymentHash);
      if (onChain !== hash) throw new Error(`contract ${id} hash mismatch: the chain has ${JSON.stringify(onChain)}, the deployment hashes to ${hash}`);
      const rent = read.rentContractForNode ? await read.rentContractForNode(nodeId) : null;
      return { rented: rent !== null };
    },
  };
}
