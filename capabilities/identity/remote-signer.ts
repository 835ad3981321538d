// A Signer (the shape the chain submitter and the RMB peer take) over a Signer capability granted by the
// identity driver: the key stays in the identity process, only payloads and signatures cross.
import type * as $ from "capnp-es";
import { Signer$Client } from "../schema/gen/identity.ts";
import type { KeyType, Signer } from "./identity.ts";

/** Runs a call on the current Signer capability (a kernel `Ref` re-acquires it after a revocation). */
export type UseCap = <R>(fn: (cap: $.Client) => Promise<R>) => Promise<R>;

/** Reads the public key once (it never changes for a node); every sign() goes to the identity driver. */
export async function remoteSigner(use: UseCap): Promise<Signer> {
  const pk = await use((c) => new Signer$Client(c).publicKey().promise());
  const publicKey = new Uint8Array(pk.publicKey.toUint8Array());
  const type: KeyType = pk.keyType === 1 ? "sr25519" : "ed25519";
  return {
    publicKey,
    type,
    sign: (payload: Uint8Array) =>
      use(async (c) => {
        const r = await new Signer$Client(c).sign((p) => p._initPayload(payload.length).copyBuffer(payload)).promise();
        return new Uint8Array(r.signature.toUint8Array());
      }),
  };
}
