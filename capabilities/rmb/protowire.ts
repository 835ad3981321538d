// The few protobuf wire-format primitives the RMB Envelope needs (varint, length-delimited, skipping
// unknown fields). Hand-written so the relay and the node carry no protobuf dependency; the schema is
// small and frozen (spec/RMB.md §3).

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
    const out: number[] = [];
    let v = value;
    while (v > 0x7f) {
      out.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    this.push(Uint8Array.from(out));
  }

  tag(field: number, wireType: 0 | 2): void {
    this.varint(field * 8 + wireType);
  }

  uint(field: number, value: number): void {
    this.tag(field, 0);
    this.varint(value);
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message (possibly empty, which still marks a oneof member as set). */
  message(field: number, body: Uint8Array): void {
    this.bytes(field, body);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export class ProtoDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtoDecodeError";
  }
}

export interface Field {
  field: number;
  wireType: number;
  /** varint value (wire type 0) */
  num: number;
  /** payload (wire type 2) */
  bytes: Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ProtoDecodeError(`${what} is not valid UTF-8`);
  }
}

/** Iterates the top-level fields of one message; throws ProtoDecodeError on truncated or bad input. */
export function* readFields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= buf.length) throw new ProtoDecodeError("truncated varint");
      const b = buf[at++];
      result += (b & 0x7f) * scale;
      if (!(b & 0x80)) {
        if (!Number.isSafeInteger(result)) throw new ProtoDecodeError("varint larger than 2^53");
        return result;
      }
      scale *= 128;
    }
    throw new ProtoDecodeError("varint longer than 10 bytes");
  };
  while (at < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw new ProtoDecodeError("field number 0");
    switch (wireType) {
      case 0:
        yield { field, wireType, num: varint(), bytes: new Uint8Array(0) };
        break;
      case 1:
        if (at + 8 > buf.length) throw new ProtoDecodeError("truncated fixed64");
        at += 8;
        break;
      case 2: {
        const len = varint();
        if (at + len > buf.length) {
          throw new ProtoDecodeError(`field ${field}: length ${len} runs past the end`);
        }
        yield { field, wireType, num: 0, bytes: buf.subarray(at, at + len) };
        at += len;
        break;
      }
      case 5:
        if (at + 4 > buf.length) throw new ProtoDecodeError("truncated fixed32");
        at += 4;
        break;
      default:
        throw new ProtoDecodeError(`unsupported wire type ${wireType} (field ${field})`);
    }
  }
}
