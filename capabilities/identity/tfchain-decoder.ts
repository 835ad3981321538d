// A strict SCALE decoder of TFChain extrinsic payloads (the call, then the signed extensions: era, nonce, tip,
// spec and transaction version, genesis and block hash), for the chain signer's policy. It knows only the calls
// and types tools/gen-tfchain-calls.ts generated from the metadata (tfchain-calls.gen.ts), so the identity
// driver does not keep @polkadot/types and the whole metadata resident. It accepts exactly the canonical
// encodings polkadot-js re-encodes to the same bytes (minimal compacts, bool 0/1, Option tag 0/1, known enum
// indexes, polkadot-js's length limits) with every byte consumed; tfchain-decoder.test.ts checks it against
// @polkadot/types over real and mutated payloads.
import { CALL_NAMES, SIGNABLE_CALLS, TYPES } from "./tfchain-calls.gen.ts";

export type TypeDef =
  | string // a primitive: u8 … u128, i8 … i128, bool; "bytes" = Vec<u8>
  | ["compact", number] // Compact<uN>
  | ["seq", number | "call"] // Vec<T>; "call" = Vec<RuntimeCall>
  | ["array", number, number] // [T; N]
  | ["tuple" | "struct", number[]]
  | ["enum", [number, number[]][]] // variant index → its fields
  | ["option", number];

/** The payload is not a canonical TFChain extrinsic payload this decoder knows. */
export class MalformedPayload extends Error {}

/** A call of the metadata whose arguments were not generated: decoding stops there, with the calls met so far. */
export class UndecodableCall extends Error {
  readonly calls: CallMet[];
  constructor(calls: CallMet[]) {
    super(`call ${calls[calls.length - 1].name} is not decodable here`);
    this.calls = calls;
  }
}

/** A call met in a payload, in decoding order (outermost first); depth 0 = the payload's call. */
export interface CallMet {
  name: string;
  depth: number;
}

// polkadot-js's decoding limits (types-codec Vec, Bytes): longer is refused there, so here too
const MAX_VEC = 512 * 1024;
const MAX_BYTES = 10 * 1024 * 1024;
const WIDTH: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8, u128: 16, u256: 32, i8: 1, i16: 2, i32: 4, i64: 8, i128: 16, i256: 32 };

/** Whether `name` is a call this decoder can decode (its arguments were generated). */
export function isSignableCall(name: string): boolean {
  return Object.hasOwn(SIGNABLE_CALLS, name);
}

/** Whether `name` is any call of the metadata. */
export function isKnownCall(name: string): boolean {
  return Object.values(CALL_NAMES).includes(name);
}

