// Signing identities for RMB. The node's key lives in capabilities/identity; this library only ever
// sees a `Signer` (public key + sign function), so the raw key never has to be handed over.
import { Buffer } from "node:buffer";
import { createPrivateKey, sign as nodeSign } from "node:crypto";
import {
  cryptoWaitReady,
  ed25519PairFromSeed,
  mnemonicToMiniSecret,
  sr25519PairFromSeed,
  sr25519Sign,
} from "@polkadot/util-crypto";
import type { KeyType, Signer } from "../lib/signer.ts";
// verification and prefixed signing live apart, without this file's @polkadot/util-crypto: the drivers use those
export { ed25519Verify, signPrefixed, verifyPrefixed } from "./signature.ts";
export type { KeyType, Signer };

let ready: Promise<boolean> | null = null;
/** sr25519 needs the polkadot wasm module; load it once. */
export function cryptoReady(): Promise<boolean> {
  ready ??= cryptoWaitReady();
  return ready;
}

// ed25519 goes through node:crypto (native, ~10x faster than the JS implementation); keys are wrapped
// in the fixed DER prefix of RFC 8410.
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

function ed25519Signer(seed: Uint8Array): (bytes: Uint8Array) => Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
  return (bytes) => new Uint8Array(nodeSign(null, bytes, key));
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
