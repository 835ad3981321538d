// What the chain-purpose signer agrees to sign: an ExtrinsicPayload (the call followed by the signed
// extensions, as polkadot-js hands it to a signer) that decodes completely with TFChain's metadata and
// whose call — and every call nested in a utility batch — is in the grant's allow-list. Anything else
// (random bytes, an RMB challenge, a JWT, a transfer the grant does not list) is refused, so a process
// holding this signer can only get the node's signature on the calls it was granted.
import { Metadata, TypeRegistry } from "@polkadot/types";
import type { Call } from "@polkadot/types/interfaces";
import { compactToU8a, u8aConcat, u8aEq } from "@polkadot/util";
import { blake2AsU8a } from "@polkadot/util-crypto";
import { TFCHAIN_METADATA_BASE64 } from "../chain/tfchain-metadata.gen.ts";
import { checkAllowList } from "./allow-list.ts";

let shared: { registry: TypeRegistry; metadata: Metadata } | null = null;
/** The registry (and metadata) of the real TFChain metadata, built once per process (~0.2 s). */
export function tfchainRegistry(): TypeRegistry {
  return tfchain().registry;
}

export function tfchain(): { registry: TypeRegistry; metadata: Metadata } {
  if (!shared) {
    const registry = new TypeRegistry();
    const metadata = new Metadata(registry, new Uint8Array(Buffer.from(TFCHAIN_METADATA_BASE64, "base64")));
    registry.setMetadata(metadata);
    shared = { registry, metadata };
  }
  return shared;
}

export class RefusedPayload extends Error {
  constructor(message: string) {
    super(`denied: chain signer: ${message}`);
    this.name = "RefusedPayload";
  }
}

const BATCHES = new Set(["utility.batch", "utility.batchAll", "utility.forceBatch"]);
const MAX_NESTED_CALLS = 64;

/** `section.method` as polkadot-js names it (`tfgridModule.createNode`), the form grants list. */
function callName(registry: TypeRegistry, call: Call): string {
  const m = registry.findMetaCall(call.callIndex);
  return `${m.section}.${m.method}`;
}

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
    this.allowed = new Set(allowed);
  }

  /** Decodes and checks `payload`; throws RefusedPayload naming why. */
  check(payload: Uint8Array): CheckedPayload {
    const registry = tfchainRegistry();
    let call: Call;
    try {
      call = registry.createType("Call", payload);
      const rebuilt = registry.createType(
        "ExtrinsicPayload",
        u8aConcat(compactToU8a(call.encodedLength), payload),
        { version: 4 },
      );
      // a complete, canonical payload: re-encoding gives back exactly the bytes we were given
      if (!u8aEq(rebuilt.toU8a({ method: true }), payload)) throw new Error("trailing or non-canonical bytes");
    } catch (err) {
      throw new RefusedPayload(`not a TFChain extrinsic payload (${(err as Error).message.split("\n")[0]})`);
    }
    const calls: string[] = [];
    const visit = (c: Call, depth: number) => {
      const name = callName(registry, c);
      calls.push(name);
      if (calls.length > MAX_NESTED_CALLS) throw new RefusedPayload(`more than ${MAX_NESTED_CALLS} calls in one extrinsic`);
      if (!this.allowed.has(name)) {
        throw new RefusedPayload(`call ${name} is not in this grant's allow-list (${[...this.allowed].join(", ") || "empty"})`);
      }
      if (BATCHES.has(name)) {
        if (depth > 0) throw new RefusedPayload("nested batches are not signed");
        for (const inner of (c.args[0] as unknown as Call[])) visit(inner, depth + 1);
      }
    };
    visit(call, 0);
    return { calls, toSign: payload.length > 256 ? blake2AsU8a(payload, 256) : payload };
  }
}
