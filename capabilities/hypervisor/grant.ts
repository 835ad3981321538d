// A hypervisor grant's restrictions: {"roots": [names of the driver's roots a request's paths may be under],
// "tapPrefix": "t-", "owners"?: [twin ids]}, or a read-only view of another holder's VMs:
// {"readOnly": true, "of": "<grantee>"} (info, list, console; the api module reads consoles this way).
// Unknown keys are refused so a typo never widens a grant.
import type { Scope } from "./spec.ts";

export function scopeFor(restrictions: Record<string, unknown>, roots: Map<string, string>): Scope {
  for (const k of Object.keys(restrictions)) {
    if (!["roots", "tapPrefix", "owners", "readOnly", "of", "$comment"].includes(k)) throw new Error(`denied: hypervisor: unknown restriction "${k}" (allowed: roots, tapPrefix, owners, readOnly, of)`);
  }
  const names = restrictions.roots ?? [];
  if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) throw new Error("denied: hypervisor: restriction roots must be a list of root names");
  const granted = new Map<string, string>();
  for (const n of names as string[]) {
    const path = roots.get(n);
    if (!path) throw new Error(`denied: hypervisor: the driver has no root "${n}" (it has ${[...roots.keys()].join(", ") || "none"})`);
    granted.set(n, path);
  }
  const tapPrefix = restrictions.tapPrefix ?? "t-";
  if (typeof tapPrefix !== "string" || !/^[a-z][a-z0-9-]{0,2}$/.test(tapPrefix)) throw new Error("denied: hypervisor: tapPrefix must be 1–3 of [a-z0-9-]");
  let owners: number[] | null = null;
  if (restrictions.owners !== undefined) {
    const o = restrictions.owners;
    if (!Array.isArray(o) || !o.every((x) => Number.isInteger(x))) throw new Error("denied: hypervisor: owners must be a list of twin ids");
    owners = o as number[];
  }
  let readOf: string | null = null;
  if (restrictions.readOnly !== undefined || restrictions.of !== undefined) {
    if (restrictions.readOnly !== true || typeof restrictions.of !== "string" || !restrictions.of) throw new Error("denied: hypervisor: a read-only grant is {\"readOnly\": true, \"of\": \"<process>\"}");
    if (names.length) throw new Error("denied: hypervisor: a read-only grant lists no roots");
    readOf = restrictions.of;
  }
  return { roots: granted, tapPrefix, owners, readOf };
}

/** Driver args after the state dir and netns: `name=/abs/path` roots (created when missing). */
export function parseRoots(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf("=");
    const name = a.slice(0, eq);
    const path = a.slice(eq + 1);
    if (eq < 1 || !/^[a-z][a-z0-9-]*$/.test(name) || !path.startsWith("/")) throw new Error(`hypervisor: root "${a}" must be NAME=/absolute/path`);
    out.set(name, path.replace(/\/+$/, ""));
  }
  return out;
}
