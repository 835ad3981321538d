// The attenuated signers (the shapes the chain submitter and the RMB peer take) over a Signer capability
// granted by the identity driver: the key stays in the identity process; only extrinsic payloads,
// envelopes and JWT claims cross, and the identity driver decides what it signs.
import type * as $ from "capnp-es";
import { Signer$Client } from "../schema/gen/identity.ts";
import type { ExtrinsicSigner, KeyType } from "../lib/signer.ts";
import { encodeEnvelope } from "../rmb/envelope.ts";
import type { RmbSigner } from "../rmb/rmb-signer.ts";

/** Runs a call on the current Signer capability (a kernel `Ref` re-acquires it after a revocation). */
export type UseCap = <R>(fn: (cap: $.Client) => Promise<R>) => Promise<R>;

async function publicKeyOf(use: UseCap): Promise<{ publicKey: Uint8Array; type: KeyType }> {
  const pk = await use((c) => new Signer$Client(c).publicKey().promise());
  return { publicKey: new Uint8Array(pk.publicKey.toUint8Array()), type: pk.keyType === 1 ? "sr25519" : "ed25519" };
}

/** A chain-purpose signer: reads the public key once; every payload goes to the identity driver. */
export async function remoteExtrinsicSigner(use: UseCap): Promise<ExtrinsicSigner> {
  const { publicKey, type } = await publicKeyOf(use);
  return {
    publicKey,
    type,
    signExtrinsic: (payload) =>
      use(async (c) => {
        const r = await new Signer$Client(c).signExtrinsic((p) => p._initPayload(payload.length).copyBuffer(payload)).promise();
        return new Uint8Array(r.signature.toUint8Array());
      }),
  };
}

/** An rmb-purpose signer: envelopes travel encoded (without their signature), JWTs as claims. */
export async function remoteRmbSigner(use: UseCap): Promise<RmbSigner> {
  const { publicKey, type } = await publicKeyOf(use);
  return {
    publicKey,
    type,
    signEnvelope: (e) => {
      const bytes = encodeEnvelope({ ...e, signature: undefined });
      return use(async (c) => {
        const r = await new Signer$Client(c).signEnvelope((p) => p._initEnvelope(bytes.length).copyBuffer(bytes)).promise();
        return new Uint8Array(r.signature.toUint8Array());
      });
    },
    signJwt: (claims) =>
      use(async (c) => {
        const r = await new Signer$Client(c).signJwt((p) => {
          p.twinId = claims.sub;
          p.iat = BigInt(claims.iat);
          p.exp = BigInt(claims.exp);
          p.sid = claims.sid ?? "";
        }).promise();
        return r.token;
      }),
    e2eSecret: () =>
      use(async (c) => new Uint8Array((await new Signer$Client(c).e2eSecret().promise()).secret.toUint8Array())),
  };
}
