// Splits a byte stream into Cap'n Proto messages using the standard stream framing (segment count - 1,
// segment sizes in words, padding, segments). The limits turn a garbage or hostile stream into a clean
// protocol error instead of an unbounded buffer.
export const MAX_SEGMENTS = 64;
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FramingError";
  }
}

export class FrameSplitter {
  private buf: Uint8Array = new Uint8Array(0);

  /** Appends `chunk` and returns every complete message now available (each a fresh copy). */
  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = this.buf.length ? concat(this.buf, chunk) : chunk;
    const out: Uint8Array[] = [];
    let off = 0;
    for (;;) {
      const len = messageLength(this.buf, off);
      if (len < 0 || off + len > this.buf.length) break;
      out.push(this.buf.slice(off, off + len));
      off += len;
    }
    this.buf = off === 0 ? this.buf : this.buf.slice(off);
    return out;
  }

  get pending(): number {
    return this.buf.length;
  }
}

/** Total length of the message starting at `off`, or -1 when the header is not complete yet. */
function messageLength(b: Uint8Array, off: number): number {
  if (b.length - off < 4) return -1;
  const dv = new DataView(b.buffer, b.byteOffset + off, b.length - off);
  const segs = dv.getUint32(0, true) + 1;
  if (segs > MAX_SEGMENTS) throw new FramingError(`message declares ${segs} segments (limit ${MAX_SEGMENTS})`);
  const headerWords = Math.ceil((4 + 4 * segs) / 8);
  const header = headerWords * 8;
  if (b.length - off < 4 + 4 * segs) return -1;
  let words = 0;
  for (let i = 0; i < segs; i++) words += dv.getUint32(4 + 4 * i, true);
  if (words === 0) throw new FramingError("message has no content (all segments empty)");
  const total = header + words * 8;
  if (total > MAX_MESSAGE_BYTES) throw new FramingError(`message of ${total} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  return total;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
