// A transport driven by the test: it records what the connection writes and lets the test feed bytes in any
// chunking it likes (one byte at a time, many frames per chunk, garbage).
import type { Transport, TransportSink } from "../transport.ts";

export class ManualTransport implements Transport {
  sink: TransportSink | null = null;
  written: Uint8Array[] = [];
  closed = false;
  start(sink: TransportSink): void {
    this.sink = sink;
  }
  write(bytes: Uint8Array): void {
    if (!this.closed) this.written.push(bytes.slice());
  }
  close(): void {
    this.closed = true;
  }
  /** Everything written so far as one buffer (and clears it). */
  drain(): Uint8Array {
    const n = this.written.reduce((s, b) => s + b.byteLength, 0);
    const out = new Uint8Array(n);
    let off = 0;
    for (const b of this.written) {
      out.set(b, off);
      off += b.byteLength;
    }
    this.written = [];
    return out;
  }
  feed(bytes: Uint8Array): void {
    this.sink?.data(bytes);
  }
}

export type Chunking = "whole" | "bytewise" | "random";

/** Moves bytes between two manual transports until both are quiet, chunked as asked. */
export async function pump(a: ManualTransport, b: ManualTransport, chunking: Chunking, rounds = 2000): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < rounds && quiet < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    const ab = a.drain();
    const ba = b.drain();
    if (ab.byteLength === 0 && ba.byteLength === 0) {
      quiet++;
      continue;
    }
    quiet = 0;
    deliver(ab, b, chunking);
    deliver(ba, a, chunking);
  }
}

function deliver(bytes: Uint8Array, to: ManualTransport, chunking: Chunking): void {
  if (bytes.byteLength === 0) return;
  if (chunking === "whole") to.feed(bytes);
  else if (chunking === "bytewise") for (let i = 0; i < bytes.byteLength; i++) to.feed(bytes.subarray(i, i + 1));
  else {
    let off = 0;
    while (off < bytes.byteLength) {
      const n = 1 + Math.floor(Math.random() * 97);
      to.feed(bytes.subarray(off, off + n));
      off += n;
    }
  }
}
