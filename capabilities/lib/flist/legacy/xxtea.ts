// XXTEA (Corrected Block TEA) as the "xxtea-c" library does it, which 0-flist uses for legacy blocks:
// the plaintext length is appended as a final little-endian 32-bit word before encrypting, and the
// 16-byte key is "fixed" — every byte after its first 0x00 byte is zeroed (a C-string quirk that a
// reimplementation must reproduce, or about 6 % of blocks, those whose key holds a zero, fail).
const DELTA = 0x9e3779b9;

function fixKey(key: Uint8Array): Uint32Array {
  const k = new Uint8Array(16);
  k.set(key.subarray(0, 16));
  let i = 0;
  while (i < 16 && k[i] !== 0) i++;
  for (i++; i < 16; i++) k[i] = 0;
  return words(k, 16, false);
}

/** Little-endian words of `data`, zero-padded; with `withLength`, one more word holding data.length. */
function words(data: Uint8Array, len: number, withLength: boolean): Uint32Array {
  const n = Math.ceil(len / 4);
  const out = new Uint32Array(withLength ? n + 1 : n);
  const bytes = new Uint8Array(out.buffer);
  bytes.set(data.subarray(0, len));
  if (withLength) out[n] = len;
  return out;
}

function mx(sum: number, y: number, z: number, p: number, e: number, k: Uint32Array): number {
  return ((((z >>> 5) ^ (y << 2)) + ((y >>> 3) ^ (z << 4))) ^ ((sum ^ y) + (k[(p & 3) ^ e] ^ z))) >>> 0;
}

function encryptWords(v: Uint32Array, k: Uint32Array): void {
  const n = v.length - 1;
  if (n < 1) return;
  let z = v[n];
  let y: number;
  let sum = 0;
  for (let q = 6 + Math.floor(52 / (n + 1)); q > 0; q--) {
    sum = (sum + DELTA) >>> 0;
    const e = (sum >>> 2) & 3;
    let p = 0;
    for (; p < n; p++) {
      y = v[p + 1];
      z = v[p] = (v[p] + mx(sum, y, z, p, e, k)) >>> 0;
    }
    y = v[0];
    z = v[n] = (v[n] + mx(sum, y, z, p, e, k)) >>> 0;
  }
}

function decryptWords(v: Uint32Array, k: Uint32Array): void {
  const n = v.length - 1;
  if (n < 1) return;
  let z: number;
  let y = v[0];
  const q = 6 + Math.floor(52 / (n + 1));
  let sum = Math.imul(q, DELTA) >>> 0;
  while (sum !== 0) {
    const e = (sum >>> 2) & 3;
    let p = n;
    for (; p > 0; p--) {
      z = v[p - 1];
      y = v[p] = (v[p] - mx(sum, y, z, p, e, k)) >>> 0;
    }
    z = v[n];
    y = v[0] = (v[0] - mx(sum, y, z, p, e, k)) >>> 0;
    sum = (sum - DELTA) >>> 0;
  }
}

export function xxteaEncrypt(data: Uint8Array, key: Uint8Array): Uint8Array {
  if (data.length === 0) throw new Error("xxtea: nothing to encrypt");
  const v = words(data, data.length, true);
  encryptWords(v, fixKey(key));
  return new Uint8Array(v.buffer);
}

/** Decrypts; throws when the length word does not fit the ciphertext (wrong key or damaged data). */
export function xxteaDecrypt(data: Uint8Array, key: Uint8Array): Uint8Array {
  if (data.length < 8 || data.length % 4 !== 0) throw new Error(`xxtea: ${data.length} bytes is not a valid ciphertext length`);
  const v = new Uint32Array(data.length / 4);
  new Uint8Array(v.buffer).set(data);
  decryptWords(v, fixKey(key));
  const n = (v.length - 1) * 4;
  const m = v[v.length - 1];
  if (m < n - 3 || m > n) throw new Error("xxtea: the length word does not fit (wrong key or damaged data)");
  return new Uint8Array(v.buffer, 0, m).slice();
}
