// The RMB Envelope (spec/RMB.md §3) as a plain TypeScript value, with a hand-written protobuf codec.
// Field numbers are the wire contract with rmb-relay, rmb-peer, the Go peer and rmb_direct_client.
import { decodeUtf8, ProtoDecodeError, ProtoWriter, readFields } from "./protowire.ts";

export interface Address {
  twin: number;
  /** session id; absent (or "") = the twin's null session */
  connection?: string;
}

export type Message =
  | { kind: "request"; command: string }
  | { kind: "response" }
  | { kind: "error"; code: number; message: string }
  | { kind: "ping" }
  | { kind: "pong" };

export interface Envelope {
  uid: string;
  tags?: string;
  /** unix seconds */
  timestamp: number;
  /** seconds after `timestamp` during which the envelope is valid */
  expiration: number;
  source?: Address;
  destination?: Address;
  message?: Message;
  /** 65 bytes: 'e' or 's' then the signature */
  signature?: Uint8Array;
  schema?: string;
  federation?: string;
  plain?: Uint8Array;
  cipher?: Uint8Array;
  relays: string[];
}

export const JSON_SCHEMA = "application/json";

const F = {
  uid: 1,
  tags: 2,
  timestamp: 3,
  expiration: 4,
  source: 5,
  destination: 6,
  request: 7,
  response: 8,
  signature: 9,
  schema: 10,
  federation: 11,
  error: 12,
  plain: 13,
  cipher: 14,
  ping: 15,
  pong: 16,
  relays: 17,
} as const;

function encodeAddress(a: Address): Uint8Array {
  const w = new ProtoWriter();
  if (a.twin) w.uint(1, a.twin);
  if (a.connection !== undefined && a.connection !== "") w.string(2, a.connection);
  return w.finish();
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  if (e.plain !== undefined && e.cipher !== undefined) {
    throw new TypeError("envelope has both plain and cipher");
  }
  const w = new ProtoWriter();
  if (e.uid) w.string(F.uid, e.uid);
  if (e.tags) w.string(F.tags, e.tags);
  if (e.timestamp) w.uint(F.timestamp, e.timestamp);
  if (e.expiration) w.uint(F.expiration, e.expiration);
  if (e.source) w.message(F.source, encodeAddress(e.source));
  if (e.destination) w.message(F.destination, encodeAddress(e.destination));
  const m = e.message;
  if (m?.kind === "request") {
    const r = new ProtoWriter();
    if (m.command) r.string(1, m.command);
    w.message(F.request, r.finish());
  } else if (m?.kind === "response") w.message(F.response, new Uint8Array(0));
  if (e.signature !== undefined && e.signature.length) w.bytes(F.signature, e.signature);
  if (e.schema) w.string(F.schema, e.schema);
  if (e.federation) w.string(F.federation, e.federation);
  if (m?.kind === "error") {
    const r = new ProtoWriter();
    if (m.code) r.uint(1, m.code);
    if (m.message) r.string(2, m.message);
    w.message(F.error, r.finish());
  }
  if (e.plain !== undefined) w.bytes(F.plain, e.plain);
  if (e.cipher !== undefined) w.bytes(F.cipher, e.cipher);
  if (m?.kind === "ping") w.message(F.ping, new Uint8Array(0));
  if (m?.kind === "pong") w.message(F.pong, new Uint8Array(0));
  for (const r of e.relays) w.string(F.relays, r);
  return w.finish();
}

function expectWire(field: number, got: number, want: number): void {
  if (got !== want) throw new ProtoDecodeError(`field ${field}: wire type ${got}, expected ${want}`);
}

function decodeAddress(buf: Uint8Array, what: string): Address {
  const a: Address = { twin: 0 };
  for (const f of readFields(buf)) {
    if (f.field === 1) {
      expectWire(1, f.wireType, 0);
      if (f.num > 0xffffffff) throw new ProtoDecodeError(`${what}.twin does not fit in u32`);
      a.twin = f.num;
    } else if (f.field === 2) {
      expectWire(2, f.wireType, 2);
      a.connection = decodeUtf8(f.bytes, `${what}.connection`);
    }
  }
  if (a.connection === "") delete a.connection;
  return a;
}

