// Hex as Go's encoding/hex does it: either case accepted, even length required, lowercase output.

const HEX = "0123456789abcdef";

/** Returns the bytes, or an error message string (never throws). */
export function decodeHex(s: string): Uint8Array | string {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i + 1 < s.length; i += 2) {
    const hi = nib(s.charCodeAt(i));
    const lo = nib(s.charCodeAt(i + 1));
    if (hi < 0) return `invalid hex character ${JSON.stringify(s[i])} at position ${i}`;
    if (lo < 0) return `invalid hex character ${JSON.stringify(s[i + 1])} at position ${i + 1}`;
    out[i >> 1] = (hi << 4) | lo;
  }
  if (s.length % 2 === 1) {
    if (nib(s.charCodeAt(s.length - 1)) < 0) {
      return `invalid hex character ${JSON.stringify(s[s.length - 1])} at position ${s.length - 1}`;
    }
    return "odd length hex string";
  }
  return out;
}

function nib(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function encodeHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}
