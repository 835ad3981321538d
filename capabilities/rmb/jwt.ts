// The relay connection token (spec/RMB.md §2.2): base64url JSON header and claims, signed as-is
// (no hashing) with the twin key; signature = scheme byte + 64 bytes. "RS512" is only a label.
import type { Signer } from "../lib/signer.ts";
import { signPrefixed, verifyPrefixed } from "./signature.ts";

export interface JwtClaims {
  sub: number;
  iat: number;
  exp: number;
  sid?: string;
}

function b64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new JwtError("malformed", "token part is not base64url");
  // a length of 4k+1 is no base64 at all (atob would throw a DOMException the relay took for a lookup failure)
  if (text.length % 4 === 1) throw new JwtError("malformed", `token part of ${text.length} characters is not base64url (a length of 4k+1 is impossible)`);
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export type JwtFailure = "malformed" | "expired" | "unknown-twin" | "bad-signature";

export class JwtError extends Error {
  readonly reason: JwtFailure;
  constructor(reason: JwtFailure, message: string) {
    super(message);
    this.name = "JwtError";
    this.reason = reason;
  }
}

export async function createJwt(
  signer: Signer,
  twinId: number,
  opts: { sid?: string; ttlS?: number; nowS?: number } = {},
): Promise<string> {
  const iat = opts.nowS ?? Math.floor(Date.now() / 1000);
  const claims: JwtClaims = { sub: twinId, iat, exp: iat + (opts.ttlS ?? 60) };
  if (opts.sid) claims.sid = opts.sid;
  const signed = jwtSigningInput(claims);
  const sig = await signPrefixed(signer, new TextEncoder().encode(signed));
  return jwtWithSignature(signed, sig);
}

/** The `header.claims` text a JWT signature covers (what an attenuated signer builds itself). */
export function jwtSigningInput(claims: JwtClaims): string {
  const enc = new TextEncoder();
  const c: JwtClaims = { sub: claims.sub, iat: claims.iat, exp: claims.exp };
  if (claims.sid) c.sid = claims.sid;
  const head = b64url(enc.encode(JSON.stringify({ alg: "RS512", typ: "JWT" })));
  return `${head}.${b64url(enc.encode(JSON.stringify(c)))}`;
}

export function jwtWithSignature(signingInput: string, signature65: Uint8Array): string {
  return `${signingInput}.${b64url(signature65)}`;
}

/** Parses without verifying; throws JwtError("malformed") with the reason. */
export function parseJwt(token: string): { claims: JwtClaims; signed: Uint8Array; signature: Uint8Array } {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtError("malformed", `token has ${parts.length} parts, expected 3`);
  let header: unknown;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(fromB64url(parts[0])));
    claims = JSON.parse(new TextDecoder().decode(fromB64url(parts[1])));
  } catch (err) {
    if (err instanceof JwtError) throw err;
    throw new JwtError("malformed", "token header or claims are not JSON");
  }
  if (typeof header !== "object" || header === null || (header as { alg?: unknown }).alg !== "RS512") {
    throw new JwtError("malformed", 'token header alg must be "RS512"');
  }
  if (typeof claims !== "object" || claims === null) {
    throw new JwtError("malformed", "claims are not an object");
  }
  const { sub, iat, exp, sid } = claims;
  if (typeof sub !== "number" || !Number.isInteger(sub) || sub <= 0 || sub > 0xffffffff) {
    throw new JwtError("malformed", "claim sub must be a twin id (u32 > 0)");
  }
  if (typeof iat !== "number" || typeof exp !== "number") {
    throw new JwtError("malformed", "claims iat/exp must be numbers");
  }
  if (sid !== undefined && sid !== null && typeof sid !== "string") {
    throw new JwtError("malformed", "claim sid must be a string");
  }
  const signature = fromB64url(parts[2]);
  if (signature.length !== 65) {
    throw new JwtError("malformed", `signature is ${signature.length} bytes, expected 65`);
  }
  return {
    claims: { sub, iat, exp, ...(typeof sid === "string" && sid !== "" ? { sid } : {}) },
    signed: new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    signature,
  };
}

/**
 * Full relay-side check: shape, expiry, twin exists, signature by the twin's account key.
 * `accountKeyOf` returns the twin's 32-byte account id or null if the twin is unknown.
 */
export async function verifyJwt(
  token: string,
  accountKeyOf: (twin: number) => Promise<Uint8Array | null>,
  nowS = Math.floor(Date.now() / 1000),
): Promise<JwtClaims> {
  const { claims, signed, signature } = parseJwt(token);
  if (nowS > claims.exp) throw new JwtError("expired", `token expired at ${claims.exp} (now ${nowS})`);
  const key = await accountKeyOf(claims.sub);
  if (!key) throw new JwtError("unknown-twin", `twin ${claims.sub} does not exist on the chain`);
  if (!(await verifyPrefixed(signed, signature, key))) {
    throw new JwtError("bad-signature", `token signature does not match twin ${claims.sub}'s account key`);
  }
  return claims;
}
