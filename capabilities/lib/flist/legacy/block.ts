// Legacy 0-fs block crypto (0-flist libflist): key = BLAKE2b-128(plain); stored = XXTEA(key,
// snappy(plain)); hash = BLAKE2b-128(stored), the name in the store (0-db). Deterministic like rfs v2.
import { blake2AsU8a } from "@polkadot/util-crypto";
import { BlockError, hex } from "../block.ts";
import { snappyCompress, snappyDecompress } from "../snappy.ts";
import { xxteaDecrypt, xxteaEncrypt } from "./xxtea.ts";

export function blake2b128(data: Uint8Array): Uint8Array {
  return blake2AsU8a(data, 128);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function encodeLegacyBlock(plain: Uint8Array): { hash: Uint8Array; key: Uint8Array; data: Uint8Array } {
  const key = blake2b128(plain);
  const data = xxteaEncrypt(snappyCompress(plain), key);
  return { hash: blake2b128(data), key, data };
}

/** Checks the stored bytes against `hash`, decrypts, decompresses (at most `maxLength` bytes) and checks
 * the plaintext against `key`; any mismatch is a BlockError naming the block. */
export function decodeLegacyBlock(hash: Uint8Array, key: Uint8Array, data: Uint8Array, maxLength: number): Uint8Array {
  const name = hex(hash);
  if (hash.length !== 16 || key.length !== 16) throw new BlockError(`block ${name}: hash and key must be 16 bytes`);
  if (!equal(blake2b128(data), hash)) throw new BlockError(`block ${name}: stored bytes do not match their hash (corrupt or tampered)`);
  let plain: Uint8Array;
  try {
    plain = snappyDecompress(xxteaDecrypt(data, key), maxLength);
  } catch (e) {
    throw new BlockError(`block ${name}: ${(e as Error).message}`);
  }
  if (!equal(blake2b128(plain), key)) throw new BlockError(`block ${name}: plaintext does not match its key`);
  return plain;
}
