// The shapes of signing capabilities. `Signer` signs raw bytes: only for keys held in memory (test users,
// tools, the dev grid's funder). The node's key never has one: the identity driver hands out attenuated
// signers that build what they sign themselves — `ExtrinsicSigner` here (chain purpose) and `RmbSigner`
// (capabilities/rmb/rmb-signer.ts, rmb purpose).
export type KeyType = "ed25519" | "sr25519";

export interface Signer {
  /** 32-byte public key = the account id on chain */
  publicKey: Uint8Array;
  type: KeyType;
  /** Returns the raw 64-byte signature of `payload` (no type prefix). */
  sign(payload: Uint8Array): Promise<Uint8Array>;
}

/** Signs TFChain extrinsic payloads only, and only the calls its grant allows. */
export interface ExtrinsicSigner {
  publicKey: Uint8Array;
  type: KeyType;
  /** `payload` is the full SCALE ExtrinsicPayload (not hashed); returns the raw 64-byte signature. */
  signExtrinsic(payload: Uint8Array): Promise<Uint8Array>;
}
