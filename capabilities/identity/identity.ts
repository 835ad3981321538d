// The node identity: an ed25519 key from the seed file. It hands out purpose-scoped Signers and its
// public identity; the seed and secret key stay in private fields and are never returned.
import {
  base58Encode,
  cryptoWaitReady,
  ed25519PairFromSeed,
  ed25519Sign,
  ed25519Verify,
  encodeAddress,
} from "@polkadot/util-crypto";
import { Buffer } from "node:buffer";
import { loadOrCreateSeed } from "./seed.ts";
import type { KeyType, Signer } from "../lib/signer.ts";
export type { KeyType, Signer };

/** Purposes a signer can be granted for; each grant is a separate object that can be audited. */
export const PURPOSES = ["chain", "rmb", "deployment"] as const;
export type Purpose = typeof PURPOSES[number];

export interface PublicIdentity {
  publicKey: Uint8Array;
  publicKeyHex: string;
  /** SS58 (prefix 42) = the node's chain account */
  address: string;
  /** base58 of the public key, Zero-OS's NodeID string */
  nodeId: string;
  keyType: "ed25519";
}

export class NodeIdentity {
  readonly #secretKey: Uint8Array;
  readonly #public: PublicIdentity;
  readonly #uses = new Map<Purpose, number>();

  private constructor(seed: Uint8Array) {
    const pair = ed25519PairFromSeed(seed);
    this.#secretKey = pair.secretKey;
    this.#public = {
      publicKey: pair.publicKey,
      publicKeyHex: "0x" + Buffer.from(pair.publicKey).toString("hex"),
      address: encodeAddress(pair.publicKey, 42),
      nodeId: base58Encode(pair.publicKey),
      keyType: "ed25519",
    };
  }

  /** Opens (or creates once) the seed file at `seedPath`. */
  static async open(seedPath: string): Promise<{ identity: NodeIdentity; created: boolean }> {
    await cryptoWaitReady();
    const { seed, created } = loadOrCreateSeed(seedPath);
    return { identity: new NodeIdentity(seed), created };
  }

  /** For tests and tools that already hold a seed in memory. */
  static fromSeed(seed: Uint8Array): NodeIdentity {
    if (seed.length !== 32) throw new Error("a seed is 32 bytes");
    return new NodeIdentity(seed);
  }

  publicIdentity(): PublicIdentity {
    return { ...this.#public, publicKey: new Uint8Array(this.#public.publicKey) };
  }

  /** A Signer for one purpose; the identity counts signatures per purpose (for audit). */
  signer(purpose: Purpose): Signer {
    if (!PURPOSES.includes(purpose)) {
      throw new Error(`unknown signing purpose "${purpose}" (allowed: ${PURPOSES.join(", ")})`);
    }
    const secret = this.#secretKey;
    const pub = this.#public.publicKey;
    const uses = this.#uses;
    return Object.freeze({
      publicKey: new Uint8Array(pub),
      type: "ed25519" as const,
      sign(payload: Uint8Array): Promise<Uint8Array> {
        if (!(payload instanceof Uint8Array)) {
          return Promise.reject(new TypeError("sign() takes a Uint8Array"));
        }
        uses.set(purpose, (uses.get(purpose) ?? 0) + 1);
        return Promise.resolve(ed25519Sign(payload, { publicKey: pub, secretKey: secret }));
      },
    });
  }

  signatures(purpose: Purpose): number {
    return this.#uses.get(purpose) ?? 0;
  }

  verify(payload: Uint8Array, signature: Uint8Array): boolean {
    return ed25519Verify(payload, signature, this.#public.publicKey);
  }

  toJSON(): unknown {
    return {
      address: this.#public.address,
      nodeId: this.#public.nodeId,
      publicKey: this.#public.publicKeyHex,
    };
  }
}
