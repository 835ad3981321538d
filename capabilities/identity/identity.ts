// The node identity: an ed25519 key from the seed file. It hands out attenuated signers — one that signs
// only allow-listed TFChain extrinsics, one that signs only RMB envelopes and JWTs it builds itself — and
// its public identity; the seed, the secret key and raw signing stay in private members.
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, type KeyObject, sign as nodeSign } from "node:crypto";
// ed25519 through node:crypto (native; the same RFC 8032 signatures as polkadot-js) and SS58/base58 of our own:
// @polkadot/util-crypto is not loaded at start (its module graph costs ≈ 25 MiB; only the TFChain decoder needs it)
import { base58Encode, ss58Encode } from "../lib/ss58.ts";
import { ed25519Verify } from "../rmb/signature.ts";
import { loadOrCreateSeed } from "./seed.ts";
import type { ExtrinsicSigner, KeyType, Signer } from "../lib/signer.ts";
import { challenge } from "../rmb/challenge.ts";
import type { Envelope } from "../rmb/envelope.ts";
import { type JwtClaims, jwtSigningInput, jwtWithSignature } from "../rmb/jwt.ts";
import { checkJwtClaims, deriveE2eSecret, type RmbSigner } from "../rmb/rmb-signer.ts";
import { ExtrinsicPolicy } from "./chain-policy.ts";
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

// an ed25519 private key is this fixed PKCS#8 DER prefix (RFC 8410) followed by the 32-byte seed
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

export class NodeIdentity {
  readonly #key: KeyObject;
  readonly #public: PublicIdentity;
  readonly #uses = new Map<Purpose, number>();

  private constructor(seed: Uint8Array) {
    this.#key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(this.#key).export({ format: "der", type: "spki" });
    const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
    this.#public = {
      publicKey,
      publicKeyHex: "0x" + Buffer.from(publicKey).toString("hex"),
      address: ss58Encode(publicKey, 42),
      nodeId: base58Encode(publicKey),
      keyType: "ed25519",
    };
  }

  /** Opens (or creates once) the seed file at `seedPath`. */
  static async open(seedPath: string): Promise<{ identity: NodeIdentity; created: boolean }> {
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
    // the generated decoder is small (no @polkadot/types): built here, so a bad allow-list fails at grant time
    const policy = new ExtrinsicPolicy(calls);
    const sign = this.#signFor("chain");
    return Object.freeze({
      publicKey: new Uint8Array(this.#public.publicKey),
      type: "ed25519" as const,
      async signExtrinsic(payload: Uint8Array): Promise<Uint8Array> {
        if (!(payload instanceof Uint8Array)) throw new TypeError("signExtrinsic() takes a Uint8Array");
        return sign(policy.check(payload).toSign);
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
    const key = this.#key;
    const uses = this.#uses;
    return (bytes) => {
      uses.set(purpose, (uses.get(purpose) ?? 0) + 1);
      return new Uint8Array(nodeSign(null, bytes, key));
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
