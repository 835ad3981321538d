// Signature check exactly as Go Deployment.Verify: every request must be satisfied (the
// originator's is forced required), each twin's key comes from a TwinKeys lookup (the chain later,
// a file in the CLI), ed25519 via node:crypto, sr25519 via @polkadot/util-crypto (loaded lazily,
// it costs ~100 ms of WASM start-up), weights summed as Go `uint` (wrapping at 2^64).
import { createPublicKey, verify as edVerify, type KeyObject } from "node:crypto";
import { challenge, clientChallenge, md5 } from "./deployment.ts";
import { decodeHex, encodeHex } from "./hex.ts";
import type { Deployment } from "./types.ts";

/** Looks up a twin's account public key (32 bytes). Throws (or rejects) when the twin is unknown. */
export interface TwinKeys {
  getKey(twin: number): Promise<Uint8Array> | Uint8Array;
}

export type VerifyResult = { ok: true; hash: string; rendering: "node" | "client" } | { ok: false; hash: string; reason: string };

const ED_SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const edKeys = new Map<string, KeyObject>();

function edKey(pub: Uint8Array): KeyObject {
  const h = encodeHex(pub);
  let k = edKeys.get(h);
  if (!k) {
    const der = new Uint8Array(44);
    der.set(ED_SPKI_PREFIX);
    der.set(pub, 12);
    k = createPublicKey({ key: der as unknown as Buffer, format: "der", type: "spki" });
    if (edKeys.size > 10000) edKeys.clear();
    edKeys.set(h, k);
  }
  return k;
}

export function ed25519Verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (pub.length !== 32 || sig.length !== 64) return false;
  try {
    return edVerify(null, msg, edKey(pub), sig);
  } catch {
    return false;
  }
}

type Sr = (msg: Uint8Array, sig: Uint8Array, pub: Uint8Array) => boolean;
let srVerify: Sr | null = null;

async function sr25519(): Promise<Sr> {
  if (!srVerify) {
    const uc = await import("@polkadot/util-crypto");
    await uc.cryptoWaitReady();
    srVerify = (msg, sig, pub) => {
      try {
        return uc.sr25519Verify(msg, sig, pub);
      } catch {
        return false;
      }
    };
  }
  return srVerify;
}

export function sr25519Verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
  if (pub.length !== 32 || sig.length !== 64) return Promise.resolve(false);
  return sr25519().then((f) => f(msg, sig, pub));
}

function messageFor(hashBytes: Uint8Array, style: string): Uint8Array {
  if (style !== "polka-wallet") return hashBytes;
  return new TextEncoder().encode(`<Bytes>${encodeHex(hashBytes)}</Bytes>`);
}

const U64_MOD = 1n << 64n;

async function verifyAgainst(d: Deployment, hashBytes: Uint8Array, keys: TwinKeys): Promise<string | null> {
  const req = d.signature_requirement;
  const message = messageFor(hashBytes, req.signature_style);
  let originatorFound = false;
  let weight = 0n;
  for (const r of req.requests) {
    let required = r.required;
    if (r.twin_id === d.twin_id) {
      originatorFound = true;
      required = true;
    }
    const sig = req.signatures.find((s) => s.twin_id === r.twin_id);
    if (!sig && required) return `missing required signature for twin '${r.twin_id}'`;
    let pub: Uint8Array;
    try {
      pub = await keys.getKey(r.twin_id);
    } catch (e) {
      return `failed to get public key for twin '${r.twin_id}': ${(e as Error).message}`;
    }
    if (!sig) return `failed to verify signature of twin '${r.twin_id}': no signature from this twin`;
    const bytes = decodeHex(sig.signature);
    if (typeof bytes === "string") return `invalid signature of twin '${r.twin_id}': ${bytes}`;
    const ok = sig.signature_type === "sr25519" ? await sr25519Verify(pub, message, bytes) : ed25519Verify(pub, message, bytes);
    if (!ok) {
      const kind = sig.signature_type === "sr25519" ? "sr25519" : "ed25519";
      return `failed to verify ${kind} signature of twin '${r.twin_id}'`;
    }
    weight = (weight + r.weight) % U64_MOD;
  }
  if (!originatorFound) return `originator twin id '${d.twin_id}' must be in the signature requests`;
  if (weight < req.weight_required) return `required signature weight is not reached (${weight} < ${req.weight_required})`;
  return null;
}

/**
 * Verifies all signature requests. Accepts a signature over the node's rendering, or over
 * grid_client's rendering where the issue allows it (network-light without a WireGuard port).
 * Throws DeploymentError only when the data cannot be decoded (then there is no hash).
 */
export async function verifyDeployment(d: Deployment, keys: TwinKeys): Promise<VerifyResult> {
  const nodeHash = md5(challenge(d));
  const hash = encodeHex(nodeHash);
  const err = await verifyAgainst(d, nodeHash, keys);
  if (err === null) return { ok: true, hash, rendering: "node" };
  const alt = clientChallenge(d);
  if (alt !== null) {
    const err2 = await verifyAgainst(d, md5(alt), keys);
    if (err2 === null) return { ok: true, hash: encodeHex(md5(alt)), rendering: "client" };
  }
  return { ok: false, hash, reason: err };
}
