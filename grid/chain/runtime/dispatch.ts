// Routes a decoded call to its implementation. Calls the dev chain does not implement fail with a
// dispatch error (never a silent success); the chain log names the call.
import type { AnyTuple, CallBase } from "@polkadot/types/types";

/** A decoded call (GenericCall or an extrinsic's method). */
type Call = CallBase<AnyTuple>;
import { Ctx, DispatchFailure } from "./context.ts";
import { balancesCalls } from "./balances.ts";
import { tfgridCalls } from "./tfgrid.ts";
import { contractCalls } from "./contracts.ts";
import { kvstoreCalls } from "./kvstore.ts";
import { Overlay } from "../overlay.ts";

// deno-lint-ignore no-explicit-any
type Impl = (ctx: Ctx, args: any) => void;

const table: Record<string, Record<string, Impl>> = {
  Balances: balancesCalls,
  TfgridModule: tfgridCalls,
  SmartContractModule: contractCalls,
  TFKVStore: kvstoreCalls,
  System: {
    remark: () => {},
    remark_with_event: (ctx, a) => {
      ctx.deposit(
        "System",
        "Remarked",
        ctx.signer,
        ctx.meta.registry.hash(ctx.meta.registry.createType("Bytes", a.remark).toU8a(true)).toHex(),
      );
    },
  },
  Utility: {
    batch: (ctx, a) => batch(ctx, a.calls, "batch"),
    batch_all: (ctx, a) => batch(ctx, a.calls, "batch_all"),
    force_batch: (ctx, a) => batch(ctx, a.calls, "force_batch"),
  },
};

export class UnsupportedCall extends DispatchFailure {
  constructor(name: string) {
    super({ Other: null }, `call not supported by the dev chain: ${name}`);
  }
}

export function callName(ctx: Ctx, call: Call): { pallet: string; method: string } {
  const pallet = ctx.meta.palletName(call.callIndex[0]) ?? `#${call.callIndex[0]}`;
  return { pallet, method: call.method === undefined ? "?" : toSnake(call.method) };
}

function toSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()).replace(/^_/, "");
}

export function isSupported(ctx: Ctx, call: Call): boolean {
  const { pallet, method } = callName(ctx, call);
  return Boolean(table[pallet]?.[method]);
}

/** Executes `call` against ctx.st; throws DispatchFailure on failure (the caller discards ctx.st). */
export function dispatch(ctx: Ctx, call: Call): void {
  const { pallet, method } = callName(ctx, call);
  const impl = table[pallet]?.[method];
  if (!impl) throw new UnsupportedCall(`${pallet}.${method}`);
  const args: Record<string, unknown> = {};
  const fields = call.meta.fields;
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i].name.unwrap().toString();
    args[name] = pallet === "Utility" ? call.args[i] : call.args[i].toJSON();
  }
  impl(ctx, args);
}

function batch(ctx: Ctx, calls: Call[], mode: "batch" | "batch_all" | "force_batch"): void {
  let failed = false;
  for (let i = 0; i < calls.length; i++) {
    const layer = new Overlay(ctx.st);
    const sub = new Ctx(ctx.meta, layer, ctx.signer, ctx.blockNumber, ctx.nowMs);
    try {
      dispatch(sub, calls[i]);
      layer.mergeInto(ctx.st);
      ctx.events.push(...sub.events);
      ctx.deposit("Utility", "ItemCompleted");
    } catch (e) {
      if (!(e instanceof DispatchFailure)) throw e;
      if (mode === "batch_all") throw e;
      failed = true;
      if (mode === "batch") {
        ctx.deposit("Utility", "BatchInterrupted", i, e.value);
        return;
      }
      ctx.deposit("Utility", "ItemFailed", e.value);
    }
  }
  if (mode === "force_batch" && failed) ctx.deposit("Utility", "BatchCompletedWithErrors");
  else ctx.deposit("Utility", "BatchCompleted");
}
