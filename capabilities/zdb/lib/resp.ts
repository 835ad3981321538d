// RESP (the redis protocol) as 0-db speaks it: requests are arrays of bulk strings (inline commands are
// accepted too, as redis-cli sends them), replies are simple strings, errors, integers, bulk strings and
// arrays. Pure code, no I/O: the server feeds bytes in and writes the encoded replies out.
import { Buffer } from "node:buffer";

/** 0-db refuses any single argument larger than this with "-Payload too big" and drops the connection. */
export const MAX_PAYLOAD = 8 * 1024 * 1024;
/** all arguments of one request together (SET key value is at most 8 MiB + 255 bytes) */
const MAX_REQUEST = MAX_PAYLOAD + 1024 * 1024;
const MAX_ARGS = 64 * 1024;
const MAX_INLINE = 64 * 1024;

export class RespProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RespProtocolError";
  }
}

/**
 * Incremental request parser. `push(chunk)` buffers bytes; `next()` returns one complete request (its
 * arguments as Buffers that share the parser's memory until the next push), or null when more bytes are
 * needed. Throws RespProtocolError on malformed or oversized input; the connection must then be dropped.
 */
export class RespParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** chunks held back while a large request is still incomplete (joined once, not once per chunk) */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** bytes from `pos` the incomplete request needs at least (0 = unknown) */
  private need = 0;

  push(chunk: Buffer): void {
    if (this.need > 0 && this.pending() + chunk.length < this.need) {
      this.parts.push(chunk);
      this.partBytes += chunk.length;
      return;
    }
    if (this.pos >= this.buf.length && this.parts.length === 0) {
      this.buf = chunk;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), ...this.parts, chunk]);
    }
    this.parts = [];
    this.partBytes = 0;
    this.pos = 0;
    this.need = 0;
  }

  /** Bytes received and not yet consumed by a complete request. */
  pending(): number {
    return this.buf.length - this.pos + this.partBytes;
  }

  next(): Buffer[] | null {
    if (this.parts.length) return null;
    const buf = this.buf;
    let p = this.pos;
    if (p >= buf.length) return null;
    if (buf[p] !== 0x2a /* '*' */) return this.inline();
    const line = readLine(buf, p + 1);
    if (!line) return null;
    const count = parseCount(buf, p + 1, line.end, "array length", MAX_ARGS);
    p = line.next;
    const args: Buffer[] = new Array(Math.max(count, 0));
    let total = 0;
    for (let i = 0; i < count; i++) {
      if (p >= buf.length) return null;
      if (buf[p] !== 0x24 /* '$' */) throw new RespProtocolError(`expected '$', got '${String.fromCharCode(buf[p])}'`);
      const l = readLine(buf, p + 1);
      if (!l) return null;
      const len = parseCount(buf, p + 1, l.end, "bulk length", Number.MAX_SAFE_INTEGER);
      if (len > MAX_PAYLOAD) throw new RespProtocolError("Payload too big");
      if (len < 0) throw new RespProtocolError("null bulk string in a request");
      total += len;
      if (total > MAX_REQUEST) throw new RespProtocolError("Payload too big");
      if (l.next + len + 2 > buf.length) {
        this.need = l.next + len + 2 - this.pos;
        return null;
      }
      args[i] = buf.subarray(l.next, l.next + len);
      p = l.next + len + 2;
    }
    this.pos = p;
    return args;
  }

  private inline(): Buffer[] | null {
    const buf = this.buf;
    const nl = buf.indexOf(0x0a, this.pos);
    if (nl < 0) {
      if (buf.length - this.pos > MAX_INLINE) throw new RespProtocolError("inline request too long");
      return null;
    }
    const end = nl > this.pos && buf[nl - 1] === 0x0d ? nl - 1 : nl;
    const text = buf.subarray(this.pos, end).toString("latin1");
    this.pos = nl + 1;
    const parts = text.split(" ").filter((s) => s.length > 0);
    if (parts.length === 0) return this.next();
    return parts.map((s) => Buffer.from(s, "latin1"));
  }
}

function readLine(buf: Buffer, from: number): { end: number; next: number } | null {
  const nl = buf.indexOf(0x0d, from);
  if (nl < 0 || nl + 1 >= buf.length) {
    if (buf.length - from > 32) throw new RespProtocolError("length line too long");
    return null;
  }
  if (buf[nl + 1] !== 0x0a) throw new RespProtocolError("expected CRLF");
  return { end: nl, next: nl + 2 };
}

function parseCount(buf: Buffer, from: number, to: number, what: string, max: number): number {
  if (to === from) throw new RespProtocolError(`empty ${what}`);
  let neg = false;
  let n = 0;
  let i = from;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  for (; i < to; i++) {
    const c = buf[i] - 0x30;
    if (c < 0 || c > 9) throw new RespProtocolError(`invalid ${what}`);
    n = n * 10 + c;
    if (n > max) throw new RespProtocolError(what === "bulk length" ? "Payload too big" : `${what} too large`);
  }
  return neg ? -n : n;
}

// ---- replies ----

export type Reply =
  | { t: "simple"; s: string }
  | { t: "error"; s: string }
  | { t: "int"; n: number | bigint }
  | { t: "bulk"; b: Buffer | null }
  | { t: "array"; items: Reply[] };

export const ok: Reply = { t: "simple", s: "OK" };
export const nil: Reply = { t: "bulk", b: null };
export const simple = (s: string): Reply => ({ t: "simple", s });
export const error = (s: string): Reply => ({ t: "error", s });
export const int = (n: number | bigint): Reply => ({ t: "int", n });
export const bulk = (b: Buffer | string): Reply => ({ t: "bulk", b: typeof b === "string" ? Buffer.from(b) : b });
export const array = (items: Reply[]): Reply => ({ t: "array", items });

const CRLF = Buffer.from("\r\n");
const NIL = Buffer.from("$-1\r\n");

/** Appends the wire form of `r` to `out` (a list of chunks the caller writes in one go). */
export function encode(r: Reply, out: Buffer[]): void {
  switch (r.t) {
    case "simple":
      out.push(Buffer.from(`+${r.s}\r\n`));
      return;
    case "error":
      out.push(Buffer.from(`-${r.s}\r\n`));
      return;
    case "int":
      out.push(Buffer.from(`:${r.n}\r\n`));
      return;
    case "bulk":
      if (r.b === null) {
        out.push(NIL);
        return;
      }
      out.push(Buffer.from(`$${r.b.length}\r\n`), r.b, CRLF);
      return;
    case "array":
      out.push(Buffer.from(`*${r.items.length}\r\n`));
      for (const i of r.items) encode(i, out);
      return;
  }
}
