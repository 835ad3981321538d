// The node identity: an ed25519 key from the seed file. It hands out attenuated signers — one that signs
// only allow-listed TFChain extrinsics, one that signs only RMB envelopes and JWTs it builds itself — and
// its public identity; the seed, the secret key and raw signing stay in private members.
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
import type { ExtrinsicSigner, KeyType, Signer } from "../lib/signer.ts";
import { challenge } from "../rmb/challenge.ts";
import type { Envelope } from "../rmb/envelope.ts";
import { type JwtClaims, jwtSigningInput, jwtWithSignature } from "../rmb/jwt.ts";
import { checkJwtClaims, deriveE2eSecret, type RmbSigner } from "../rmb/rmb-signer.ts";
import type { ExtrinsicPolicy } from "./chain-policy.ts";
import { checkAllowList } from "./allow-list.ts";
export type { ExtrinsicSigner, KeyType, RmbSigner, Signer };

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

  /**
   * The chain-purpose signer: signs only TFChain extrinsic payloads whose calls are in `calls`
   * (section.method, e.g. "tfgridModule.createNode"); see chain-policy.ts.
   */
  chainSigner(calls: readonly string[]): ExtrinsicSigner {
    checkAllowList(calls);
    // The TFChain decoder (@polkadot/types and the metadata) is loaded at the first extrinsic, not at the
    // driver's start: it is most of this process's start-up time and memory (docs/PERFORMANCE.md).
    let policy: Promise<ExtrinsicPolicy> | null = null;
    const sign = this.#signFor("chain");
    return Object.freeze({
      publicKey: new Uint8Array(this.#public.publicKey),
      type: "ed25519" as const,
      async signExtrinsic(payload: Uint8Array): Promise<Uint8Array> {
        if (!(payload instanceof Uint8Array)) throw new TypeError("signExtrinsic() takes a Uint8Array");
        policy ??= import("./chain-policy.ts").then((m) => new m.ExtrinsicPolicy(calls));
        return sign((await policy).check(payload).toSign);
      },
    });
  }

  /** The rmb-purpose signer: RMB envelopes (it computes the challenge), relay JWTs and the e2e secret. */
  rmbSigner(): RmbSigner {
    const sign = this.#signFor("rmb");
    const prefixed = (bytes: Uint8Array) => {
      const out = new Uint8Array(65);
      out[0] = 0x65; // 'e': ed25519
      out.set(sign(bytes), 1);
      return out;
    };
    return Object.freeze({
      publicKey: new Uint8Array(this.#public.publicKey),
      type: "ed25519" as const,
      signEnvelope: (e: Envelope) => Promise.resolve(prefixed(challenge(e))),
      signJwt: (claims: JwtClaims) => {
        try {
          const input = jwtSigningInput(checkJwtClaims(claims));
          return Promise.resolve(jwtWithSignature(input, prefixed(new TextEncoder().encode(input))));
        } catch (err) {
          return Promise.reject(err);
        }
      },
      e2eSecret: () => deriveE2eSecret((b) => Promise.resolve(sign(b))),
    });
  }

  /** Raw signing, private to this class: only the attenuated signers above reach it. */
  #signFor(purpose: Purpose): (bytes: Uint8Array) => Uint8Array {
    const secret = this.#secretKey;
    const pub = this.#public.publicKey;
    const uses = this.#uses;
    return (bytes) => {
      uses.set(purpose, (uses.get(purpose) ?? 0) + 1);
      return ed25519Sign(bytes, { publicKey: pub, secretKey: secret });
    };
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
