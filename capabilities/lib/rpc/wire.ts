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

/** A new outgoing message whose first segment starts at 512 bytes (it grows as needed). */
export function newMessage(): $.Message {
  const msg = new $.Message(new SingleSegmentArena(new ArrayBuffer(512)) as ConstructorParameters<typeof $.Message>[0]);
  // A message built on a given arena is treated as already filled (it is how capnp-es reads); mark only the
  // root pointer word as used, which is exactly the state of a fresh message.
  (msg.getSegment(0) as unknown as { byteLength: number }).byteLength = 8;
  return msg;
}

/** Parses one frame (already validated by FrameReader). Single-segment frames skip capnp-es's two copies. */
export function readMessage(frame: Uint8Array): $.Message {
  if (frame[0] === 0 && frame[1] === 0 && frame[2] === 0 && frame[3] === 0) {
    // Copy into a fresh buffer (a node Buffer's slice() is a view into a shared pool).
    const seg = new Uint8Array(frame.subarray(8)).buffer;
    return new $.Message(new SingleSegmentArena(seg) as ConstructorParameters<typeof $.Message>[0]);
  }
  return new $.Message(frame, false, false);
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
