// The one shape of a signing capability, shared by the identity driver (which holds the key), the chain
// driver (extrinsics) and the RMB peer (envelopes, JWTs): a public key and a sign function, never the key.
export type KeyType = "ed25519" | "sr25519";

export interface Signer {
  /** 32-byte public key = the account id on chain */
  publicKey: Uint8Array;
  type: KeyType;
  /** Returns the raw 64-byte signature of `payload` (no type prefix). */
  sign(payload: Uint8Array): Promise<Uint8Array>;
}
