// Wire-level helpers shared by the connection and its questions: message allocation and parsing, rpc.capnp
// Exception <-> Error, PromisedAnswer transforms, id allocation.
import * as $ from "capnp-es";
import * as R from "capnp-es/capnp/rpc";
import { disconnectedError, type PipelineOp, RpcError, type RpcErrorType } from "./types.ts";

/** The peer broke the protocol: the connection is aborted. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

interface CapTableHolder {
  _capnp: { capTable?: Array<$.Client | null> };
}

// capnp-es starts every message with a zeroed 4 KiB buffer; RPC messages are mostly < 200 bytes, and that
// zeroing was the largest single cost per call. Its arena class is not exported: take it from a message.
type ArenaCtor = new (buffer: ArrayBuffer) => unknown;
const SingleSegmentArena = (new $.Message() as unknown as { _capnp: { arena: { constructor: ArenaCtor } } })._capnp.arena
  .constructor;

// A Message is built directly on a one-segment arena: capnp-es's constructor re-derives the segment list
// through Array.from on every message (it was the largest single self-time of a proxied call). The Segment
// class and the traversal limit are taken from a real message, so the result is what the constructor builds.
type SegmentCtor = new (id: number, message: $.Message, buffer: ArrayBuffer, byteLength: number) => unknown;
const probe = new $.Message(new SingleSegmentArena(new ArrayBuffer(8)) as ConstructorParameters<typeof $.Message>[0]);
const SegmentClass = probe.getSegment(0).constructor as SegmentCtor;
const traversalLimit = (probe as unknown as { _capnp: { traversalLimit: number } })._capnp.traversalLimit;

function messageOn(buffer: ArrayBuffer, usedBytes: number): $.Message {
  if (buffer.byteLength < 8 || (buffer.byteLength & 7) !== 0) throw new Error("segment is not whole words");
  const msg = Object.create($.Message.prototype) as $.Message;
  const segments: unknown[] = [];
  (msg as unknown as { _capnp: unknown })._capnp = { arena: new SingleSegmentArena(buffer), segments, traversalLimit };
  segments.push(new SegmentClass(0, msg, buffer, usedBytes));
  return msg;
}

/** A new outgoing message whose first segment starts at 512 bytes (it grows as needed). */
export function newMessage(): $.Message {
  // Only the root pointer word is used, which is exactly the state of a fresh capnp-es message.
  return messageOn(new ArrayBuffer(512), 8);
}

/** Parses one frame (already validated by FrameReader). Single-segment frames skip capnp-es's two copies. */
export function readMessage(frame: Uint8Array): $.Message {
  if (frame[0] === 0 && frame[1] === 0 && frame[2] === 0 && frame[3] === 0) {
    // Copy into a fresh buffer (a node Buffer's slice() is a view into a shared pool).
    const seg = new Uint8Array(frame.subarray(8)).buffer;
    return messageOn(seg, seg.byteLength);
  }
  return new $.Message(frame, false, false);
}

interface SegmentsHolder {
  _capnp: { segments: Array<{ buffer: ArrayBuffer; byteLength: number }> };
}

/**
 * The stream frame of an outgoing message (header + segments) in one allocation. capnp-es's toArrayBuffer
 * allocates the header and the frame separately and iterates with closures; this runs for every message.
 */
export function frameOf(msg: $.Message): Uint8Array {
  const segs = (msg as unknown as SegmentsHolder)._capnp.segments;
  if (segs.length !== 1) return new Uint8Array(msg.toArrayBuffer());
  const seg = segs[0];
  const len = (seg.byteLength + 7) & ~7;
  const out = new Uint8Array(8 + len);
  // Header: segment count - 1 = 0 (already zero), then the segment's size in words, little-endian.
  const words = len >>> 3;
  out[4] = words & 0xff;
  out[5] = (words >>> 8) & 0xff;
  out[6] = (words >>> 16) & 0xff;
  out[7] = words >>> 24;
  out.set(new Uint8Array(seg.buffer, 0, len), 8);
  return out;
}

export function capTableOf(msg: $.Message): Array<$.Client | null> {
  const c = (msg as unknown as CapTableHolder)._capnp;
  if (!c.capTable) c.capTable = [];
  return c.capTable;
}

export function opsToFields(ops: PipelineOp[]): number[] {
  return ops.map((o) => o.field);
}

export function fieldsToOps(fields: number[]): PipelineOp[] {
  return fields.map((field) => ({ field }));
}

/** Free-list id allocator (smallest ids reused, as the C++ implementation does). */
export class IdAllocator {
  private next = 0;
  private free: number[] = [];
  alloc(): number {
    return this.free.pop() ?? this.next++;
  }
  release(id: number): void {
    this.free.push(id);
  }
}

const typeNames: RpcErrorType[] = ["failed", "overloaded", "disconnected", "unimplemented"];

export function errorFromException(e: R.Exception): RpcError {
  const t = typeNames[e.type] ?? "failed";
  return t === "disconnected" ? disconnectedError(e.reason) : new RpcError(t, e.reason);
}

export function writeException(e: R.Exception, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  let type: RpcErrorType = "failed";
  if (error instanceof RpcError) type = error.type;
  else if (error.message.startsWith("disconnected")) type = "disconnected";
  e.type = typeNames.indexOf(type) as R.Exception["type"];
  e.reason = error.message;
}

export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export function closeQuietly(c: $.Client): void {
  try {
    c.close();
  } catch { /* a broken client (e.g. capnp-es ErrorClient) throws on close */ }
}

export function writePromisedAnswer(pa: R.PromisedAnswer, questionId: number, fields: number[]): void {
  pa.questionId = questionId;
  if (fields.length === 0) return;
  const list = pa._initTransform(fields.length);
  for (let i = 0; i < fields.length; i++) list.get(i).getPointerField = fields[i];
}

export function readTransform(pa: R.PromisedAnswer): number[] {
  if (!pa._hasTransform()) return [];
  const list = pa.transform;
  const out: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const op = list.get(i);
    if (op.which() === R.PromisedAnswer_Op.GET_POINTER_FIELD) out.push(op.getPointerField);
    else if (op.which() !== R.PromisedAnswer_Op.NOOP) throw new ProtocolError("unknown PromisedAnswer op");
  }
  return out;
}

export function sameFields(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Finish and Release are sent once per call and per released import and have a fixed shape, so they are
 * encoded by hand (same bytes capnp-es produces; checked by wire.test.ts): root pointer, Message{which,
 * ptr}, then the 8-byte body {u32 a @0, u32 b @32}.
 */
function smallMessageFrame(which: number, a: number, b: number): Uint8Array {
  const f = new Uint8Array(40);
  const v = new DataView(f.buffer);
  v.setUint32(4, 4, true); // one segment of 4 words
  v.setUint32(12, 0x00010001, true); // root: struct, offset 0, 1 data word, 1 pointer
  v.setUint16(16, which, true); // Message union discriminant
  v.setUint32(28, 0x00000001, true); // Message.ptr[0]: struct, offset 0, 1 data word, 0 pointers
  v.setUint32(32, a >>> 0, true);
  v.setUint32(36, b >>> 0, true);
  return f;
}

/** Finish{questionId, releaseResultCaps: false} (the bool defaults to true, so false is stored as 1). */
export function finishFrame(questionId: number): Uint8Array {
  return smallMessageFrame(R.Message.FINISH, questionId, 1);
}

/** Release{id, referenceCount}. */
export function releaseFrame(id: number, referenceCount: number): Uint8Array {
  return smallMessageFrame(R.Message.RELEASE, id, referenceCount);
}
