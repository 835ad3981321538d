// Raw snappy (no framing), the block compression rfs uses. Pure and self-contained: the format is
// small (a varint length, then literal and copy tags) and owning it keeps the decoder strict — a
// malformed or hostile block throws instead of reading out of bounds or growing without limit.

/** Compresses with a greedy 4-byte hash matcher; output is valid for any snappy decoder. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const n = input.length;
  const out = new Uint8Array(32 + n + Math.ceil(n / 6));
  let o = 0;
  let len = n;
  while (len >= 0x80) {
    out[o++] = (len & 0x7f) | 0x80;
    len >>>= 7;
  }
  out[o++] = len;
  const table = new Int32Array(1 << 14).fill(-1);
  const load = (i: number) =>
    (input[i] | (input[i + 1] << 8) | (input[i + 2] << 16) | (input[i + 3] << 24)) >>> 0;
  const hash = (v: number) => Math.imul(v, 0x1e35a7bd) >>> 18;
  let lit = 0; // start of pending literal bytes
  let i = 0;
  const emitLiteral = (from: number, to: number) => {
    let l = to - from;
    if (l === 0) return;
    const m = l - 1;
    if (m < 60) out[o++] = m << 2;
    else if (m < 0x100) {
      out[o++] = 60 << 2;
      out[o++] = m;
    } else if (m < 0x10000) {
      out[o++] = 61 << 2;
      out[o++] = m & 0xff;
      out[o++] = m >>> 8;
    } else {
      out[o++] = 62 << 2;
      out[o++] = m & 0xff;
      out[o++] = (m >>> 8) & 0xff;
      out[o++] = m >>> 16;
    }
    out.set(input.subarray(from, to), o);
    o += l;
    l = 0;
  };
  const emitCopy = (offset: number, length: number) => {
    while (length > 0) {
      const l = Math.min(length, 64);
      // keep a remainder of at least 4 so the next copy is encodable
      const take = length - l > 0 && length - l < 4 ? l - 4 : l;
      if (take >= 4 && take <= 11 && offset < 2048) {
        out[o++] = 1 | ((take - 4) << 2) | ((offset >>> 8) << 5);
        out[o++] = offset & 0xff;
      } else {
        out[o++] = 2 | ((take - 1) << 2);
        out[o++] = offset & 0xff;
        out[o++] = offset >>> 8;
      }
      length -= take;
    }
  };
  if (n >= 16) {
    const limit = n - 4;
    while (i <= limit) {
      const v = load(i);
      const h = hash(v);
      const cand = table[h];
      table[h] = i;
      if (cand >= 0 && i - cand < 65536 && load(cand) === v) {
        emitLiteral(lit, i);
        let m = 4;
        while (i + m < n && input[cand + m] === input[i + m]) m++;
        emitCopy(i - cand, m);
        i += m;
        lit = i;
      } else i++;
    }
  }
  emitLiteral(lit, n);
  return out.slice(0, o);
}

/**
 * Decompresses raw snappy; throws on any malformed input and never produces more than `maxLength` bytes.
 * With `into` (large enough) the result is a view of it instead of fresh memory.
 */
export function snappyDecompress(input: Uint8Array, maxLength = 1 << 20, into?: Uint8Array): Uint8Array {
  let p = 0;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    if (p >= input.length || shift > 28) throw new Error("snappy: bad length header");
    const b = input[p++];
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (len > maxLength) throw new Error(`snappy: block claims ${len} bytes, more than the ${maxLength} allowed`);
  const out = into && into.length >= len ? into.subarray(0, len) : new Uint8Array(len);
  let o = 0;
  while (p < input.length) {
    const tag = input[p++];
    const kind = tag & 3;
    if (kind === 0) {
      let l = tag >>> 2;
      if (l >= 60) {
        const bytes = l - 59;
        if (p + bytes > input.length) throw new Error("snappy: truncated literal length");
        l = 0;
        for (let k = 0; k < bytes; k++) l |= input[p + k] << (8 * k);
        l >>>= 0;
        p += bytes;
      }
      l += 1;
      if (p + l > input.length || o + l > len) throw new Error("snappy: literal runs past the end");
      // short literals dominate text: a byte loop beats allocating a subarray view for set()
      if (l <= 32) for (let k = 0; k < l; k++) out[o + k] = input[p + k];
      else out.set(input.subarray(p, p + l), o);
      p += l;
      o += l;
      continue;
    }
    let l: number;
    let off: number;
    if (kind === 1) {
      if (p >= input.length) throw new Error("snappy: truncated copy");
      l = ((tag >>> 2) & 7) + 4;
      off = ((tag >>> 5) << 8) | input[p++];
    } else if (kind === 2) {
      if (p + 2 > input.length) throw new Error("snappy: truncated copy");
      l = (tag >>> 2) + 1;
      off = input[p] | (input[p + 1] << 8);
      p += 2;
    } else {
      if (p + 4 > input.length) throw new Error("snappy: truncated copy");
      l = (tag >>> 2) + 1;
      off = (input[p] | (input[p + 1] << 8) | (input[p + 2] << 16) | (input[p + 3] << 24)) >>> 0;
      p += 4;
    }
    if (off === 0 || off > o || o + l > len) throw new Error("snappy: copy out of range");
    // short copies and short-period runs: a forward byte loop (exact for overlaps) beats a native call
    if (l <= 16 || off < 8) {
      for (let k = o - off, end = o + l; o < end; ) out[o++] = out[k++];
      continue;
    }
    if (off >= l) out.copyWithin(o, o - off, o - off + l);
    else {
      // overlapping copy (a run): the pattern repeats every `off` bytes; copy it in doubling chunks
      let done = 0;
      while (done < l) {
        const n = Math.min(off + done, l - done);
        out.copyWithin(o + done, o - off, o - off + n);
        done += n;
      }
    }
    o += l;
  }
  if (o !== len) throw new Error(`snappy: decoded ${o} bytes, header said ${len}`);
  return out;
}
