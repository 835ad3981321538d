// Weights of the dev chain, the Substrate way: every dispatched call has a weight (a batch weighs the
// sum of its calls plus an overhead per item), an extrinsic may not exceed the block's normal-class
// weight, a block stops filling at that limit, and the fee grows with weight, not only with bytes. The
// numbers are the dev chain's own (TFChain's benchmarks are not reproduced); the mechanism is Substrate's.
import type { AnyTuple, CallBase } from "@polkadot/types/types";
import { compactFromU8a } from "@polkadot/util";
import type { ChainMeta } from "./meta.ts";

type Call = CallBase<AnyTuple>;

/** ref-time (ps) of one dispatched call: 1 ms. */
export const CALL_REF_TIME = 1_000_000_000;
export const CALL_PROOF_SIZE = 4_096;
/** utility's per-item overhead, on top of the item's own weight */
export const BATCH_ITEM_REF_TIME = 100_000_000;
/** normal-class share (75 %) of a 2 s block: 1.5 s of ref-time = 1,500 plain calls */
export const MAX_BLOCK_REF_TIME = 1_500_000_000_000;
export const MAX_EXTRINSIC_REF_TIME = MAX_BLOCK_REF_TIME;
/** planck per 100,000 ps of ref-time: 0.001 TFT per plain call, ~1.1 TFT for a batch of 1,000 */
export const WEIGHT_FEE_DIVISOR = 100_000n;

const BATCHES = new Set(["batch", "batchAll", "forceBatch"]);

export interface Weight {
  refTime: number;
  proofSize: number;
}

/** The weight of a decoded call, batches counted item by item (nested ones too). */
export function callWeight(meta: ChainMeta, call: Call): Weight {
  const pallet = meta.palletName(call.callIndex[0]);
  if (pallet === "Utility" && BATCHES.has(call.method)) {
    let refTime = CALL_REF_TIME;
    let proofSize = CALL_PROOF_SIZE;
    for (const inner of call.args[0] as unknown as Call[]) {
      const w = callWeight(meta, inner);
      refTime += w.refTime + BATCH_ITEM_REF_TIME;
      proofSize += w.proofSize;
    }
    return { refTime, proofSize };
  }
  return { refTime: CALL_REF_TIME, proofSize: CALL_PROOF_SIZE };
}

export function weightFee(w: Weight): bigint {
  return BigInt(w.refTime) / WEIGHT_FEE_DIVISOR;
}

/**
 * Before the (costly) full decode: when the call at `callOffset` is a utility batch, its item count, read
 * from the SCALE compact that starts its argument. Lets the pool refuse a batch of 300,000 calls in
 * microseconds instead of spending a minute decoding it. Null when the call is not a batch.
 */
export function batchItemsAt(meta: ChainMeta, bytes: Uint8Array, callOffset: number): number | null {
  if (callOffset + 3 > bytes.length) return null;
  let name: string;
  try {
    if (bytes[callOffset] !== meta.mustPallet("Utility").index) return null;
    name = meta.registry.findMetaCall(bytes.subarray(callOffset, callOffset + 2)).method;
  } catch {
    return null;
  }
  if (!BATCHES.has(name)) return null;
  try {
    const [, n] = compactFromU8a(bytes.subarray(callOffset + 2));
    return n.toNumber();
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

/** A call that carries calls (utility batches, as_derivative, scheduler, proposals) decodes at ~3 bytes per
 * call object, the most expensive input there is; such extrinsics are held to this size. */
export const MAX_NESTING_EXTRINSIC_BYTES = 4096;

const nestingCache = new WeakMap<ChainMeta, Set<number>>();
/** True when the call at `callOffset` has an argument that is itself a call (or a list of calls). */
export function carriesCallsAt(meta: ChainMeta, bytes: Uint8Array, callOffset: number): boolean {
  let set = nestingCache.get(meta);
  if (!set) {
    set = new Set();
    for (const p of meta.registry.metadata.pallets) {
      if (p.calls.isNone) continue;
      const t = meta.registry.lookup.getSiType(p.calls.unwrap().type);
      for (const v of t.def.asVariant.variants) {
        if (v.fields.some((f) => /RuntimeCall|Proposal/.test(f.typeName.toString()))) set.add(p.index.toNumber() * 256 + v.index.toNumber());
      }
    }
    nestingCache.set(meta, set);
  }
  if (callOffset + 2 > bytes.length) return false;
  return set.has(bytes[callOffset] * 256 + bytes[callOffset + 1]);
}

/** Plain calls that fit one extrinsic, for error messages. */
export const MAX_CALLS_PER_EXTRINSIC = Math.floor(MAX_EXTRINSIC_REF_TIME / (CALL_REF_TIME + BATCH_ITEM_REF_TIME)) - 1;
