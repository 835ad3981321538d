// The on-disk forms, pure code (encode/decode only; namespace.ts does the I/O).
//
// Data record (appended to `zdb-data-NNNNN`, little-endian), 20-byte header then key then payload:
//   0 magic u8 = 0x5a ('Z')   1 kind u8 (0 set, 1 delete)   2 key length u8   3 reserved u8 = 0
//   4 payload length u32      8 timestamp u32 (unix s)      12 payload CRC-32 u32
//  16 header CRC-32 u32 over bytes 0..15 and the key
// A record is valid when the header CRC matches and the whole payload is in the file (and, for the last
// record of the file, the payload CRC matches too): that is how replay after kill -9 tells a record in
// flight from a complete one and cuts it off, so no torn record is ever served.
//
// Namespace descriptor (`zdb-namespace`), the 0-db v2 header that Zero-OS also reads:
//   version u32 (= 2) | name length u8 | password length u8 | maxsize u64 | flags u8 | name | password
// flags: 1 public, 2 worm, 4 extended (always set, as 0-db does); zos-ts adds 8 sequential mode,
// 16 locked (read-only), 32 frozen (no access) so a paused workload stays paused across restarts.
import { Buffer } from "node:buffer";
import { crc32 } from "./crc32.ts";

export const RECORD_HEADER = 20;
export const MAGIC = 0x5a;
export const KIND_SET = 0;
export const KIND_DELETE = 1;
export const MAX_KEY = 255;

export interface RecordHeader {
  kind: number;
  keyLength: number;
  payloadLength: number;
  timestamp: number;
  payloadCrc: number;
}

/** Header + key + payload as one buffer, ready for a single append. */
export function encodeRecord(kind: number, key: Uint8Array, payload: Uint8Array, timestamp: number, payloadCrc = crc32(payload)): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER + key.length + payload.length);
  out[0] = MAGIC;
  out[1] = kind;
  out[2] = key.length;
  out[3] = 0;
  out.writeUInt32LE(payload.length, 4);
  out.writeUInt32LE(timestamp >>> 0, 8);
  out.writeUInt32LE(payloadCrc, 12);
  out.set(key, RECORD_HEADER);
  out.writeUInt32LE(headerCrc(out.subarray(0, 16), key), 16);
  out.set(payload, RECORD_HEADER + key.length);
  return out;
}

function headerCrc(first16: Uint8Array, key: Uint8Array): number {
  return crc32(key, crc32(first16));
}

/**
 * Decodes the header at `buf[off]` (which must hold at least RECORD_HEADER bytes plus the key).
 * Returns null when the bytes are not a valid record header (bad magic, kind or CRC).
 */
export function decodeHeader(buf: Buffer, off: number): RecordHeader | null {
  if (buf[off] !== MAGIC) return null;
  const kind = buf[off + 1];
  if (kind !== KIND_SET && kind !== KIND_DELETE) return null;
  const keyLength = buf[off + 2];
  if (off + RECORD_HEADER + keyLength > buf.length) return null;
  const want = buf.readUInt32LE(off + 16);
  const got = headerCrc(buf.subarray(off, off + 16), buf.subarray(off + RECORD_HEADER, off + RECORD_HEADER + keyLength));
  if (want !== got) return null;
  return {
    kind,
    keyLength,
    payloadLength: buf.readUInt32LE(off + 4),
    timestamp: buf.readUInt32LE(off + 8),
    payloadCrc: buf.readUInt32LE(off + 12),
  };
}

export const FLAG_PUBLIC = 1;
export const FLAG_WORM = 2;
export const FLAG_EXTENDED = 4;
export const FLAG_SEQUENTIAL = 8;
export const FLAG_LOCKED = 16;
export const FLAG_FROZEN = 32;

export interface NamespaceHeader {
  name: string;
  password: string | null;
  maxsize: bigint;
  public: boolean;
  worm: boolean;
  mode: "user" | "seq";
  locked: boolean;
  frozen: boolean;
}

export function encodeNamespaceHeader(h: NamespaceHeader): Buffer {
  const name = Buffer.from(h.name);
  const pass = Buffer.from(h.password ?? "");
  const out = Buffer.alloc(15 + name.length + pass.length);
  out.writeUInt32LE(2, 0);
  out[4] = name.length;
  out[5] = pass.length;
  out.writeBigUInt64LE(h.maxsize, 6);
  out[14] = FLAG_EXTENDED | (h.public ? FLAG_PUBLIC : 0) | (h.worm ? FLAG_WORM : 0) | (h.mode === "seq" ? FLAG_SEQUENTIAL : 0) |
    (h.locked ? FLAG_LOCKED : 0) | (h.frozen ? FLAG_FROZEN : 0);
  name.copy(out, 15);
  pass.copy(out, 15 + name.length);
  return out;
}

export function decodeNamespaceHeader(buf: Buffer): NamespaceHeader {
  if (buf.length < 15) throw new Error(`namespace descriptor too short (${buf.length} bytes)`);
  const version = buf.readUInt32LE(0);
  if (version !== 2) throw new Error(`namespace descriptor version ${version} is not supported (expected 2)`);
  const nl = buf[4];
  const pl = buf[5];
  if (buf.length < 15 + nl + pl) throw new Error("namespace descriptor truncated");
  const flags = buf[14];
  return {
    maxsize: buf.readBigUInt64LE(6),
    name: buf.subarray(15, 15 + nl).toString(),
    password: pl > 0 ? buf.subarray(15 + nl, 15 + nl + pl).toString() : null,
    public: (flags & FLAG_PUBLIC) !== 0,
    worm: (flags & FLAG_WORM) !== 0,
    mode: (flags & FLAG_SEQUENTIAL) !== 0 ? "seq" : "user",
    locked: (flags & FLAG_LOCKED) !== 0,
    frozen: (flags & FLAG_FROZEN) !== 0,
  };
}
