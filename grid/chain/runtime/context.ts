// What a call implementation sees: typed storage access over an overlay, the signer, the block,
// and the events it deposits. Errors thrown as DispatchFailure become ExtrinsicFailed with a
// DispatchError the clients decode (Module { index, error } for TFChain's own errors).
import { decodeAddress } from "@polkadot/util-crypto";
import { hexToU8a, u8aToHex, u8aToString } from "@polkadot/util";
import type { ChainMeta } from "../meta.ts";
import type { Overlay } from "../overlay.ts";

export type DispatchErrorValue =
  | { Module: { index: number; error: string } }
  | { Token: string }
  | { Arithmetic: string }
  | { BadOrigin: null }
  | { Other: null }
  | { CannotLookup: null };

export class DispatchFailure extends Error {
  readonly value: DispatchErrorValue;
  constructor(value: DispatchErrorValue, message: string) {
    super(message);
    this.value = value;
  }
}

export interface EventOut {
  pallet: string;
  name: string;
  args: unknown[];
}

/** Account id as lowercase 0x hex of the 32-byte public key (the one form used inside the runtime). */
export function accountHex(address: string | Uint8Array): string {
  return u8aToHex(decodeAddress(address));
}

export class Ctx {
  readonly meta: ChainMeta;
  readonly st: Overlay;
  readonly signer: string; // account hex
  readonly blockNumber: number;
  readonly nowMs: number;
  readonly events: EventOut[] = [];

  constructor(meta: ChainMeta, st: Overlay, signer: string, blockNumber: number, nowMs: number) {
    this.meta = meta;
    this.st = st;
    this.signer = signer;
    this.blockNumber = blockNumber;
    this.nowMs = nowMs;
  }

  // deno-lint-ignore no-explicit-any
  get<T = any>(pallet: string, item: string, ...keys: unknown[]): T | null {
    const raw = this.st.get(this.meta.key(pallet, item, ...keys));
    return this.meta.decode(pallet, item, raw) as T | null;
  }

  has(pallet: string, item: string, ...keys: unknown[]): boolean {
    return this.st.get(this.meta.key(pallet, item, ...keys)) !== null;
  }

  put(pallet: string, item: string, keys: unknown[], value: unknown): void {
    this.st.set(this.meta.key(pallet, item, ...keys), this.meta.encode(pallet, item, value));
  }

  del(pallet: string, item: string, ...keys: unknown[]): void {
    this.st.delete(this.meta.key(pallet, item, ...keys));
  }

  deposit(pallet: string, name: string, ...args: unknown[]): void {
    this.events.push({ pallet, name, args });
  }

  /** Throws TFChain's module error `pallet.error` (index from the metadata). */
  fail(pallet: string, error: string): never {
    const p = this.meta.mustPallet(pallet);
    const idx = this.meta.errorIndex(pallet, error);
    const hex = "0x" + idx.toString(16).padStart(2, "0") + "000000";
    throw new DispatchFailure({ Module: { index: p.index, error: hex } }, `${pallet}.${error}`);
  }

  /** Signer's twin id or the pallet's TwinNotExists error. */
  twinOf(pallet = "TfgridModule"): number {
    const id = this.get<number>("TfgridModule", "TwinIdByAccountID", this.signer);
    if (id === null) this.fail(pallet, "TwinNotExists");
    return id;
  }

  nowSecs(): number {
    return Math.floor(this.nowMs / 1000);
  }
}

export function bytesToString(hex: string | null | undefined): string {
  if (!hex) return "";
  return u8aToString(hexToU8a(hex));
}
