// Lets @polkadot/api sign extrinsics with a purpose-scoped Signer (public key + sign function) instead
// of a KeyringPair, so the node's key stays inside its identity holder. The signature is returned in
// MultiSignature form (scheme byte + 64 bytes), as injected wallet signers do.
import type { ApiPromise } from "@polkadot/api";
import type { Signer as PolkadotSigner, SignerResult } from "@polkadot/api/types";
import type { SignerPayloadJSON, SignerPayloadRaw } from "@polkadot/types/types";
import { u8aConcat, u8aToHex, hexToU8a } from "@polkadot/util";
import { blake2AsU8a, encodeAddress } from "@polkadot/util-crypto";

export interface RawSigner {
  publicKey: Uint8Array;
  type: "ed25519" | "sr25519";
  sign(bytes: Uint8Array): Promise<Uint8Array>;
}

export function addressOf(s: RawSigner): string {
  return encodeAddress(s.publicKey, 42);
}

export function polkadotSigner(api: ApiPromise, s: RawSigner): PolkadotSigner {
  let id = 0;
  const scheme = s.type === "ed25519" ? 0 : 1;
  const multi = async (msg: Uint8Array): Promise<SignerResult> => {
    const sig = await s.sign(msg);
    return { id: ++id, signature: u8aToHex(u8aConcat(new Uint8Array([scheme]), sig)) };
  };
  return {
    signPayload(payload: SignerPayloadJSON): Promise<SignerResult> {
      const p = api.registry.createType("ExtrinsicPayload", payload, { version: payload.version });
      let bytes = p.toU8a({ method: true });
      // Substrate signs the blake2-256 of payloads longer than 256 bytes.
      if (bytes.length > 256) bytes = blake2AsU8a(bytes, 256);
      return multi(bytes);
    },
    signRaw(raw: SignerPayloadRaw): Promise<SignerResult> {
      return multi(hexToU8a(raw.data));
    },
  };
}
