// What an RMB peer needs from a key, and nothing more: signatures over envelopes (the signer computes the
// challenge from the fields), relay JWTs (the signer builds the token) and the e2e secret. The node's
// RmbSigner comes from the identity driver (capabilities/identity) and never signs raw bytes, so a
// compromised rmb driver cannot make it sign a chain extrinsic. Test users and tools wrap an in-memory key.
import { createHash } from "node:crypto";
import { challenge } from "./challenge.ts";
import type { Envelope } from "./envelope.ts";
import { type JwtClaims, jwtSigningInput, jwtWithSignature } from "./jwt.ts";
import type { KeyType, Signer } from "../lib/signer.ts";
import { signPrefixed } from "./signature.ts";

export interface RmbSigner {
  readonly publicKey: Uint8Array;
  readonly type: KeyType;
  /** the 65-byte prefixed signature over `challenge(e)` */
  signEnvelope(e: Envelope): Promise<Uint8Array>;
  /** a complete relay JWT for `claims` */
  signJwt(claims: JwtClaims): Promise<string>;
  /** the 32-byte secret of the twin's e2e key */
  e2eSecret(): Promise<Uint8Array>;
}

/** The longest JWT an rmb signer issues (peers ask for 60 s; the relay checks `exp` at connect only). */
export const MAX_JWT_TTL_S = 3600;
/** The label the node key signs to derive the node's e2e secret (the same in every zos-ts node). */
export const E2E_LABEL = "zos-ts rmb e2e key v1";

/** Refuses claims an rmb signer must not sign; returns them normalised. */
export function checkJwtClaims(c: JwtClaims): JwtClaims {
  const u32 = (v: unknown) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 0xffffffff;
  if (!u32(c.sub)) throw new Error(`jwt: twin id ${c.sub} is not a u32 above 0`);
  if (!Number.isSafeInteger(c.iat) || !Number.isSafeInteger(c.exp) || c.exp <= c.iat) throw new Error("jwt: exp must be after iat");
  if (c.exp - c.iat > MAX_JWT_TTL_S) throw new Error(`jwt: lifetime ${c.exp - c.iat} s is over ${MAX_JWT_TTL_S} s`);
  if (c.sid !== undefined && (typeof c.sid !== "string" || c.sid.length > 256)) throw new Error("jwt: sid must be a string of at most 256 characters");
  return c.sid ? { sub: c.sub, iat: c.iat, exp: c.exp, sid: c.sid } : { sub: c.sub, iat: c.iat, exp: c.exp };
}

/** The e2e secret derivation: SHA-256 of the key's (deterministic ed25519) signature over E2E_LABEL. */
export async function deriveE2eSecret(sign: (bytes: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array> {
  const sig = await sign(new TextEncoder().encode(E2E_LABEL));
  return new Uint8Array(createHash("sha256").update(sig).digest());
}

/** An RmbSigner over a key held in memory (test users, tools, the official-client interop tests). */
export function rmbSignerFrom(signer: Signer): RmbSigner {
  return {
    publicKey: signer.publicKey,
    type: signer.type,
    signEnvelope: (e) => signPrefixed(signer, challenge(e)),
    signJwt: async (claims) => {
      const input = jwtSigningInput(checkJwtClaims(claims));
      return jwtWithSignature(input, await signPrefixed(signer, new TextEncoder().encode(input)));
    },
    e2eSecret: () => deriveE2eSecret((b) => signer.sign(b)),
  };
}

/** Accepts either form: RmbPeer and the tools take a raw in-memory Signer or an attenuated RmbSigner. */
export function asRmbSigner(s: Signer | RmbSigner): RmbSigner {
  return "signEnvelope" in s ? s : rmbSignerFrom(s);
}
