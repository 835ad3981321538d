// The contract every workload type implements: decode raw data (Go json semantics), write its part
// of the challenge, validate with the node's rules, report the capacity it consumes.
import type { JsonValue } from "./json.ts";
import type { Capacity } from "./types.ts";

/** Accumulates the challenge text (Go fmt renderings, no separators). */
export class ChallengeWriter {
  parts: string[] = [];
  s(v: string): void {
    this.parts.push(v);
  }
  n(v: number | bigint): void {
    this.parts.push(String(v));
  }
  b(v: boolean): void {
    this.parts.push(v ? "true" : "false");
  }
  text(): string {
    return this.parts.join("");
  }
}

/** What validation may look up in the same deployment (Go WorkloadGetter). */
export interface WorkloadGetter {
  get(name: string): { type: string; data: JsonValue | undefined } | undefined;
  byType(type: string): { name: string; data: JsonValue | undefined }[];
}

export interface TypeHandler<T> {
  decode(v: JsonValue, path: string): T;
  challenge(d: T, w: ChallengeWriter): void;
  /** Returns null when valid, else the error text (the caller adds workload name/type). */
  validate(d: T, getter: WorkloadGetter): string | null;
  capacity(d: T): Capacity;
}

/** Error from a type's Valid with the field it concerns. */
export function fieldError(field: string, message: string): string {
  return field ? `${field}: ${message}` : message;
}
