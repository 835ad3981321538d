// Names both sides of a VM's network interface derive from the VM id, so neither trusts the other's word:
// the network module creates the tap `tapName(prefix, vmId, slot)` on the NR's bridge and the hypervisor
// driver attaches only the taps named for the VM it starts (another twin's VM has another id, hence
// another tap name). Linux link names hold 15 bytes: prefix (≤ 3) + 12 hex digits.
import { createHash } from "node:crypto";

export function tapName(prefix: string, vmId: string, slot: number): string {
  if (!/^[a-z][a-z0-9-]{0,2}$/.test(prefix)) throw new Error(`tap prefix "${prefix}" must be 1–3 of [a-z0-9-] starting with a letter`);
  return prefix + createHash("sha256").update(`${vmId}/${slot}`).digest("hex").slice(0, 12);
}

/** A locally administered unicast MAC derived from the tap name (as Zero-OS derives it from the tap). */
export function macFor(tap: string): string {
  const h = createHash("sha256").update(tap).digest();
  const b = [0x52, 0x54, 0x00, h[0], h[1], h[2]];
  return b.map((x) => x.toString(16).padStart(2, "0")).join(":");
}