class Reader {
  readonly bytes: Uint8Array;
  pos = 0;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new MalformedPayload(`ends early (${n} more bytes needed at ${this.pos})`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  byte(): number {
    return this.take(1)[0];
  }
  /** A canonical (shortest-form) SCALE compact integer of at most `bits` bits. */
  compact(bits: number): bigint {
    const first = this.bytes[this.pos];
    if (first === undefined) throw new MalformedPayload(`ends early (a compact integer at ${this.pos})`);
    const mode = first & 3;
    let value: bigint;
    let min: bigint;
    if (mode === 0) {
      value = BigInt(this.byte() >> 2);
      min = 0n;
    } else if (mode === 1) {
      const b = this.take(2);
      value = BigInt((b[0] | (b[1] << 8)) >>> 2);
      min = 1n << 6n;
    } else if (mode === 2) {
      const b = this.take(4);
      value = BigInt(((b[0] | (b[1] << 8) | (b[2] << 16)) >>> 0) + b[3] * 2 ** 24) >> 2n;
      min = 1n << 14n;
    } else {
      const n = (this.byte() >> 2) + 4;
      const b = this.take(n);
      if (b[n - 1] === 0) throw new MalformedPayload(`non-canonical compact integer at ${this.pos - n - 1}`);
      value = 0n;
      for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(b[i]);
      min = 1n << 30n;
    }
    if (value < min) throw new MalformedPayload(`non-canonical compact integer at ${this.pos}`);
    if (value >> BigInt(bits) !== 0n) throw new MalformedPayload(`compact integer wider than ${bits} bits at ${this.pos}`);
    return value;
  }
  length(max: number): number {
    const n = this.compact(32);
    if (n > BigInt(max)) throw new MalformedPayload(`length ${n} exceeds ${max}`);
    return Number(n);
  }
}

function decodeType(r: Reader, id: number, calls: CallMet[], depth: number): void {
  const def = TYPES[id];
  if (def === undefined) throw new MalformedPayload(`type ${id} is not in the generated table`);
  if (typeof def === "string") {
    if (def === "bool") {
      if (r.byte() > 1) throw new MalformedPayload(`bool other than 0 or 1 at ${r.pos - 1}`);
    } else if (def === "bytes") {
      r.take(r.length(MAX_BYTES));
    } else if (def in WIDTH) {
      r.take(WIDTH[def]);
    } else {
      throw new MalformedPayload(`type ${id} (${def}) is not decodable here`);
    }
    return;
  }
  switch (def[0]) {
    case "compact":
      r.compact(def[1]);
      return;
    case "seq": {
      const n = r.length(MAX_VEC);
      const inner = def[1];
      for (let i = 0; i < n; i++) {
        if (inner === "call") decodeCall(r, calls, depth + 1);
        else decodeType(r, inner, calls, depth);
      }
      return;
    }
    case "array":
      for (let i = 0; i < def[1]; i++) decodeType(r, def[2], calls, depth);
      return;
    case "tuple":
    case "struct":
      for (const f of def[1]) decodeType(r, f, calls, depth);
      return;
    case "enum": {
      const at = r.pos;
      const index = r.byte();
      const variant = def[1].find(([i]) => i === index);
      if (!variant) throw new MalformedPayload(`unknown variant ${index} at ${at}`);
      for (const f of variant[1]) decodeType(r, f, calls, depth);
      return;
    }
    case "option": {
      const tag = r.byte();
      if (tag > 1) throw new MalformedPayload(`option tag ${tag} at ${r.pos - 1}`);
      if (tag === 1) decodeType(r, def[1], calls, depth);
      return;
    }
  }
}

function decodeCall(r: Reader, calls: CallMet[], depth: number): void {
  const at = r.pos;
  const [pallet, call] = [r.byte(), r.byte()];
  const name = CALL_NAMES[`${pallet}.${call}`];
  if (!name) throw new MalformedPayload(`unknown call index ${pallet}.${call} at ${at}`);
  calls.push({ name, depth });
  const args = SIGNABLE_CALLS[name];
  if (!args) throw new UndecodableCall(calls);
  for (const a of args) decodeType(r, a, calls, depth);
}

/** The signed extensions after the call, as polkadot-js lays out an ExtrinsicPayload (v4). */
function decodeExtensions(r: Reader): void {
  // era: 0 = immortal; else a mortal era of two bytes (period 4 … 65536, phase below the period)
  if (r.bytes[r.pos] === 0) r.pos++;
  else {
    const b = r.take(2);
    const encoded = b[0] + (b[1] << 8);
    const period = 2 << (encoded % 16);
    const phase = (encoded >> 4) * Math.max(period >> 12, 1);
    if (period < 4 || phase >= period) throw new MalformedPayload("invalid mortal era");
  }
  r.compact(32); // nonce
  r.compact(128); // tip
  r.take(4); // spec version
  r.take(4); // transaction version
  r.take(32); // genesis hash
  r.take(32); // block hash
}

/**
 * Decodes a whole extrinsic payload and returns the calls it carries, outermost first (a batch, then its calls).
 * Throws MalformedPayload unless the payload is canonical with every byte consumed, and UndecodableCall at a
 * call whose arguments were not generated (no allow-list can admit one: ExtrinsicPolicy refuses such entries).
 */
export function decodePayload(payload: Uint8Array): CallMet[] {
  const r = new Reader(payload);
  const calls: CallMet[] = [];
  decodeCall(r, calls, 0);
  decodeExtensions(r);
  if (r.pos !== payload.length) throw new MalformedPayload("trailing or non-canonical bytes");
  return calls;
}
