// Go encoding/json semantics for decoding a parsed JsonValue into typed fields: case-insensitive
// keys (last match wins), unknown keys ignored, missing or null = zero value, integers must be
// integer literals in range, wrong JSON kinds are errors. Every error carries the field path.
import { foldKey, JsonNumber, JsonObject, type JsonValue } from "./json.ts";
import { parseGoIP, parseGoIPNet, type GoIP, type GoIPNet } from "./ip.ts";
import { decodeHex } from "./hex.ts";

export class DecodeError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path || "document"}: ${message}`);
    this.name = "DecodeError";
    this.path = path;
  }
}

function kind(v: JsonValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "string") return "a string";
  if (v instanceof JsonNumber) return `the number ${v.text.length > 24 ? v.text.slice(0, 24) + "…" : v.text}`;
  if (Array.isArray(v)) return "an array";
  return "an object";
}

export function join(path: string, field: string | number): string {
  if (typeof field === "number") return `${path}[${field}]`;
  return path ? `${path}.${field}` : field;
}

/**
 * Every JSON value that Go's decoder writes into one Go value, in order. Go decodes duplicate keys
 * (including case variants) into the same field one after another: objects merge into a struct,
 * null is a no-op for strings/numbers/structs and resets slices/maps/pointers, arrays decode into the
 * existing elements, and a type error in any of them fails the whole document.
 */
export class Occ {
  readonly vals: JsonValue[];
  constructor(vals: JsonValue[]) {
    this.vals = vals;
  }
}

export type Fields = Map<string, JsonValue[]>;

function occOf(v: JsonValue | Occ | undefined): JsonValue[] {
  if (v === undefined) return [];
  return v instanceof Occ ? v.vals : [v];
}

/** A struct: the entries of all object occurrences merged in order (folded keys); null = no-op. */
export function fields(v: JsonValue | Occ, path: string): Fields | null {
  let m: Fields | null = null;
  for (const o of occOf(v)) {
    if (o === null) continue;
    if (!(o instanceof JsonObject)) throw new DecodeError(path, `expected an object, got ${kind(o)}`);
    m ??= new Map();
    for (const [k, x] of o.entries) {
      const f = foldKey(k);
      const list = m.get(f);
      if (list) list.push(x);
      else m.set(f, [x]);
    }
  }
  return m;
}

function vals(m: Fields | null, name: string): JsonValue[] {
  return m?.get(name) ?? [];
}

/** Last occurrence as is (json.RawMessage), undefined when the key is absent. */
export function raw(m: Fields | null, name: string): JsonValue | undefined {
  const v = vals(m, name);
  return v.length ? v[v.length - 1] : undefined;
}

/** Scalars: every occurrence is type-checked; null keeps the previous value. */
function scalar<T>(m: Fields | null, name: string, path: string, zero: T, conv: (v: JsonValue, p: string) => T): T {
  let cur = zero;
  for (const v of vals(m, name)) if (v !== null) cur = conv(v, join(path, name));
  return cur;
}

function asStr(v: JsonValue, p: string): string {
  if (typeof v !== "string") throw new DecodeError(p, `expected a string, got ${kind(v)}`);
  return v;
}

export function str(m: Fields | null, name: string, path: string): string {
  return scalar(m, name, path, "", asStr);
}

/** A *string field: absent or null (last) = null. */
export function optStr(m: Fields | null, name: string, path: string): string | null {
  let cur: string | null = null;
  for (const v of vals(m, name)) cur = v === null ? null : asStr(v, join(path, name));
  return cur;
}

export function bool(m: Fields | null, name: string, path: string): boolean {
  return scalar(m, name, path, false, (v, p) => {
    if (typeof v !== "boolean") throw new DecodeError(p, `expected true or false, got ${kind(v)}`);
    return v;
  });
}

const INT_RE = /^-?(0|[1-9][0-9]*)$/;
const UINT_RE = /^(0|[1-9][0-9]*)$/;

function intOf(v: JsonValue, path: string, min: bigint, max: bigint, what: string): bigint {
  if (!(v instanceof JsonNumber)) throw new DecodeError(path, `expected ${what}, got ${kind(v)}`);
  if (!(min >= 0n ? UINT_RE : INT_RE).test(v.text)) throw new DecodeError(path, `expected ${what}, got ${kind(v)}`);
  const n = BigInt(v.text);
  if (n < min || n > max) throw new DecodeError(path, `expected ${what}, got ${kind(v)} (out of range)`);
  return n;
}

export const U8 = 255n;
export const U16 = 65535n;
export const U32 = 4294967295n;
export const U64 = 18446744073709551615n;
const I64_MIN = -9223372036854775808n;
const I64_MAX = 9223372036854775807n;

/** Unsigned integer of at most `max` (u8/u16/u32) as a JS number. */
export function uint(m: Fields | null, name: string, path: string, max: bigint): number {
  return Number(scalar(m, name, path, 0n, (v, p) => intOf(v, p, 0n, max, `an integer 0..${max}`)));
}

/** u64 as bigint (byte sizes, contract ids, weights). */
export function u64(m: Fields | null, name: string, path: string): bigint {
  return scalar(m, name, path, 0n, (v, p) => intOf(v, p, 0n, U64, "an integer 0..2^64-1"));
}

/**
 * gridtypes.Timestamp: an int64, or an RFC 3339 date string (converted to unix seconds). It has its
 * own UnmarshalJSON, which Go also calls for null: null sets 0.
 */
export function timestamp(m: Fields | null, name: string, path: string): bigint {
  let cur = 0n;
  for (const v of vals(m, name)) cur = v === null ? 0n : timestampOf(v, join(path, name));
  return cur;
}

function timestampOf(v: JsonValue, p: string): bigint {
  if (v instanceof JsonNumber && INT_RE.test(v.text)) {
    const n = BigInt(v.text);
    if (n >= I64_MIN && n <= I64_MAX) return n;
  }
  if (typeof v === "string") {
    const t = parseRfc3339(v);
    if (t !== null) return t;
  }
  throw new DecodeError(p, `unknown timestamp format, expecting a timestamp or an ISO-8601 date, got ${kind(v)}`);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseRfc3339(s: string): bigint | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return null;
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d > dim) return null;
  let off = 0;
  const z = m[8];
  if (z !== "Z" && z !== "z") {
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    off = (oh * 60 + om) * 60 * (z[0] === "-" ? -1 : 1);
  }
  const days = BigInt(Math.floor(Date.UTC(y, mo - 1, d) / 86400000));
  return days * 86400n + BigInt(h * 3600 + mi * 60 + se - off);
}

/**
 * A slice: the element slots after all occurrences, each with every JSON value decoded into it
 * (Go decodes an array into the existing elements; null or [] drop the old ones).
 */
export function arr(m: Fields | null, name: string, path: string): Occ[] {
  let slots: JsonValue[][] = [];
  let len = 0;
  for (const v of vals(m, name)) {
    if (v === null || (Array.isArray(v) && v.length === 0)) {
      slots = [];
      len = 0;
      continue;
    }
    if (!Array.isArray(v)) throw new DecodeError(join(path, name), `expected an array, got ${kind(v)}`);
    for (let i = 0; i < v.length; i++) {
      if (i >= slots.length) slots.push([]);
      slots[i].push(v[i]);
    }
    len = v.length;
  }
  return slots.slice(0, len).map((s) => new Occ(s));
}

export function strArr(m: Fields | null, name: string, path: string): string[] {
  return arr(m, name, path).map((slot, i) => {
    let cur = "";
    for (const v of slot.vals) if (v !== null) cur = asStr(v, join(join(path, name), i));
    return cur;
  });
}

/** map[string]string: keys verbatim, occurrences merged, each value fresh (null value = ""), null resets. */
export function strMap(m: Fields | null, name: string, path: string): Map<string, string> {
  let out = new Map<string, string>();
  const p = join(path, name);
  for (const v of vals(m, name)) {
    if (v === null) {
      out = new Map();
      continue;
    }
    if (!(v instanceof JsonObject)) throw new DecodeError(p, `expected an object of strings, got ${kind(v)}`);
    for (const [k, x] of v.entries) {
      if (x === null) out.set(k, "");
      else if (typeof x === "string") out.set(k, x);
      else throw new DecodeError(join(p, k), `expected a string, got ${kind(x)}`);
    }
  }
  return out;
}

/** A pointer-to-struct field: undefined when absent or reset by null; objects since then merge. */
export function optObj(m: Fields | null, name: string): Occ | undefined {
  let cur: JsonValue[] | undefined;
  for (const v of vals(m, name)) {
    if (v === null) cur = undefined;
    else (cur ??= []).push(v);
  }
  return cur ? new Occ(cur) : undefined;
}

/** A value-struct field: all its occurrences (decode with `fields`). */
export function obj(m: Fields | null, name: string): Occ {
  return new Occ(vals(m, name));
}

/** gridtypes.IPNet (a TextUnmarshaler struct): null is a no-op, "" resets to empty (`<nil>`). */
export function ipnet(m: Fields | null, name: string, path: string): GoIPNet | null {
  return ipnetOf(new Occ(vals(m, name)), join(path, name));
}

export function ipnetOf(o: Occ, p: string): GoIPNet | null {
  let cur: GoIPNet | null = null;
  for (const v of o.vals) {
    if (v === null) continue;
    if (typeof v !== "string") throw new DecodeError(p, `expected a CIDR string like "10.1.0.0/16", got ${kind(v)}`);
    if (v === "") {
      cur = null;
      continue;
    }
    const n = parseGoIPNet(v);
    if (!n) throw new DecodeError(p, `invalid CIDR address ${JSON.stringify(v)}`);
    cur = n;
  }
  return cur;
}

/** net.IP (a byte slice): null and "" give nil (renders `<nil>`). */
export function ip(m: Fields | null, name: string, path: string): GoIP | null {
  const p = join(path, name);
  let cur: GoIP | null = null;
  for (const v of vals(m, name)) {
    if (v === null || v === "") {
      cur = null;
      continue;
    }
    if (typeof v !== "string") throw new DecodeError(p, `expected an IP address string, got ${kind(v)}`);
    const a = parseGoIP(v);
    if (!a) throw new DecodeError(p, `invalid IP address ${JSON.stringify(v)}`);
    cur = a;
  }
  return cur;
}

/** Hex-encoded bytes (zos.Bytes, EncryptionKey; byte slices): Go hex.DecodeString; null resets. */
export function hexBytes(m: Fields | null, name: string, path: string): Uint8Array {
  const p = join(path, name);
  let cur: Uint8Array = new Uint8Array(0);
  for (const v of vals(m, name)) {
    if (v === null) {
      cur = new Uint8Array(0);
      continue;
    }
    if (typeof v !== "string") throw new DecodeError(p, `expected a hex string, got ${kind(v)}`);
    const b = decodeHex(v);
    if (typeof b === "string") throw new DecodeError(p, b);
    cur = b;
  }
  return cur;
}
