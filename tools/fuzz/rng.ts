// A seeded generator for the fuzz harness: the same seed gives the same inputs, so a finding is reproduced with
// `npm run fuzz -- --seed S --only N surface`. xorshift32 (fast, no dependency); not for cryptography.

export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = (seed >>> 0) || 0x9e3779b9;
  }
  /** 0 <= n < max */
  int(max: number): number {
    let s = this.#s;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.#s = s >>> 0;
    return this.#s % Math.max(1, max);
  }
  chance(p: number): boolean {
    return this.int(1_000_000) < p * 1_000_000;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  bytes(n: number): Uint8Array<ArrayBuffer> {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** Text that breaks parsers: control characters, quotes, separators, non-ASCII, lone surrogates, long runs. */
  text(max = 40): string {
    const alphabet = ["a", "Z", "0", "9", "-", "_", ".", "/", "\\", "\"", "'", "{", "}", "[", "]", ":", ",", " ", "\t", "\n", "\r",
      "\0", "%", "?", "#", "&", "=", "+", "*", "$", "@", "ü", "☀", "\u202e", "\ud800", "😀", "\u0085", "..", "%00", "%2e", "\x7f"];
    let s = "";
    const n = this.int(max + 1);
    for (let i = 0; i < n; i++) s += this.pick(alphabet);
    if (this.chance(0.03)) s += "A".repeat(this.int(70_000));
    return s;
  }
  /** A few random edits of `base`: flip, overwrite, insert, delete, duplicate a slice, truncate, extend. */
  mutate(base: Uint8Array): Uint8Array<ArrayBuffer> {
    let b: Uint8Array = base.slice();
    const edits = 1 + this.int(4);
    for (let k = 0; k < edits; k++) {
      const at = this.int(b.length + 1);
      switch (this.int(8)) {
        case 0: if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << this.int(8); break;
        case 1: if (b.length) b[Math.min(at, b.length - 1)] = this.pick([0, 0x7f, 0x80, 0xff, this.int(256)]); break;
        case 2: b = concat(b.subarray(0, at), this.bytes(1 + this.int(8)), b.subarray(at)); break;
        case 3: b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + this.int(8)))); break;
        case 4: { const from = this.int(b.length + 1); b = concat(b.subarray(0, at), b.subarray(from, from + this.int(32)), b.subarray(at)); break; }
        case 5: b = b.subarray(0, at).slice(); break;
        case 6: b = concat(b, this.bytes(this.int(16))); break;
        default: if (b.length) b[Math.min(at, b.length - 1)] = this.pick([0x22, 0x5c, 0x7b, 0x7d, 0x2c, 0x3a, 0x0a, 0x0d, 0x24, 0x2a]);
      }
    }
    return concat(b);
  }
  mutateText(base: string): string {
    return new TextDecoder().decode(this.mutate(new TextEncoder().encode(base)));
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
