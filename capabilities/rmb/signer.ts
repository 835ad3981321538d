// Signing identities for RMB. The node's key lives in capabilities/identity; this library only ever
// sees a `Signer` (public key + sign function), so the raw key never has to be handed over.
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import {
  cryptoWaitReady,
  ed25519PairFromSeed,
  mnemonicToMiniSecret,
  sr25519PairFromSeed,
  sr25519Sign,
  sr25519Verify,
} from "@polkadot/util-crypto";
import type { KeyType, Signer } from "../lib/signer.ts";
export type { KeyType, Signer };

const PREFIX: Record<KeyType, number> = { ed25519: 0x65, sr25519: 0x73 };

let ready: Promise<boolean> | null = null;
/** sr25519 needs the polkadot wasm module; load it once. */
export function cryptoReady(): Promise<boolean> {
  ready ??= cryptoWaitReady();
  return ready;
}

// ed25519 goes through node:crypto (native, ~10x faster than the JS implementation); keys are wrapped
// in the fixed DER prefixes of RFC 8410.
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
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

function ed25519Signer(seed: Uint8Array): (bytes: Uint8Array) => Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
  return (bytes) => new Uint8Array(nodeSign(null, bytes, key));
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
export async function verifyPrefixed(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  if (signature.length !== 65 || publicKey.length !== 32) return false;
  const sig = signature.subarray(1);
  try {
    if (signature[0] === PREFIX.ed25519) return ed25519Verify(message, sig, publicKey);
    if (signature[0] === PREFIX.sr25519) {
      await cryptoReady();
      return sr25519Verify(message, sig, publicKey);
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * A Signer over an in-memory 32-byte seed. For test users and tools; the node itself gets its Signer
 * from capabilities/identity.
 */
export async function signerFromSeed(seed: Uint8Array, type: KeyType): Promise<Signer> {
  if (seed.length !== 32) throw new Error(`seed must be 32 bytes, got ${seed.length}`);
  await cryptoReady();
  if (type === "ed25519") {
    const sign = ed25519Signer(seed);
    return {
      publicKey: ed25519PairFromSeed(seed).publicKey,
      type,
      sign: (bytes) => Promise.resolve(sign(bytes)),
    };
  }
  const pair = sr25519PairFromSeed(seed);
  return { publicKey: pair.publicKey, type, sign: (bytes) => Promise.resolve(sr25519Sign(bytes, pair)) };
}

/** The substrate "mini secret" of a BIP39 mnemonic (also the RMB e2e secp256k1 key, spec/RMB.md §5). */
export function miniSecretFromMnemonic(mnemonic: string): Uint8Array {
  return mnemonicToMiniSecret(mnemonic);
}

/** Same keys polkadot-js `Keyring.addFromUri(mnemonic)` gives (no derivation path). */
export function signerFromMnemonic(mnemonic: string, type: KeyType): Promise<Signer> {
  return signerFromSeed(miniSecretFromMnemonic(mnemonic), type);
}
