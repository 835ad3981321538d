// SS58 addresses (Substrate's account text: base58 of prefix + public key + a 2-byte BLAKE2b-512 checksum over
// "SS58PRE" + both) without @polkadot/util-crypto: loading that package costs a process ≈ 25 MiB of memory
// (its module graph), which the rmb and identity drivers paid only to print and parse addresses.
// Matches polkadot-js encodeAddress/decodeAddress for 32-byte keys (ss58.test.ts compares them).
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const PRE = new TextEncoder().encode("SS58PRE");

export function base58Encode(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = "1" + out;
  }
  return out;
}

export function base58Decode(text: string): Uint8Array {
  let n = 0n;
  for (const c of text) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) throw new Error(`"${c}" is not a base58 character`);
    n = n * 58n + BigInt(v);
  }
  const body: number[] = [];
  while (n > 0n) {
    body.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  let zeros = 0;
  while (text[zeros] === "1") zeros++;
  return new Uint8Array([...new Array(zeros).fill(0), ...body]);
}

function checksum(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("blake2b512").update(PRE).update(data).digest()).subarray(0, 2);
}

function prefixBytes(prefix: number): number[] {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 16383 || prefix === 46 || prefix === 47) {
    throw new Error(`${prefix} is not a valid SS58 prefix`);
  }
  if (prefix < 64) return [prefix];
  // two bytes: the 14-bit prefix spread as Substrate's ss58_address_format does
  return [((prefix & 0xfc) >> 2) | 0x40, (prefix >> 8) | ((prefix & 0x03) << 6)];
}

/** The SS58 text of a 32-byte public key (prefix 42: the generic Substrate format TFChain uses). */
export function ss58Encode(publicKey: Uint8Array, prefix = 42): string {
  if (publicKey.length !== 32) throw new Error(`an SS58 address holds a 32-byte public key, got ${publicKey.length} bytes`);
  const data = new Uint8Array([...prefixBytes(prefix), ...publicKey]);
  return base58Encode(new Uint8Array([...data, ...checksum(data)]));
}

/** The 32-byte public key of an SS58 address (any prefix; the checksum must hold) or of its 0x-hex form. */
export function ss58Decode(address: string): Uint8Array {
  if (/^0x[0-9a-fA-F]{64}$/.test(address)) return new Uint8Array(Buffer.from(address.slice(2), "hex"));
  const raw = base58Decode(address);
  const prefixLen = raw.length > 0 && (raw[0] & 0x40) ? 2 : 1;
  if (raw.length !== prefixLen + 32 + 2) throw new Error(`"${address}" is not an SS58 address of a 32-byte key`);
  const data = raw.subarray(0, prefixLen + 32);
  const sum = checksum(data);
  if (sum[0] !== raw[prefixLen + 32] || sum[1] !== raw[prefixLen + 33]) throw new Error(`"${address}": invalid SS58 checksum`);
  return new Uint8Array(data.subarray(prefixLen));
}