/** Decodes one Envelope; throws ProtoDecodeError naming the bad field. Unknown fields are skipped. */
export function decodeEnvelope(buf: Uint8Array): Envelope {
  const e: Envelope = { uid: "", timestamp: 0, expiration: 0, relays: [] };
  for (const f of readFields(buf)) {
    const str = (what: string) => {
      expectWire(f.field, f.wireType, 2);
      return decodeUtf8(f.bytes, what);
    };
    const num = () => {
      expectWire(f.field, f.wireType, 0);
      return f.num;
    };
    const bytes = () => {
      expectWire(f.field, f.wireType, 2);
      return f.bytes.slice();
    };
    switch (f.field) {
      case F.uid:
        e.uid = str("uid");
        break;
      case F.tags:
        e.tags = str("tags");
        break;
      case F.timestamp:
        e.timestamp = num();
        break;
      case F.expiration:
        e.expiration = num();
        break;
      case F.source:
        expectWire(f.field, f.wireType, 2);
        e.source = decodeAddress(f.bytes, "source");
        break;
      case F.destination:
        expectWire(f.field, f.wireType, 2);
        e.destination = decodeAddress(f.bytes, "destination");
        break;
      case F.request: {
        expectWire(f.field, f.wireType, 2);
        let command = "";
        for (const g of readFields(f.bytes)) {
          if (g.field === 1) {
            expectWire(1, g.wireType, 2);
            command = decodeUtf8(g.bytes, "request.command");
          }
        }
        e.message = { kind: "request", command };
        break;
      }
      case F.response:
        expectWire(f.field, f.wireType, 2);
        e.message = { kind: "response" };
        break;
      case F.error: {
        expectWire(f.field, f.wireType, 2);
        let code = 0;
        let message = "";
        for (const g of readFields(f.bytes)) {
          if (g.field === 1) {
            expectWire(1, g.wireType, 0);
            code = g.num;
          } else if (g.field === 2) {
            expectWire(2, g.wireType, 2);
            message = decodeUtf8(g.bytes, "error.message");
          }
        }
        e.message = { kind: "error", code, message };
        break;
      }
      case F.ping:
        expectWire(f.field, f.wireType, 2);
        e.message = { kind: "ping" };
        break;
      case F.pong:
        expectWire(f.field, f.wireType, 2);
        e.message = { kind: "pong" };
        break;
      case F.signature:
        e.signature = bytes();
        break;
      case F.schema:
        e.schema = str("schema");
        break;
      case F.federation:
        e.federation = str("federation");
        break;
      case F.plain:
        e.plain = bytes();
        delete e.cipher;
        break;
      case F.cipher:
        e.cipher = bytes();
        delete e.plain;
        break;
      case F.relays:
        e.relays.push(str("relays"));
        break;
    }
  }
  // The TS client always sends an empty tags string and ping signatures; treat empty as unset.
  if (e.tags === "") delete e.tags;
  if (e.signature && e.signature.length === 0) delete e.signature;
  return e;
}

/** The envelope's body bytes, whichever payload member is set. */
export function payloadOf(e: Envelope): Uint8Array {
  return e.plain ?? e.cipher ?? new Uint8Array(0);
}

export function sameAddress(a: Address | undefined, b: Address | undefined): boolean {
  return (a?.twin ?? 0) === (b?.twin ?? 0) && (a?.connection ?? "") === (b?.connection ?? "");
}

export function describeAddress(a: Address | undefined): string {
  if (!a) return "(none)";
  return a.connection ? `${a.twin}/${a.connection}` : `${a.twin}`;
}

/** True when the envelope's validity window has passed (`timestamp + expiration <= now`). */
export function isExpired(e: Envelope, nowS = Math.floor(Date.now() / 1000)): boolean {
  return e.timestamp + e.expiration <= nowS;
}
