// The chain signer's former policy, over @polkadot/types and the whole TFChain metadata: decode the payload as a
// Call + ExtrinsicPayload, require the re-encoding to give back exactly the input, then check every call (and
// every call in a utility batch) against the allow-list. tfchain-decoder.test.ts compares the generated decoder
// (chain-policy.ts) with it over real and mutated payloads: both must refuse and accept the same bytes.
import type { Call } from "@polkadot/types/interfaces";
import { compactToU8a, u8aConcat, u8aEq } from "@polkadot/util";
import type { TypeRegistry } from "@polkadot/types";
import { tfchainRegistry } from "../tfchain-registry.ts";

const BATCHES = new Set(["utility.batch", "utility.batchAll", "utility.forceBatch"]);

function callName(registry: TypeRegistry, call: Call): string {
  const m = registry.findMetaCall(call.callIndex);
  return `${m.section}.${m.method}`;
}

/** The calls the payload carries (outermost first), or the reason it is refused. */
export function polkadotCheck(allowed: ReadonlySet<string>, payload: Uint8Array): { calls: string[] } | { refused: string } {
  const registry = tfchainRegistry();
  let call: Call;
  try {
    call = registry.createType("Call", payload);
    const rebuilt = registry.createType("ExtrinsicPayload", u8aConcat(compactToU8a(call.encodedLength), payload), { version: 4 });
    if (!u8aEq(rebuilt.toU8a({ method: true }), payload)) throw new Error("trailing or non-canonical bytes");
  } catch (err) {
    return { refused: `not a TFChain extrinsic payload (${(err as Error).message.split("\n")[0]})` };
  }
  const calls: string[] = [];
  const visit = (c: Call, depth: number): string | null => {
    const name = callName(registry, c);
    calls.push(name);
    if (calls.length > 64) return "more than 64 calls in one extrinsic";
    if (!allowed.has(name)) return `call ${name} is not in this grant's allow-list`;
    if (BATCHES.has(name)) {
      if (depth > 0) return "nested batches are not signed";
      for (const inner of (c.args[0] as unknown as Call[])) {
        const why = visit(inner, depth + 1);
        if (why) return why;
      }
    }
    return null;
  };
  const why = visit(call, 0);
  return why ? { refused: why } : { calls };
}
