// The server name a TLS client asks for, read from its ClientHello without answering it: what lets one
// :443 send each connection to a passthrough backend or to the route's own TLS terminator (RFC 8446 §4.1.2,
// RFC 6066 §3). Pure code over the bytes received so far.

/** Largest ClientHello we wait for (records may split it; browsers send ≤ 2 KiB, post-quantum ones ~1.8 KiB more). */
export const MAX_HELLO = 16 * 1024;

export type HelloResult =
  | { kind: "more" } // not enough bytes yet
  | { kind: "sni"; name: string }
  | { kind: "none" } // a complete ClientHello without server_name
  | { kind: "invalid"; reason: string };

/** Joins the handshake bytes of consecutive TLS records (a ClientHello may span several). */
function handshakeBytes(buf: Uint8Array): { bytes: Uint8Array; complete: boolean } | { invalid: string } {
  const parts: Uint8Array[] = [];
  let off = 0;
  let total = 0;
  while (off + 5 <= buf.length) {
    if (buf[off] !== 22) return { invalid: `record type ${buf[off]} is not a handshake (22): not TLS` };
    if (buf[off + 1] !== 3) return { invalid: "record version is not TLS 1.x" };
    const len = (buf[off + 3] << 8) | buf[off + 4];
    if (off + 5 + len > buf.length) {
      parts.push(buf.subarray(off + 5));
      total += buf.length - off - 5;
      off = buf.length;
      break;
    }
    parts.push(buf.subarray(off + 5, off + 5 + len));
    total += len;
    off += 5 + len;
  }
  const bytes = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    bytes.set(part, p);
    p += part.length;
  }
  if (bytes.length < 4) return { bytes, complete: false };
  const need = 4 + ((bytes[1] << 16) | (bytes[2] << 8) | bytes[3]);
  return { bytes: bytes.subarray(0, Math.min(need, bytes.length)), complete: bytes.length >= need };
}

export function parseClientHello(buf: Uint8Array): HelloResult {
  if (buf.length >= 1 && buf[0] !== 22) return { kind: "invalid", reason: "not a TLS handshake" };
  const hs = handshakeBytes(buf);
  if ("invalid" in hs) return { kind: "invalid", reason: hs.invalid };
  if (hs.bytes.length >= 1 && hs.bytes[0] !== 1) return { kind: "invalid", reason: "the first handshake message is not a ClientHello" };
  if (!hs.complete) return buf.length >= MAX_HELLO ? { kind: "invalid", reason: "ClientHello larger than 16 KiB" } : { kind: "more" };
  const b = hs.bytes;
  let o = 4 + 2 + 32; // header, legacy_version, random
  const need = (n: number) => {
    if (o + n > b.length) throw new Error("truncated ClientHello");
  };
  try {
    need(1);
    o += 1 + b[o]; // session id
    need(2);
    o += 2 + ((b[o] << 8) | b[o + 1]); // cipher suites
    need(1);
    o += 1 + b[o]; // compression methods
    if (o === b.length) return { kind: "none" }; // no extensions at all
    need(2);
    const extEnd = o + 2 + ((b[o] << 8) | b[o + 1]);
    o += 2;
    if (extEnd > b.length) throw new Error("extensions run past the ClientHello");
    while (o + 4 <= extEnd) {
      const type = (b[o] << 8) | b[o + 1];
      const len = (b[o + 2] << 8) | b[o + 3];
      o += 4;
      if (o + len > extEnd) throw new Error("an extension runs past the list");
      if (type === 0) {
        // server_name_list: u16 length, then entries (u8 type, u16 length, name)
        let p = o + 2;
        while (p + 3 <= o + len) {
          const nameType = b[p];
          const nameLen = (b[p + 1] << 8) | b[p + 2];
          p += 3;
          if (p + nameLen > o + len) throw new Error("server name runs past its extension");
          if (nameType === 0) return { kind: "sni", name: new TextDecoder().decode(b.subarray(p, p + nameLen)).toLowerCase() };
          p += nameLen;
        }
      }
      o += len;
    }
    return { kind: "none" };
  } catch (err) {
    return { kind: "invalid", reason: (err as Error).message };
  }
}
