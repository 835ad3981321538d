// The dev chain: transaction pool, extrinsic validation (signature, nonce, era, fees), block
// production with real headers and hashes, System.Events per block, and state at recent blocks.
// Every produced block is final (single authority, instant finality).
import { EventEmitter } from "node:events";
import type { Extrinsic } from "@polkadot/types/interfaces";
import { compactFromU8a, compactToU8a, hexToU8a, u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsHex, blake2AsU8a, ed25519Verify, sr25519Verify } from "@polkadot/util-crypto";
import { ChainMeta, runtimeVersion } from "./meta.ts";
import { Overlay, StateMap } from "./overlay.ts";
import { type BlockRecord, ChainStore } from "./store.ts";
import { accountHex, Ctx, DispatchFailure, type EventOut } from "./runtime/context.ts";
import { callName, dispatch, isSupported } from "./runtime/dispatch.ts";
import { getAccount, putAccount } from "./runtime/balances.ts";
import {
  batchItemsAt,
  CALL_PROOF_SIZE,
  carriesCallsAt,
  MAX_NESTING_EXTRINSIC_BYTES,
  CALL_REF_TIME,
  callWeight,
  MAX_BLOCK_REF_TIME,
  MAX_CALLS_PER_EXTRINSIC,
  MAX_EXTRINSIC_REF_TIME,
  type Weight,
  weightFee,
} from "./weights.ts";

// TFChain allows 75% of a 5 MiB block (3.75 MiB) per extrinsic. The dev chain shares its thread with the
// relay, and decoding costs ~0.1-0.3 ms per nested call: 16 KiB bounds the worst case (a batch of nested
// batches of 3-byte remarks) to about a second on a busy machine. No call a node or grid client makes
// comes near it.
export const MAX_EXTRINSIC_BYTES = 16 * 1024;
/** validation time per second the chain may spend on large submissions; more are dropped at once */
export const VALIDATION_BUDGET_MS_PER_S = 250;
/** extrinsics up to this size that carry no nested calls decode quickly and are never throttled */
export const SMALL_EXTRINSIC_BYTES = 4096;
// Pool bounds, after Substrate's defaults (ready 8192 / future 512) plus a per-sender share: no account
// can fill the pool for others, and future transactions do not wait forever.
export const MAX_POOL = 8192;
export const MAX_POOL_BYTES = 16 * 1024 * 1024;
export const MAX_FUTURE = 512;
export const MAX_PER_SENDER = 64;
/** a future (nonce-gap) transaction leaves the pool after this many blocks, whatever its era */
export const FUTURE_TTL_BLOCKS = 64;
const KEEP_BLOCKS = 4096; // like substrate's BlockHashCount window
const SNAPSHOT_EVERY = 512;
const FINALITY_LAG_MS = 300;
/** 75% of TFChain's 5 MiB block length: what one block's normal-class extrinsics may take */
const MAX_BLOCK_BYTES = 3_932_160;
export const BASE_FEE = 10_000n; // 0.001 TFT
export const BYTE_FEE = 10n;

