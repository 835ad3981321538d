// Prefixed signatures of RMB envelopes and relay JWTs (scheme byte 'e' or 's' + 64 bytes) without
// @polkadot/util-crypto at start: ed25519 through node:crypto; sr25519 verification loads the one piece it needs
// (@polkadot/util-crypto's sr25519/verify, pure JS) at the first sr25519 signature, so a driver that never sees
// one never pays the ≈ 15–25 MiB that package's module graph costs a process.
import { Buffer } from "node:buffer";
import { createPublicKey, type KeyObject, verify as nodeVerify } from "node:crypto";
import type { KeyType, Signer } from "../lib/signer.ts";

export const PREFIX: Record<KeyType, number> = { ed25519: 0x65, sr25519: 0x73 };

// ed25519 public keys wrapped in the fixed DER prefix of RFC 8410
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");
const publicKeys = new Map<string, KeyObject>();

function ed25519PublicKey(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw).toString("hex");
  let key = publicKeys.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });
    if (publicKeys.size > 10_000) publicKeys.clear();
    publicKeys.set(id, key);
  }
  return key;
}

export function ed25519Verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return nodeVerify(null, message, ed25519PublicKey(publicKey), signature);
}

type Sr25519Verify = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;
let sr25519: Promise<Sr25519Verify> | null = null;
function sr25519Verifier(): Promise<Sr25519Verify> {
  sr25519 ??= import("@polkadot/util-crypto/sr25519/verify").then((m) => m.sr25519Verify as Sr25519Verify);
  return sr25519;
}

/** Signs and prepends the scheme byte ('e' or 's'), giving the 65-byte form used by JWTs and envelopes. */
export async function signPrefixed(signer: Signer, bytes: Uint8Array): Promise<Uint8Array> {
  const sig = await signer.sign(bytes);
  if (sig.length !== 64) throw new Error(`signer returned ${sig.length} bytes, expected 64`);
  const out = new Uint8Array(65);
  out[0] = PREFIX[signer.type];
  out.set(sig, 1);
  return out;
}

/** Verifies a 65-byte prefixed signature against a 32-byte public key. Never throws. */
export async function verifyPrefixed(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  if (signature.length !== 65 || publicKey.length !== 32) return false;
  const sig = signature.subarray(1);
  try {
    if (signature[0] === PREFIX.ed25519) return ed25519Verify(message, sig, publicKey);
    if (signature[0] === PREFIX.sr25519) return (await sr25519Verifier())(message, sig, publicKey);
  } catch {
    return false;
  }
  return false;
}
