// The bytes an envelope signature covers (spec/RMB.md §4): an MD5 over the fields in a fixed order,
// numbers in decimal ASCII. Must match rmb-rs, the Go peer and rmb_direct_client byte for byte.
import { createHash } from "node:crypto";
import type { Address, Envelope } from "./envelope.ts";
import type { Signer } from "../lib/signer.ts";
import { signPrefixed, verifyPrefixed } from "./signature.ts";

function addressText(a: Address | undefined): string {
  // Rust hashes the default address (twin 0) when absent; only relay errors lack one and they are unsigned.
  return `${a?.twin ?? 0}${a?.connection ?? ""}`;
}

export function challenge(e: Envelope): Uint8Array {
  const h = createHash("md5");
  h.update(e.uid);
  if (e.tags) h.update(e.tags);
  h.update(String(e.timestamp));
  h.update(String(e.expiration));
  h.update(addressText(e.source));
  h.update(addressText(e.destination));
  const m = e.message;
  if (m?.kind === "request") h.update(m.command);
  else if (m?.kind === "error") h.update(`${m.code}${m.message}`);
  if (e.schema) h.update(e.schema);
  if (e.federation) h.update(e.federation);
  if (e.plain && e.plain.length) h.update(e.plain);
  else if (e.cipher && e.cipher.length) h.update(e.cipher);
  for (const r of e.relays) h.update(r);
  return new Uint8Array(h.digest());
}

/** Sets `e.signature` (65 bytes) over the challenge. */
export async function signEnvelope(e: Envelope, signer: Signer): Promise<Envelope> {
  e.signature = await signPrefixed(signer, challenge(e));
  return e;
}

export function verifyEnvelope(e: Envelope, publicKey: Uint8Array): Promise<boolean> {
  if (!e.signature) return Promise.resolve(false);
  return verifyPrefixed(challenge(e), e.signature, publicKey);
}
