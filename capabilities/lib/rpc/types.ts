// Shapes of capnp-es's client abstraction that its index does not export by name. Generated X$Client classes
// talk to a `$.Client` (call + close); a call returns an Answer that can be awaited or pipelined on.
import * as $ from "capnp-es";

export interface PipelineOp {
  field: number;
  defaultValue?: $.Pointer;
}

export interface Answer<R extends $.Struct> {
  struct(): Promise<R>;
  pipelineCall<P extends $.Struct, Q extends $.Struct>(transform: PipelineOp[], call: $.Call<P, Q>): Answer<Q>;
  pipelineClose(transform: PipelineOp[]): void;
}

/** Error types of rpc.capnp's Exception.Type, as strings. */
export type RpcErrorType = "failed" | "overloaded" | "disconnected" | "unimplemented";

/** An error that came from (or goes to) the peer as an rpc Exception. */
export class RpcError extends Error {
  override name = "RpcError";
  readonly type: RpcErrorType;
  constructor(type: RpcErrorType, message: string) {
    super(message);
    this.type = type;
  }
}

/** The error every call and capability of a closed connection rejects with. Message starts with "disconnected". */
export function disconnectedError(why: string): RpcError {
  return new RpcError("disconnected", why.startsWith("disconnected") ? why : `disconnected: ${why}`);
}

/** An answer that already failed. */
export class FailedAnswer<R extends $.Struct> implements Answer<R> {
  readonly error: Error;
  constructor(error: Error) {
    this.error = error;
  }
  struct(): Promise<R> {
    return Promise.reject(this.error);
  }
  pipelineCall<P extends $.Struct, Q extends $.Struct>(_t: PipelineOp[], _c: $.Call<P, Q>): Answer<Q> {
    return new FailedAnswer<Q>(this.error);
  }
  pipelineClose(_t: PipelineOp[]): void {}
}

/** A client every call of which fails with the same error (a broken or released capability). */
export class FailedClient implements $.Client {
  readonly error: Error;
  constructor(error: Error) {
    this.error = error;
  }
  call<P extends $.Struct, R extends $.Struct>(_call: $.Call<P, R>): Answer<R> {
    return new FailedAnswer<R>(this.error);
  }
  close(): void {}
}

/** Struct class used to carry params/results of interfaces whose generated code is not loaded (proxying). */
export class AnyStruct extends $.Struct {
  static override readonly _capnp = { displayName: "AnyStruct", id: "0", size: new $.ObjectSize(0, 0) };
}
