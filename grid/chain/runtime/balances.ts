// Balances (TFT, 7 decimals) on top of System.Account, with TFChain's existential deposit and the
// Token errors modern substrate returns for a transfer the sender cannot afford.
import { accountHex, Ctx, DispatchFailure } from "./context.ts";

export const EXISTENTIAL_DEPOSIT = 500n;
export const TFT = 10_000_000n;

export interface AccountInfo {
  nonce: number;
  consumers: number;
  providers: number;
  sufficients: number;
  data: { free: bigint; reserved: bigint; frozen: bigint; flags: bigint };
}

interface KVLike {
  get(pallet: string, item: string, ...keys: unknown[]): unknown;
  put(pallet: string, item: string, keys: unknown[], value: unknown): void;
}

export function getAccount(ctx: KVLike, who: string): AccountInfo {
  // deno-lint-ignore no-explicit-any
  const a = ctx.get("System", "Account", who) as any;
  return {
    nonce: a.nonce,
    consumers: a.consumers,
    providers: a.providers,
    sufficients: a.sufficients,
    data: {
      free: BigInt(a.data.free),
      reserved: BigInt(a.data.reserved),
      frozen: BigInt(a.data.frozen),
      flags: BigInt(a.data.flags),
    },
  };
}

export function putAccount(ctx: KVLike, who: string, a: AccountInfo): void {
  ctx.put("System", "Account", [who], {
    ...a,
    data: {
      free: a.data.free.toString(),
      reserved: a.data.reserved.toString(),
      frozen: a.data.frozen.toString(),
      flags: a.data.flags.toString(),
    },
  });
}

/** Credits `amount` to `who`, creating the account (NewAccount + Endowed) when it did not exist. */
export function credit(ctx: Ctx, who: string, amount: bigint): void {
  const acc = getAccount(ctx, who);
  const existed = acc.providers > 0 || acc.data.free > 0n;
  if (!existed) {
    if (amount < EXISTENTIAL_DEPOSIT) ctx.fail("Balances", "ExistentialDeposit");
    acc.providers = 1;
    acc.data.flags = 1n << 127n;
  }
  acc.data.free += amount;
  putAccount(ctx, who, acc);
  if (!existed) {
    ctx.deposit("System", "NewAccount", who);
    ctx.deposit("Balances", "Endowed", who, amount.toString());
  }
}

function transfer(ctx: Ctx, dest: unknown, value: bigint, keepAlive: boolean): void {
  const to = accountHex(lookupDest(dest));
  const from = ctx.signer;
  const src = getAccount(ctx, from);
  const spendable = src.data.free - (src.data.frozen > src.data.reserved ? src.data.frozen : 0n);
  if (value > spendable) throw new DispatchFailure({ Token: "FundsUnavailable" }, "Token.FundsUnavailable");
  const after = src.data.free - value;
  if (keepAlive && after < EXISTENTIAL_DEPOSIT) {
    throw new DispatchFailure({ Token: "NotExpendable" }, "Token.NotExpendable");
  }
  if (to === from) {
    ctx.deposit("Balances", "Transfer", from, to, value.toString());
    return;
  }
  src.data.free = after;
  putAccount(ctx, from, src);
  credit(ctx, to, value);
  ctx.deposit("Balances", "Transfer", from, to, value.toString());
}

function lookupDest(dest: unknown): string {
  // MultiAddress: only the Id form maps to an account here (TFChain has no indices pallet).
  if (typeof dest === "string") return dest;
  // deno-lint-ignore no-explicit-any
  const d = dest as any;
  if (d && typeof d.id === "string") return d.id;
  throw new DispatchFailure({ CannotLookup: null }, "CannotLookup");
}

// deno-lint-ignore no-explicit-any
export const balancesCalls: Record<string, (ctx: Ctx, a: any) => void> = {
  transfer: (ctx, a) => transfer(ctx, a.dest, BigInt(a.value), false),
  transfer_allow_death: (ctx, a) => transfer(ctx, a.dest, BigInt(a.value), false),
  transfer_keep_alive: (ctx, a) => transfer(ctx, a.dest, BigInt(a.value), true),
};
