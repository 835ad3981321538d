// JSON text for values read from the chain or the engine: u64/u128 values may be bigints.
export function toJson(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
}

/** "" (absent) → null, else the parsed JSON. */
export function fromJson<T = unknown>(text: string): T | null {
  return text === "" ? null : (JSON.parse(text) as T);
}