/** A JSON-RPC error the server passes to the client as-is (substrate's author error codes). */
export class RpcError extends Error {
  readonly code: number;
  readonly data?: string;
  constructor(code: number, message: string, data?: string) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

function safe(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

const invalidTx = (data: string) => new RpcError(1010, "Invalid Transaction", data);

interface PoolEntry {
  hex: string;
  hash: string;
  xt: Extrinsic;
  signer: string;
  nonce: number;
  fee: bigint;
  tip: bigint;
  /** first block number at which a mortal transaction is no longer valid */
  death: number;
  weight: Weight;
  /** head number when it entered the pool */
  pooledAt: number;
}

export type TxStatus =
  | "future"
  | "ready"
  | { inBlock: string }
  | { finalized: string }
  | "invalid"
  | "dropped";

export interface ChainOptions {
  stateDir?: string; // no folder = memory only
  blockTimeMs?: number; // 0 = a block as soon as an extrinsic arrives
  genesis?: (chain: DevChain, ctx: Ctx) => void;
  log?: (line: string) => void;
}

export class DevChain extends EventEmitter {
  readonly meta: ChainMeta;
  readonly state = new StateMap();
  readonly blockTimeMs: number;
  private readonly store: ChainStore | null;
  private readonly blocks = new Map<number, BlockRecord>();
  private readonly byHash = new Map<string, number>();
  genesisHash = "";
  head!: BlockRecord;
  private pool: PoolEntry[] = [];
  private readonly watchers = new Map<string, ((s: TxStatus) => void)[]>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private instantScheduled = false;
  private readonly finalityTimers = new Set<ReturnType<typeof setTimeout>>();
  private logLines = 0;
  /** validation time of large extrinsics not yet paid back (decays at VALIDATION_BUDGET_MS_PER_S): bounded
   * work per tick, so the relay (which shares the thread in `zos grid up`) always gets most of each second */
  private validationDebt = { at: 0, ms: 0 };
  /** VALIDATION_BUDGET_MS_PER_S unless a test lifts it (Infinity = no budget) */
  validationBudgetMsPerS = VALIDATION_BUDGET_MS_PER_S;
  private closed = false;
  private readonly log: (line: string) => void;

  constructor(meta: ChainMeta, opts: ChainOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.meta = meta;
    this.blockTimeMs = opts.blockTimeMs ?? 1000;
    this.store = opts.stateDir ? new ChainStore(opts.stateDir) : null;
    this.log = opts.log ?? (() => {});
    const loaded = this.store?.load() ?? null;
    if (loaded) {
      this.state.apply(loaded.snapshot.storage);
      this.genesisHash = loaded.snapshot.genesisHash;
      for (const b of loaded.snapshot.blocks) this.remember(b);
      this.head = loaded.snapshot.blocks[loaded.snapshot.blocks.length - 1];
      for (const b of loaded.replay) {
        this.state.apply(b.changes.map(([k, , v]) => [k, v] as [string, string | null]));
        this.remember(b);
        this.head = b;
      }
      // compact at once: a torn line left by a crash must not sit in front of new appends
      this.snapshot();
    } else {
      this.buildGenesis(opts.genesis);
    }
  }

  // ---------------------------------------------------------------- blocks and state

  private remember(b: BlockRecord): void {
    this.blocks.set(b.number, b);
    this.byHash.set(b.hash, b.number);
    const old = b.number - KEEP_BLOCKS;
    const gone = this.blocks.get(old);
    if (old > 0 && gone) {
      this.blocks.delete(old);
      this.byHash.delete(gone.hash);
    }
  }

  private buildGenesis(genesis?: ChainOptions["genesis"]): void {
    const st = new Overlay(this.state);
    const ctx = new Ctx(this.meta, st, "0x" + "00".repeat(32), 0, Date.now());
    ctx.put("System", "Number", [], 0);
    ctx.put("System", "LastRuntimeUpgrade", [], {
      specVersion: runtimeVersion.specVersion,
      specName: runtimeVersion.specName,
    });
    ctx.put("Timestamp", "Now", [], Date.now());
    genesis?.(this, ctx);
    const changes = [...st.changes].sort(([a], [b]) => (a < b ? -1 : 1));
    const stateRoot = blake2AsHex(JSON.stringify(changes), 256);
    const header = {
      parentHash: "0x" + "00".repeat(32),
      number: "0x0",
      stateRoot,
      extrinsicsRoot: blake2AsHex(new Uint8Array([0]), 256),
      digest: { logs: [] as string[] },
    };
    const hash = this.headerHash(header);
    st.set(this.meta.key("System", "BlockHash", 0), hash);
    this.state.apply(st.changes);
    const rec: BlockRecord = { number: 0, hash, header, extrinsics: [], changes: [] };
    this.genesisHash = hash;
    this.remember(rec);
    this.head = rec;
    this.snapshot();
  }

  headerHash(h: BlockRecord["header"]): string {
    return this.meta.registry.createType("Header", h).hash.toHex();
  }

  blockByNumber(n: number): BlockRecord | undefined {
    return this.blocks.get(n);
  }

  blockByHash(hash: string): BlockRecord | undefined {
    const n = this.byHash.get(hash.toLowerCase());
    return n === undefined ? undefined : this.blocks.get(n);
  }

  /** Resolves an optional `at` hash; unknown or pruned blocks are a JSON-RPC error. */
  resolveAt(at?: string | null): BlockRecord {
    if (at === undefined || at === null) return this.head;
    if (typeof at !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(at)) {
      throw new RpcError(-32602, "Invalid params: block hash must be 0x + 64 hex digits");
    }
    const b = this.blockByHash(at);
    if (!b) {
      throw new RpcError(
        4003,
        `Client error: UnknownBlock: header not found for ${at} (unknown or pruned; the dev chain keeps the last ${KEEP_BLOCKS} blocks)`,
      );
    }
    return b;
  }

  /** Value of `key` at block `at` (default head), from the newer blocks' "value before" records. */
  storageAt(key: string, at?: BlockRecord): string | null {
    if (!at || at.number === this.head.number) return this.state.get(key);
    for (let n = at.number + 1; n <= this.head.number; n++) {
      const b = this.blocks.get(n);
      if (!b) throw new RpcError(4003, `Client error: state at block ${at.number} is pruned`);
      for (const [k, before] of b.changes) if (k === key) return before;
    }
    return this.state.get(key);
  }

  /** Keys under `prefix` at block `at` (sorted, after `startKey`, at most `count`). */
  keysAt(prefix: string, count: number, startKey: string | undefined, at: BlockRecord): string[] {
    if (at.number === this.head.number) return this.state.keysWithPrefix(prefix, count, startKey);
    // existence at `at` = the "before" side of the first later change of each touched key
    const existed = new Map<string, boolean>();
    for (let n = at.number + 1; n <= this.head.number; n++) {
      const b = this.blocks.get(n);
      if (!b) throw new RpcError(4003, `Client error: state at block ${at.number} is pruned`);
      for (const [k, before] of b.changes) {
        if (k.startsWith(prefix) && !existed.has(k)) existed.set(k, before !== null);
      }
    }
    const keys = new Set(this.state.keysWithPrefix(prefix, Infinity, startKey));
    for (const [k, was] of existed) {
      if (startKey && k <= startKey) continue;
      if (was) keys.add(k);
      else keys.delete(k);
    }
    return [...keys].sort().slice(0, count);
  }

  // ---------------------------------------------------------------- transactions

  accountNextIndex(address: string): number {
    const who = accountHex(address);
    let nonce = getAccount(this.reader(), who).nonce;
    const mine = new Set(this.pool.filter((p) => p.signer === who).map((p) => p.nonce));
    while (mine.has(nonce)) nonce++;
    return nonce;
  }

  private reader() {
    const meta = this.meta;
    const st = this.state;
    return {
      get: (pallet: string, item: string, ...keys: unknown[]) =>
        meta.decode(pallet, item, st.get(meta.key(pallet, item, ...keys))),
      put: () => {
        throw new Error("read only");
      },
    };
  }

  decodeExtrinsic(hex: unknown): Extrinsic {
    if (typeof hex !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(hex)) {
      throw new RpcError(-32602, "Invalid params: extrinsic must be a 0x-prefixed hex string");
    }
    if ((hex.length - 2) / 2 > MAX_EXTRINSIC_BYTES) {
      throw invalidTx(
        `Transaction would exhaust the block limits (${(hex.length - 2) / 2} bytes > ${MAX_EXTRINSIC_BYTES})`,
      );
    }
    const bytes = hexToU8a(hex);
    this.precheckBatch(bytes);
    let xt: Extrinsic;
    try {
      xt = this.meta.registry.createType("Extrinsic", bytes);
      // toU8a re-encodes: trailing garbage or a lying length prefix shows up as a size mismatch
      if (xt.toU8a().length !== bytes.length) throw new Error("length prefix does not match the extrinsic");
    } catch (e) {
      throw new RpcError(1001, "Extrinsic has invalid format", (e as Error).message.split("\n")[0]);
    }
    return xt;
  }

  /**
   * Refuses an oversized batch from its item count, before the full decode (which costs time per call):
   * finds the call behind the signature and reads the batch's compact length.
   */
  private precheckBatch(bytes: Uint8Array): void {
    const off = this.callOffset(bytes);
    if (off === null) return; // the full decode reports the format error
    if (bytes.length > MAX_NESTING_EXTRINSIC_BYTES && carriesCallsAt(this.meta, bytes, off)) {
      throw invalidTx(
        `Transaction would exhaust the block limits (${bytes.length} bytes of nested calls > ${MAX_NESTING_EXTRINSIC_BYTES}; the dev chain decodes calls inside calls only up to that size)`,
      );
    }
    const items = batchItemsAt(this.meta, bytes, off);
    if (items !== null && items > MAX_CALLS_PER_EXTRINSIC) {
      throw invalidTx(
        `Transaction would exhaust the block limits (a batch of ${items} calls; at most ${MAX_CALLS_PER_EXTRINSIC} fit one extrinsic's weight)`,
      );
    }
  }

  /** Where the call starts (after the length, version and signature), or null when that does not parse. */
  private callOffset(bytes: Uint8Array): number | null {
    try {
      const [lenBytes] = compactFromU8a(bytes);
      let off = lenBytes;
      const version = bytes[off];
      off += 1;
      if (version & 0x80) {
        off += this.meta.registry.createType("ExtrinsicSignatureV4", bytes.subarray(off), { isSigned: true }).encodedLength;
      }
      return off;
    } catch {
      return null;
    }
  }

  /** Large extrinsics and calls carrying calls cost real decoding time: they share a validation budget. */
  private costly(hex: unknown): boolean {
    if (typeof hex !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(hex)) return false;
    if (hex.length > 2 + 2 * SMALL_EXTRINSIC_BYTES) return true;
    const bytes = hexToU8a(hex);
    const off = this.callOffset(bytes);
    return off !== null && carriesCallsAt(this.meta, bytes, off);
  }

  weight(xt: Extrinsic): Weight {
    return callWeight(this.meta, xt.method);
  }

  /** base + length + weight, as TransactionPayment charges (no multiplier on the dev chain). */
  fee(xt: Extrinsic): bigint {
    return BASE_FEE + BYTE_FEE * BigInt(xt.encodedLength) + weightFee(this.weight(xt));
  }

  /** Full substrate-style validity check against the head; returns the pool entry or throws RpcError. */
  validate(hex: string): PoolEntry {
    const xt = this.decodeExtrinsic(hex);
    if (!xt.isSigned) {
      throw new RpcError(
        1011,
        "Unknown Transaction",
        "Could not find an unsigned validator for the unsigned transaction",
      );
    }
    // deno-lint-ignore no-explicit-any
    const addr = xt.signer as any;
    let signer: string;
    try {
      signer = accountHex(addr.toString());
    } catch {
      throw invalidTx("Transaction has a bad signature (only MultiAddress::Id signers exist on TFChain)");
    }
    const sig = { era: xt.era, nonce: xt.nonce, tip: xt.tip, signature: xt.signature };
    const head = this.head;
    // CheckMortality: the era's birth block must be one we know; its hash is part of the payload
    let eraHash = this.genesisHash;
    let death = Number.MAX_SAFE_INTEGER;
    if (sig.era.isMortalEra) {
      death = Number(sig.era.asMortalEra.death(head.number));
      const birth = Number(sig.era.asMortalEra.birth(head.number));
      const b = this.blocks.get(birth);
      if (!b || birth > head.number) throw invalidTx("Transaction has an ancient birth block");
      eraHash = b.hash;
    }
    const payload = this.meta.registry.createType("ExtrinsicPayload", {
      method: xt.method.toHex(),
      era: sig.era,
      nonce: sig.nonce,
      tip: sig.tip,
      specVersion: runtimeVersion.specVersion,
      transactionVersion: runtimeVersion.transactionVersion,
      genesisHash: this.genesisHash,
      blockHash: eraHash,
    }, { version: xt.version & 0x7f });
    let msg = payload.toU8a({ method: true });
    if (msg.length > 256) msg = blake2AsU8a(msg, 256);
    const pub = hexToU8a(signer);
    const s = sig.signature;
    let ok = false;
    try {
      // deno-lint-ignore no-explicit-any
      const multi = s as any;
      if (multi.isSr25519) ok = sr25519Verify(msg, multi.asSr25519.toU8a(), pub);
      else if (multi.isEd25519) ok = ed25519Verify(msg, multi.asEd25519.toU8a(), pub);
      else if (multi.isEcdsa) ok = false; // ecdsa accounts are blake2(pubkey); not supported here
      else {
        // The served TFChain metadata declares the extrinsic opaquely, so polkadot-js encodes the
        // signature as a bare 64-byte H512 without the MultiSignature tag: try both schemes.
        const raw = s.toU8a();
        ok = raw.length === 64 &&
          (safe(() => sr25519Verify(msg, raw, pub)) || safe(() => ed25519Verify(msg, raw, pub)));
      }
    } catch {
      ok = false;
    }
    if (!ok) throw invalidTx("Transaction has a bad signature");
    const hash = blake2AsHex(hexToU8a(hex), 256);
    if (this.pool.some((p) => p.hash === hash)) throw new RpcError(1013, "Transaction Already Imported");
    const nonce = sig.nonce.toNumber();
    const acc = getAccount(this.reader(), signer);
    if (nonce < acc.nonce) throw invalidTx("Transaction is outdated");
    if (this.pool.some((p) => p.signer === signer && p.nonce === nonce)) {
      throw new RpcError(
        1014,
        "Priority is too low",
        "a transaction with the same nonce is already in the pool",
      );
    }
    const weight = this.weight(xt);
    if (weight.refTime > MAX_EXTRINSIC_REF_TIME) {
      throw invalidTx(
        `Transaction would exhaust the block limits (weight ${weight.refTime} > ${MAX_EXTRINSIC_REF_TIME}; at most ${MAX_CALLS_PER_EXTRINSIC} calls in a batch)`,
      );
    }
    const mine = this.pool.filter((p) => p.signer === signer);
    if (mine.length >= MAX_PER_SENDER) {
      throw new RpcError(1016, "Immediately Dropped", `the sender already has ${mine.length} transactions in the pool (limit ${MAX_PER_SENDER}); wait for them to be included`);
    }
    if (nonce >= acc.nonce + MAX_PER_SENDER) {
      throw invalidTx(`Transaction nonce ${nonce} is too far in the future (the account is at ${acc.nonce}; at most ${MAX_PER_SENDER - 1} ahead)`);
    }
    const tip = sig.tip.toBigInt();
    const fee = this.fee(xt);
    if (acc.data.free < fee + tip) {
      throw invalidTx("Inability to pay some fees (e.g. account balance too low)");
    }
    return { hex, hash, xt, signer, nonce, fee, tip, death, weight, pooledAt: head.number };
  }

  /** author_submitExtrinsic: validates, pools, returns the tx hash. */
  submit(hex: string, watch?: (s: TxStatus) => void): string {
    if (this.closed) throw new RpcError(1016, "Immediately Dropped", "the chain is shutting down");
    const now = performance.now();
    const w = this.validationDebt;
    w.ms = this.validationBudgetMsPerS === Infinity ? 0 : Math.max(0, w.ms - ((now - w.at) / 1000) * this.validationBudgetMsPerS);
    w.at = now;
    const large = this.costly(hex);
    if (large && w.ms > 0) {
      throw new RpcError(1016, "Immediately Dropped", "the dev chain spent its validation time for large extrinsics this second; retry in a second");
    }
    let entry: PoolEntry;
    try {
      entry = this.validate(hex);
    } finally {
      if (large) w.ms += performance.now() - now;
    }
    const bytes = this.pool.reduce((n, p) => n + p.xt.encodedLength, 0);
    if (this.pool.length >= MAX_POOL || bytes + entry.xt.encodedLength > MAX_POOL_BYTES) {
      throw new RpcError(1016, "Immediately Dropped", "the transaction pool is full");
    }
    const future = entry.nonce > this.accountNextIndex(entry.signer);
    if (future && this.pool.filter((p) => this.isFuture(p)).length >= MAX_FUTURE) {
      throw new RpcError(1016, "Immediately Dropped", `the future queue is full (${MAX_FUTURE} transactions with a nonce gap)`);
    }
    this.pool.push(entry);
    if (watch) {
      this.watchers.set(entry.hash, [...(this.watchers.get(entry.hash) ?? []), watch]);
      const ready = entry.nonce === getAccount(this.reader(), entry.signer).nonce ||
        this.pool.some((p) => p.signer === entry.signer && p.nonce === entry.nonce - 1);
      queueMicrotask(() => watch(ready ? "ready" : "future"));
    }
    if (this.blockTimeMs === 0) this.scheduleInstant();
    return entry.hash;
  }

  /** A pooled transaction that cannot be included until a nonce gap is filled. */
  private isFuture(p: PoolEntry): boolean {
    const acc = getAccount(this.reader(), p.signer).nonce;
    if (p.nonce === acc) return false;
    for (let n = acc; n < p.nonce; n++) {
      if (!this.pool.some((q) => q.signer === p.signer && q.nonce === n)) return true;
    }
    return false;
  }

  pending(): string[] {
    return this.pool.map((p) => p.hex);
  }

  private notify(hash: string, s: TxStatus, done = false): void {
    for (const w of this.watchers.get(hash) ?? []) {
      try {
        w(s);
      } catch {
        // a watcher's socket may be gone; the chain goes on
      }
    }
    if (done) this.watchers.delete(hash);
  }

  // ---------------------------------------------------------------- block production

  start(): void {
    if (this.blockTimeMs > 0 && !this.timer && !this.closed) {
      const tick = () => {
        this.timer = null;
        if (this.closed) return;
        try {
          this.produceBlock();
        } catch (e) {
          this.log(`block production failed: ${(e as Error).stack}`);
        }
        this.timer = setTimeout(tick, this.blockTimeMs);
      };
      this.timer = setTimeout(tick, this.blockTimeMs);
    }
  }

  private scheduleInstant(): void {
    if (this.instantScheduled) return;
    this.instantScheduled = true;
    setTimeout(() => {
      this.instantScheduled = false;
      if (this.closed) return;
      try {
        // future-nonce transactions stay pooled (no block for them alone); loop while a block makes progress
        while (this.pool.some((p) => p.nonce === getAccount(this.reader(), p.signer).nonce)) {
          const before = this.pool.length;
          this.produceBlock();
          if (this.pool.length === before) break;
        }
      } catch (e) {
        this.log(`block production failed: ${(e as Error).stack}`);
      }
    }, 0);
  }

  private encodeEventRecord(phase: number | "finalization", ev: EventOut): Uint8Array {
    const phaseBytes = phase === "finalization"
      ? new Uint8Array([1])
      : u8aConcat(new Uint8Array([0]), this.meta.registry.createType("u32", phase).toU8a());
    return u8aConcat(phaseBytes, this.meta.encodeEvent(ev.pallet, ev.name, ev.args), compactToU8a(0));
  }

  private dispatchInfo(mandatory: boolean, weight: Weight = { refTime: CALL_REF_TIME, proofSize: CALL_PROOF_SIZE }) {
    return {
      weight,
      class: mandatory ? "Mandatory" : "Normal",
      paysFee: mandatory ? "No" : "Yes",
    };
  }

  /** Builds, executes, persists and announces one block from the ready part of the pool. */
  produceBlock(): BlockRecord {
    const parent = this.head;
    const number = parent.number + 1;
    const now = Math.max(
      Date.now(),
      Number(this.meta.decode("Timestamp", "Now", this.state.get(this.meta.key("Timestamp", "Now")))) + 1,
    );
    const block = new Overlay(this.state);
    const sys = new Ctx(this.meta, block, "0x" + "00".repeat(32), number, now);
    sys.put("System", "Number", [], number);
    sys.put("System", "ParentHash", [], parent.hash);
    sys.put("System", "BlockHash", [parent.number], parent.hash);
    if (number > KEEP_BLOCKS) sys.del("System", "BlockHash", number - KEEP_BLOCKS);
    const records: Uint8Array[] = [];
    const extrinsics: string[] = [];
    // inherent: timestamp.set(now)
    const tsCall = this.meta.registry.createType("Call", {
      callIndex: [this.meta.mustPallet("Timestamp").index, 0],
      args: { now },
    });
    const tsXt = this.meta.registry.createType("Extrinsic", tsCall);
    extrinsics.push(tsXt.toHex());
    sys.put("Timestamp", "Now", [], now);
    records.push(
      this.encodeEventRecord(0, {
        pallet: "System",
        name: "ExtrinsicSuccess",
        args: [this.dispatchInfo(true)],
      }),
    );

    const included: PoolEntry[] = [];
    const dropped: PoolEntry[] = [];
    const remaining: PoolEntry[] = [];
    // order by signer then nonce so a sender's queue applies in sequence
    const sorted = [...this.pool].sort((
      a,
      b,
    ) => (a.signer === b.signer ? a.nonce - b.nonce : a.signer < b.signer ? -1 : 1));
    let blockBytes = 0;
    let blockWeight = 0;
    for (const p of sorted) {
      const acc = getAccount(sys, p.signer);
      // mortality: a mortal transaction dies with its era; one waiting on a nonce gap dies after
      // FUTURE_TTL_BLOCKS even when immortal, so the pool cannot be held forever at no cost
      if (p.nonce < acc.nonce || number >= p.death || (p.nonce > acc.nonce && number - p.pooledAt > FUTURE_TTL_BLOCKS)) {
        dropped.push(p);
        continue;
      }
      if (
        p.nonce > acc.nonce || blockBytes + p.xt.encodedLength > MAX_BLOCK_BYTES ||
        blockWeight + p.weight.refTime > MAX_BLOCK_REF_TIME
      ) {
        remaining.push(p);
        continue;
      }
      const charge = p.fee + p.tip;
      if (acc.data.free < charge) {
        dropped.push(p);
        continue;
      }
      blockBytes += p.xt.encodedLength;
      blockWeight += p.weight.refTime;
      const index = extrinsics.length;
      extrinsics.push(p.hex);
      included.push(p);
      // pre-dispatch: nonce and fee are paid whatever the call does
      acc.nonce += 1;
      acc.data.free -= charge;
      putAccount(sys, p.signer, acc);
      const evs: EventOut[] = [{ pallet: "Balances", name: "Withdraw", args: [p.signer, charge.toString()] }];
      const layer = new Overlay(block);
      const ctx = new Ctx(this.meta, layer, p.signer, number, now);
      let failure: DispatchFailure | null = null;
      try {
        dispatch(ctx, p.xt.method);
        layer.mergeInto(block);
        evs.push(...ctx.events);
      } catch (e) {
        if (e instanceof DispatchFailure) failure = e;
        else {
          this.log(
            `dispatch of ${callName(ctx, p.xt.method).pallet}.${callName(ctx, p.xt.method).method} crashed: ${
              (e as Error).stack
            }`,
          );
          failure = new DispatchFailure({ Other: null }, "internal error in the dev chain");
        }
        if (!isSupported(ctx, p.xt.method)) this.log(failure.message);
      }
      evs.push({
        pallet: "TransactionPayment",
        name: "TransactionFeePaid",
        args: [p.signer, p.fee.toString(), p.tip.toString()],
      });
      if (failure) {
        evs.push({
          pallet: "System",
          name: "ExtrinsicFailed",
          args: [failure.value, this.dispatchInfo(false, p.weight)],
        });
      } else evs.push({ pallet: "System", name: "ExtrinsicSuccess", args: [this.dispatchInfo(false, p.weight)] });
      for (const ev of evs) records.push(this.encodeEventRecord(index, ev));
    }
    sys.put("System", "ExtrinsicCount", [], extrinsics.length);
    sys.put("System", "EventCount", [], records.length);
    block.set(this.meta.key("System", "Events"), u8aToHex(ChainMeta.encodeVec(records)));

    const changes: BlockRecord["changes"] = [];
    for (const [k, v] of [...block.changes].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const before = this.state.get(k);
      if (before !== v) changes.push([k, before, v]);
    }
    const stateRoot = blake2AsHex(
      u8aConcat(hexToU8a(parent.header.stateRoot), blake2AsU8a(JSON.stringify(changes), 256)),
      256,
    );
    const body = u8aConcat(compactToU8a(extrinsics.length), ...extrinsics.map((x) => hexToU8a(x)));
    const header = {
      parentHash: parent.hash,
      number: "0x" + number.toString(16),
      stateRoot,
      extrinsicsRoot: blake2AsHex(body, 256),
      digest: { logs: [] as string[] },
    };
    const rec: BlockRecord = { number, hash: this.headerHash(header), header, extrinsics, changes };
    // durable before anyone is told
    if (this.store) this.logLines = this.store.append(rec);
    this.state.apply(changes.map(([k, , v]) => [k, v] as [string, string | null]));
    this.remember(rec);
    this.head = rec;
    this.pool = remaining;
    if (this.store && this.logLines >= SNAPSHOT_EVERY) this.snapshot();
    for (const p of included) this.notify(p.hash, { inBlock: rec.hash });
    // "finalized" follows a moment later, as GRANDPA's does: polkadot-js switches to the newest
    // status and would abandon reading the inBlock events if both arrived together.
    if (included.length) {
      const t = setTimeout(() => {
        this.finalityTimers.delete(t);
        for (const p of included) this.notify(p.hash, { finalized: rec.hash }, true);
      }, FINALITY_LAG_MS);
      this.finalityTimers.add(t);
    }
    for (const p of dropped) this.notify(p.hash, "invalid", true);
    this.emit("block", rec);
    return rec;
  }

  snapshot(): void {
    if (!this.store) return;
    const recent: BlockRecord[] = [];
    for (let n = Math.max(0, this.head.number - 255); n <= this.head.number; n++) {
      const b = this.blocks.get(n);
      if (b) recent.push(b);
    }
    const genesis = this.blocks.get(0);
    if (genesis && recent[0]?.number !== 0) recent.unshift(genesis);
    this.store.writeSnapshot({
      format: 1,
      genesisHash: this.genesisHash,
      storage: [...this.state.map],
      blocks: recent,
    });
    this.logLines = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const t of this.finalityTimers) clearTimeout(t);
    for (const p of this.pool) this.notify(p.hash, "dropped", true);
    this.pool = [];
    if (this.store) {
      this.snapshot();
      this.store.close();
    }
  }
}
