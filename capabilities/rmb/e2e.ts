// End-to-end payload encryption (spec/RMB.md §5): secp256k1 ECDH, key = SHA-256(shared x),
// AES-256-GCM with cipher = nonce(12) || ciphertext || tag(16).
import { createCipheriv, createDecipheriv, createECDH, createHash, randomBytes } from "node:crypto";

export interface E2eKey {
  /** 33-byte compressed secp256k1 public key, as published in the twin's `pk` */
  publicKey: Uint8Array;
  /** AES key shared with the holder of `peerPublicKey` */
  sharedKey(peerPublicKey: Uint8Array): Uint8Array;
}

export class E2eError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "E2eError";
  }
}

/** The e2e key from a 32-byte secret (the mnemonic's mini secret, or a hex seed's bytes). */
export function e2eKeyFromSecret(secret: Uint8Array): E2eKey {
  if (secret.length !== 32) throw new E2eError(`e2e secret must be 32 bytes, got ${secret.length}`);
  const ecdh = createECDH("secp256k1");
  ecdh.setPrivateKey(secret);
  const publicKey = new Uint8Array(ecdh.getPublicKey(null, "compressed"));
  const cache = new Map<string, Uint8Array>();
  return {
    publicKey,
    sharedKey(peer: Uint8Array): Uint8Array {
      const id = Buffer.from(peer).toString("hex");
      let key = cache.get(id);
      if (!key) {
        let x: Buffer;
        try {
          x = ecdh.computeSecret(peer);
        } catch {
          throw new E2eError("peer pk is not a valid secp256k1 public key");
        }
        key = new Uint8Array(createHash("sha256").update(x).digest());
        if (cache.size > 1024) cache.clear();
        cache.set(id, key);
      }
      return key;
    },
  };
}

export function seal(key: Uint8Array, plain: Uint8Array): Uint8Array {
  const nonce = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, nonce);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return new Uint8Array(Buffer.concat([nonce, body, c.getAuthTag()]));
}

export function open(key: Uint8Array, cipher: Uint8Array): Uint8Array {
  if (cipher.length < 12 + 16) {
    throw new E2eError(`cipher is ${cipher.length} bytes, shorter than nonce + tag`);
  }
  const d = createDecipheriv("aes-256-gcm", key, cipher.subarray(0, 12));
  d.setAuthTag(cipher.subarray(cipher.length - 16));
  try {
    return new Uint8Array(Buffer.concat([d.update(cipher.subarray(12, cipher.length - 16)), d.final()]));
  } catch {
    throw new E2eError("cipher does not decrypt with the shared key (wrong key or tampered)");
  }
}
