// TFKVStore (pallet_kvstore, index 30): a per-account key-value store. GridClient lists it on every
// connect (its key-migration step) and its kvstore module reads and writes it. Semantics of
// tfchain's pallet-kvstore: `set` overwrites, `delete` fails with NoValueStored when absent.
import type { Ctx } from "./context.ts";

const P = "TFKVStore";
const MAX_KEY_BYTES = 512;
const MAX_VALUE_BYTES = 2048;

// deno-lint-ignore no-explicit-any
type Any = any;

/** Byte length of a `Bytes` argument as toJSON() gives it (0x hex). */
function byteLength(hex: string): number {
  return (hex.length - 2) / 2;
}

function set(ctx: Ctx, a: Any): void {
  if (byteLength(a.key) > MAX_KEY_BYTES) ctx.fail(P, "KeyIsTooLarge");
  if (byteLength(a.value) > MAX_VALUE_BYTES) ctx.fail(P, "ValueIsTooLarge");
  ctx.put(P, "TFKVStore", [ctx.signer, a.key], a.value);
  ctx.deposit(P, "EntrySet", ctx.signer, a.key, a.value);
}

function remove(ctx: Ctx, a: Any): void {
  if (!ctx.has(P, "TFKVStore", ctx.signer, a.key)) ctx.fail(P, "NoValueStored");
  const value = ctx.get<string>(P, "TFKVStore", ctx.signer, a.key);
  ctx.del(P, "TFKVStore", ctx.signer, a.key);
  ctx.deposit(P, "EntryTaken", ctx.signer, a.key, value);
}

export const kvstoreCalls = { set, delete: remove };
