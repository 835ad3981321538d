// Our outgoing call (or bootstrap request) as capnp-es sees it: an Answer that can be awaited and pipelined on.
import * as $ from "capnp-es";
import { LocalRef } from "./clients.ts";
import { type Answer, FailedAnswer, FailedClient, type PipelineOp } from "./types.ts";
import { closeQuietly, opsToFields, sameFields } from "./wire.ts";

/** What a question needs from its connection. */
export interface QuestionOwner {
  capAt(root: $.Pointer, fields: number[]): $.Client;
  sendEmbargo(q: Question, fields: number[]): void;
  sendFinish(q: Question): void;
  sendCall<P extends $.Struct, R extends $.Struct>(
    target: { importId: number } | { questionId: number; transform: number[] },
    call: $.Call<P, R>,
  ): Answer<R>;
  isImportOf(c: $.Client): boolean;
}

/** Our outgoing call (or bootstrap request): an Answer for capnp-es's Pipeline. */
export class Question implements Answer<$.Struct> {
  readonly conn: QuestionOwner;
  readonly id: number;
  returned = false;
  finishSent = false;
  error: Error | null = null;
  paramExports: number[] = [];
  private result: $.Pointer | null = null;
  private readonly promise: Promise<$.Struct>;
  private settle!: (s: $.Struct) => void;
  private fail!: (e: Error) => void;
  /** Transforms we sent pipelined calls on (candidates for an embargo when the answer resolves to us). */
  // Created on first use: most calls are awaited once and never pipelined on (one Question per call).
  private pipelined: number[][] | null = null;
  private embargoes = 0;
  private closeOnResolve: number[][] | null = null;
  private resolvedCache: Map<string, $.Client> | null = null;

  constructor(conn: QuestionOwner, id: number) {
    this.conn = conn;
    this.id = id;
    this.promise = new Promise<$.Struct>((res, rej) => {
      this.settle = res;
      this.fail = rej;
    });
    // A failed call nobody awaits must not become an unhandled rejection (that would end the process).
    this.promise.catch(() => {});
  }

  struct(): Promise<$.Struct> {
    return this.promise;
  }

  resolve(content: $.Pointer, local = false): void {
    if (this.error || this.result) return;
    this.returned = true;
    this.result = content;
    for (const fields of this.pipelined ?? []) {
      // Resolved back to one of our own objects: calls we pipelined through the peer must arrive before
      // calls made directly from now on, so keep routing through the peer until the Disembargo echoes.
      const c = this.conn.capAt(content, fields);
      if (c instanceof LocalRef || (local && !(c instanceof FailedClient) && !this.conn.isImportOf(c))) {
        this.embargoes++;
        this.conn.sendEmbargo(this, fields);
      }
    }
    this.pipelined = null;
    this.settle(new $.Struct(content.segment, content.byteOffset, content._capnp.depthLimit));
    for (const t of this.closeOnResolve ?? []) closeQuietly(this.conn.capAt(content, t));
    this.closeOnResolve = null;
    if (this.embargoes === 0) this.conn.sendFinish(this);
  }

  reject(err: Error): void {
    if (this.error) return;
    this.returned = true;
    this.error = err;
    this.fail(err);
    this.conn.sendFinish(this);
  }

  embargoLifted(): void {
    this.embargoes--;
    if (this.embargoes <= 0) this.conn.sendFinish(this);
  }

  /** The client now at `transform` (after the answer returned). */
  resolvedCap(transform: PipelineOp[]): $.Client {
    if (this.error) return new FailedClient(this.error);
    if (!this.result) return new FailedClient(new Error("answer not returned yet"));
    const fields = opsToFields(transform);
    const key = fields.join(".");
    this.resolvedCache ??= new Map();
    let c = this.resolvedCache.get(key);
    if (!c) {
      c = this.conn.capAt(this.result, fields);
      this.resolvedCache.set(key, c);
    }
    return c;
  }

  pipelineCall<P extends $.Struct, Res extends $.Struct>(transform: PipelineOp[], call: $.Call<P, Res>): Answer<Res> {
    if (this.error) return new FailedAnswer<Res>(this.error);
    if (!this.finishSent) {
      // Not returned yet (or an embargo is pending): address the call to the promised answer on the wire.
      const fields = opsToFields(transform);
      if (!this.result) {
        this.pipelined ??= [];
        if (!this.pipelined.some((f) => sameFields(f, fields))) this.pipelined.push(fields);
      }
      return this.conn.sendCall({ questionId: this.id, transform: fields }, call);
    }
    return this.resolvedCap(transform).call(call) as Answer<Res>;
  }

  pipelineClose(transform: PipelineOp[]): void {
    if (this.error) return;
    if (this.result) closeQuietly(this.resolvedCap(transform));
    else (this.closeOnResolve ??= []).push(opsToFields(transform));
  }
}
