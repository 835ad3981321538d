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

/** Field lookup with Go's rules: the last key that folds to `name` wins. */
export function fields(v: JsonValue, path: string): Map<string, JsonValue> | null {
  if (v === null) return null;
  if (!(v instanceof JsonObject)) throw new DecodeError(path, `expected an object, got ${kind(v)}`);
  const m = new Map<string, JsonValue>();
  for (const [k, x] of v.entries) m.set(foldKey(k), x);
  return m;
}

export function str(m: Map<string, JsonValue> | null, name: string, path: string): string {
  const v = m?.get(name);
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new DecodeError(join(path, name), `expected a string, got ${kind(v)}`);
  return v;
}

export function bool(m: Map<string, JsonValue> | null, name: string, path: string): boolean {
  const v = m?.get(name);
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw new DecodeError(join(path, name), `expected true or false, got ${kind(v)}`);
  return v;
}

const INT_RE = /^-?(0|[1-9][0-9]*)$/;

function intOf(v: JsonValue, path: string, min: bigint, max: bigint, what: string): bigint {
  if (!(v instanceof JsonNumber)) throw new DecodeError(path, `expected ${what}, got ${kind(v)}`);
  if (!INT_RE.test(v.text)) throw new DecodeError(path, `expected ${what}, got ${kind(v)}`);
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
export function uint(m: Map<string, JsonValue> | null, name: string, path: string, max: bigint): number {
  const v = m?.get(name);
  if (v === undefined || v === null) return 0;
  return Number(intOf(v, join(path, name), 0n, max, `an integer 0..${max}`));
}

/** u64 as bigint (byte sizes, contract ids, weights). */
export function u64(m: Map<string, JsonValue> | null, name: string, path: string): bigint {
  const v = m?.get(name);
  if (v === undefined || v === null) return 0n;
  return intOf(v, join(path, name), 0n, U64, "an integer 0..2^64-1");
}

/** gridtypes.Timestamp: an int64, or an RFC 3339 date string (converted to unix seconds). */
export function timestamp(m: Map<string, JsonValue> | null, name: string, path: string): bigint {
  const v = m?.get(name);
  if (v === undefined || v === null) return 0n;
  const p = join(path, name);
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

export function arr(m: Map<string, JsonValue> | null, name: string, path: string): JsonValue[] {
  const v = m?.get(name);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DecodeError(join(path, name), `expected an array, got ${kind(v)}`);
  return v;
}

export function strArr(m: Map<string, JsonValue> | null, name: string, path: string): string[] {
  return arr(m, name, path).map((v, i) => {
    if (v === null) return "";
    if (typeof v !== "string") throw new DecodeError(join(join(path, name), i), `expected a string, got ${kind(v)}`);
    return v;
  });
}

/** map[string]string: keys verbatim (no folding), duplicate keys last wins, null value = "". */
export function strMap(m: Map<string, JsonValue> | null, name: string, path: string): Map<string, string> {
  const v = m?.get(name);
  const out = new Map<string, string>();
  if (v === undefined || v === null) return out;
  const p = join(path, name);
  if (!(v instanceof JsonObject)) throw new DecodeError(p, `expected an object of strings, got ${kind(v)}`);
  for (const [k, x] of v.entries) {
    if (x === null) out.set(k, "");
    else if (typeof x === "string") out.set(k, x);
    else throw new DecodeError(join(p, k), `expected a string, got ${kind(x)}`);
  }
  return out;
}

/** A present-but-maybe-null sub-object (Go pointer field): undefined when absent or null. */
export function optObj(m: Map<string, JsonValue> | null, name: string): JsonValue | undefined {
  const v = m?.get(name);
  return v === undefined || v === null ? undefined : v;
}

export function obj(m: Map<string, JsonValue> | null, name: string): JsonValue {
  return m?.get(name) ?? null;
}

/** gridtypes.IPNet: a string via net.ParseCIDR; "" or absent = empty (renders `<nil>`). */
export function ipnet(m: Map<string, JsonValue> | null, name: string, path: string): GoIPNet | null {
  return ipnetOf(m?.get(name), join(path, name));
}

export function ipnetOf(v: JsonValue | undefined, p: string): GoIPNet | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new DecodeError(p, `expected a CIDR string like "10.1.0.0/16", got ${kind(v)}`);
  if (v === "") return null;
  const n = parseGoIPNet(v);
  if (!n) throw new DecodeError(p, `invalid CIDR address ${JSON.stringify(v)}`);
  return n;
}

/** net.IP: a string via net.ParseIP; "" or absent = nil (renders `<nil>`). */
export function ip(m: Map<string, JsonValue> | null, name: string, path: string): GoIP | null {
  const v = m?.get(name);
  const p = join(path, name);
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new DecodeError(p, `expected an IP address string, got ${kind(v)}`);
  if (v === "") return null;
  const a = parseGoIP(v);
  if (!a) throw new DecodeError(p, `invalid IP address ${JSON.stringify(v)}`);
  return a;
}

/** Hex-encoded bytes (zos.Bytes, EncryptionKey): Go hex.DecodeString. */
export function hexBytes(m: Map<string, JsonValue> | null, name: string, path: string): Uint8Array {
  const v = m?.get(name);
  const p = join(path, name);
  if (v === undefined || v === null) return new Uint8Array(0);
  if (typeof v !== "string") throw new DecodeError(p, `expected a hex string, got ${kind(v)}`);
  const b = decodeHex(v);
  if (typeof b === "string") throw new DecodeError(p, b);
  return b;
}
