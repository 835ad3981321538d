// Cap'n Proto standard stream framing: (segmentCount-1):u32, segmentCount × size-in-words:u32, padding to 8
// bytes, then the segments. FrameReader turns arbitrarily chunked bytes into whole frames and rejects frames
// over the configured limits before buffering them, so a peer cannot make us allocate more than maxFrameBytes.

export interface FrameLimits {
  /** Largest accepted frame, header included. */
  maxFrameBytes: number;
  /** Largest accepted segment count. */
  maxSegments: number;
}

export const defaultFrameLimits: FrameLimits = { maxFrameBytes: 8 * 1024 * 1024, maxSegments: 512 };

export class FrameError extends Error {
  override name = "FrameError";
}

export class FrameReader {
  private readonly limits: FrameLimits;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Size of the frame being assembled, once its header has been read (0 = header not read yet). */
  private frameBytes = 0;

  constructor(limits: FrameLimits = defaultFrameLimits) {
    this.limits = limits;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Feeds one chunk; returns the frames it completed (each a standalone copy or view). Throws FrameError. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    for (;;) {
      if (this.frameBytes === 0) {
        if (this.buffered < 8) break;
        const first = this.peek(4);
        const count = new DataView(first.buffer, first.byteOffset, 4).getUint32(0, true) + 1;
        if (count > this.limits.maxSegments || count === 0) {
          throw new FrameError(`frame declares ${count} segments (limit ${this.limits.maxSegments})`);
        }
        const headerBytes = (4 + 4 * count + 7) & ~7;
        if (this.buffered < headerBytes) break;
        const header = this.peek(headerBytes);
        const view = new DataView(header.buffer, header.byteOffset, headerBytes);
        let total = headerBytes;
        for (let i = 0; i < count; i++) {
          const words = view.getUint32(4 + 4 * i, true);
          total += words * 8;
          if (total > this.limits.maxFrameBytes) {
            throw new FrameError(`frame larger than ${this.limits.maxFrameBytes} bytes`);
          }
        }
        if (total === headerBytes) throw new FrameError("frame has no content");
        this.frameBytes = total;
      }
      if (this.buffered < this.frameBytes) break;
      frames.push(this.take(this.frameBytes));
      this.frameBytes = 0;
    }
    return frames;
  }

  /** The first n buffered bytes without consuming them (n <= buffered). */
  private peek(n: number): Uint8Array {
    const head = this.chunks[0];
    if (head.byteLength >= n) return head.subarray(0, n);
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.byteLength, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (off === n) break;
    }
    return out;
  }

  /** Consumes n bytes (n <= buffered); a view when they sit in one chunk, else a copy. */
  private take(n: number): Uint8Array {
    this.buffered -= n;
    const head = this.chunks[0];
    if (head.byteLength >= n) {
      if (head.byteLength === n) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
      return head.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.byteLength, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.byteLength) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
