// What the chain-purpose signer agrees to sign: an ExtrinsicPayload (the call followed by the signed
// extensions, as polkadot-js hands it to a signer) that decodes completely and canonically as TFChain's
// metadata defines it, and whose call — and every call nested in a utility batch — is in the grant's
// allow-list. Anything else (random bytes, an RMB challenge, a JWT, a transfer the grant does not list) is
// refused, so a process holding this signer can only get the node's signature on the calls it was granted.
// The decoder (tfchain-decoder.ts) is generated from the metadata at build time and knows only the calls a
// signer can be granted: @polkadot/types and the whole metadata are not resident in the identity driver.
import { blake2b } from "@noble/hashes/blake2b";
import { checkAllowList } from "./allow-list.ts";
import { type CallMet, decodePayload, isKnownCall, isSignableCall, UndecodableCall } from "./tfchain-decoder.ts";

export class RefusedPayload extends Error {
  constructor(message: string) {
    super(`denied: chain signer: ${message}`);
    this.name = "RefusedPayload";
  }
}

const BATCHES = new Set(["utility.batch", "utility.batchAll", "utility.forceBatch"]);
const MAX_NESTED_CALLS = 64;

export interface CheckedPayload {
  /** the calls the payload carries, outermost first */
  calls: string[];
  /** the bytes to sign: the payload, or its blake2-256 when longer than 256 bytes (Substrate's rule) */
  toSign: Uint8Array;
}

export class ExtrinsicPolicy {
  readonly allowed: ReadonlySet<string>;

  constructor(allowed: readonly string[]) {
    checkAllowList(allowed);
    for (const c of allowed) {
      // a real call the generated decoder cannot decode would be refused at every payload: say so now
      if (isKnownCall(c) && !isSignableCall(c)) {
        throw new Error(`chain signer: allow-list entry "${c}" has no generated decoder; add it to SIGNABLE in tools/gen-tfchain-calls.ts and regenerate`);
      }
    }
    this.allowed = new Set(allowed);
  }

  /** Decodes and checks `payload`; throws RefusedPayload naming why. */
  check(payload: Uint8Array): CheckedPayload {
    let met: CallMet[];
    let complete = true;
    try {
      met = decodePayload(payload);
    } catch (err) {
      // a call without generated arguments is in no allow-list: refused below by name, as polkadot-js would
      if (!(err instanceof UndecodableCall)) throw new RefusedPayload(`not a TFChain extrinsic payload (${(err as Error).message})`);
      met = err.calls;
      complete = false;
    }
    // every call in decoding order (a batch, then its calls); the first problem refuses the payload
    const calls: string[] = [];
    for (const { name, depth } of met) {
      calls.push(name);
      if (calls.length > MAX_NESTED_CALLS) throw new RefusedPayload(`more than ${MAX_NESTED_CALLS} calls in one extrinsic`);
      if (!this.allowed.has(name)) {
        throw new RefusedPayload(`call ${name} is not in this grant's allow-list (${[...this.allowed].join(", ") || "empty"})`);
      }
      if (BATCHES.has(name) && depth > 0) throw new RefusedPayload("nested batches are not signed");
    }
    if (!complete) throw new RefusedPayload("a call could not be decoded"); // unreachable: the constructor's check
    return { calls, toSign: payload.length > 256 ? blake2b(payload, { dkLen: 32 }) : payload };
  }
}
