// rfs v2 block crypto (rfs src/store/bs.rs): key = BLAKE2b-256(plain); data = AES-256-GCM(key,
// nonce = key[0..12], snappy(plain)) ‖ 16-byte tag; id = BLAKE2b-256(data). Deterministic, so equal
// blocks dedup across users; the id names the stored bytes and the key proves the plaintext.
import { createCipheriv, createDecipheriv } from "node:crypto";
// subpaths, not the package index: a decode-pool worker loads only these (the index costs ≈ 0.4 s of CPU)
import { blake2AsU8a } from "@polkadot/util-crypto/blake2/asU8a";
import { cryptoWaitReady } from "@polkadot/util-crypto/crypto";
import { snappyCompress, snappyDecompress } from "./snappy.ts";
import { type AesGcm, nativeAesGcm } from "./aes-gcm-native.ts";

/** rfs splits files into 512 KiB blocks. */
export const BLOCK_SIZE = 512 * 1024;

export interface EncodedBlock {
  /** BLAKE2b-256 of the stored (encrypted) bytes: the store key */
  id: Uint8Array;
  /** BLAKE2b-256 of the plaintext: the AES key */
  key: Uint8Array;
  data: Uint8Array;
}

// BLAKE2b from @polkadot/wasm-crypto once its WASM is loaded (≈40× faster than pure JS here, and the
// hot path of reading flists); until then util-crypto falls back to @noble/hashes with equal results.
await cryptoWaitReady();

export function blake2b256(data: Uint8Array): Uint8Array {
  return blake2AsU8a(data, 256);
}

export function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export function encodeBlock(plain: Uint8Array): EncodedBlock {
  const key = blake2b256(plain);
  const packed = snappyCompress(plain);
  const native = nativeAesGcm();
  let data: Uint8Array;
  if (native) data = native.encrypt(key, key.subarray(0, 12), packed);
  else {
    const cipher = createCipheriv("aes-256-gcm", key, key.subarray(0, 12));
    const body = Buffer.concat([cipher.update(packed), cipher.final(), cipher.getAuthTag()]);
    data = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  }
  return { id: blake2b256(data), key, data };
}

const AUTH_FAILED = "AES-GCM authentication failed (wrong key or tampered block)";

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** A block that fails a check; `what` says which one. */
export class BlockError extends Error {
  override name = "BlockError";
}

/** The checks before decryption, shared by both decoders; returns the block's name for errors. */
function checkStored(id: Uint8Array, key: Uint8Array, data: Uint8Array): string {
  const name = hex(id);
  if (key.length !== 32 || id.length !== 32) throw new BlockError(`block ${name}: id and key must be 32 bytes`);
  if (!equal(blake2b256(data), id)) throw new BlockError(`block ${name}: stored bytes do not match their id (corrupt or tampered)`);
  if (data.length < 16) throw new BlockError(`block ${name}: too short to hold an AES-GCM tag`);
  return name;
}

/** After decryption, shared by both decoders: bounded snappy, then the plaintext checked against its key. */
function unpack(name: string, packed: Uint8Array, key: Uint8Array, into?: Uint8Array): Uint8Array {
  let plain: Uint8Array;
  try {
    plain = snappyDecompress(packed, BLOCK_SIZE, into);
  } catch (e) {
    throw new BlockError(`block ${name}: ${(e as Error).message}`);
  }
  if (!equal(blake2b256(plain), key)) throw new BlockError(`block ${name}: plaintext does not match its key`);
  return plain;
}

/** Checks the stored bytes against `id`, decrypts and decompresses with `key`, checks the plaintext
 * against `key`. Any mismatch throws BlockError naming the block: never a wrong plaintext. */
export function decodeBlock(id: Uint8Array, key: Uint8Array, data: Uint8Array): Uint8Array {
  const name = checkStored(id, key, data);
  const native = nativeAesGcm();
  if (native) return unpack(name, decryptNative(native, name, key, data), key);
  let packed: Uint8Array;
  try {
    const d = createDecipheriv("aes-256-gcm", key, key.subarray(0, 12));
    d.setAuthTag(data.subarray(data.length - 16));
    packed = Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
  } catch {
    throw new BlockError(`block ${name}: ${AUTH_FAILED}`);
  }
  return unpack(name, packed, key);
}

function decryptNative(native: AesGcm, name: string, key: Uint8Array, data: Uint8Array, into?: Uint8Array): Uint8Array {
  const packed = native.decrypt(key, key.subarray(0, 12), data, into);
  if (!packed) throw new BlockError(`block ${name}: ${AUTH_FAILED}`);
  return packed;
}

/** decodeBlock for the materialiser: AES-GCM through libcrypto when this process may use it (≈ 1 ms a
 * block, on the JS thread), else through WebCrypto (Deno's native implementation, off the JS thread, so
 * decryption of one block overlaps hashing and decompressing the next). Same checks, same errors. */
export async function decodeBlockAsync(id: Uint8Array, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const name = checkStored(id, key, data);
  const native = nativeAesGcm();
  if (native) return unpack(name, decryptNative(native, name, key, data), key);
  let packed: Uint8Array;
  try {
    const k = await crypto.subtle.importKey("raw", key as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["decrypt"]);
    packed = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: key.subarray(0, 12) as Uint8Array<ArrayBuffer> }, k, data as Uint8Array<ArrayBuffer>));
  } catch {
    throw new BlockError(`block ${name}: ${AUTH_FAILED}`);
  }
  return unpack(name, packed, key);
}

/**
 * Reusable memory for decodeBlockInto: the decrypted (still compressed) bytes and the plaintext of one
 * block. Fresh 512 KiB buffers per block cost more than the decoding on a virtualised machine (first-touch
 * page faults: 2–30 ms each under load, against 0.2 ms for AES-GCM through libcrypto).
 */
export class BlockScratch {
  // snappy output is at most BLOCK_SIZE; its input at most 32 + n + n/6 (snappyCompress's bound)
  readonly packed = new Uint8Array(32 + BLOCK_SIZE + Math.ceil(BLOCK_SIZE / 6));
  readonly plain = new Uint8Array(BLOCK_SIZE);
}

/**
 * decodeBlock through libcrypto into `scratch`: the result is a view of scratch.plain, valid until the next
 * call with the same scratch (the materialiser writes it out first). null when libcrypto cannot be used
 * in this process (then use decodeBlockAsync). Same checks, same errors.
 */
export function decodeBlockInto(id: Uint8Array, key: Uint8Array, data: Uint8Array, scratch: BlockScratch): Uint8Array | null {
  const native = nativeAesGcm();
  if (!native) return null;
  const name = checkStored(id, key, data);
  return unpack(name, decryptNative(native, name, key, data, scratch.packed), key, scratch.plain);
}
