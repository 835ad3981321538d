// Workload names, workload ids and network ids (zosbase pkg/gridtypes/id.go, zos/network.go).
import { createHash } from "node:crypto";
import { base58Encode } from "../../../capabilities/lib/ss58.ts";

const NAME_RE = /^[a-zA-Z0-9_]+$/;

/** null when valid, else why not (Go IsValidName). */
export function nameError(name: string): string | null {
  if (name.length === 0) return "name cannot be empty";
  // Go counts bytes (the limit is the virtio-fs tag length)
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > 36) return `name is ${bytes} bytes long, at most 36 are allowed`;
  if (!NAME_RE.test(name)) return "name may only contain letters a-z A-Z, digits and '_'";
  if (name === "ygg") return "name 'ygg' is reserved";
  return null;
}

export function workloadId(twin: number, contract: bigint, name: string): string {
  return `${twin}-${contract}-${name}`;
}

/** base58(md5(text)) cut to 13 characters. */
function short(text: string): string {
  return base58Encode(new Uint8Array(createHash("md5").update(text).digest())).slice(0, 13);
}

/** NetID of network `name` of `twin`. */
export function networkId(twin: number, name: string): string {
  return short(`${twin}:${name}`);
}

/** Unique(x) for a workload id (tap and filter names). */
export function uniqueName(wlid: string, x: string): string {
  return short(`${wlid}:${x}`);
}
