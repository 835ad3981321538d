// Go's encoding/json matches object keys case-insensitively, and zos clients rely on it (ZOS-REFERENCE
// §3.1). These helpers read request fields the same way.
import { ApiError } from "./errors.ts";

export function field(obj: unknown, name: string): unknown {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, unknown>;
  if (name in rec) return rec[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) return rec[k];
  return undefined;
}

/** A non-negative integer field (u32/u64 within JS safe range). */
export function uintField(obj: unknown, name: string, what: string): number {
  const v = field(obj, name);
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new ApiError(`${what}: "${name}" must be a non-negative integer, got ${JSON.stringify(v) ?? "nothing"}`);
  }
  return v;
}

export function stringField(obj: unknown, name: string, what: string): string {
  const v = field(obj, name);
  if (typeof v !== "string") {
    throw new ApiError(`${what}: "${name}" must be a string, got ${JSON.stringify(v) ?? "nothing"}`);
  }
  return v;
}
