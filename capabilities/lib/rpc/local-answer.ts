// Answers for calls delivered to local objects. A call's answer can be pipelined on before it resolves:
// calls made on a capability inside it queue here and are delivered, in order, the moment it resolves.
import type * as $ from "capnp-es";
import { type Answer, FailedAnswer, type PipelineOp } from "./types.ts";

type CapResolver = (root: $.Struct, transform: PipelineOp[]) => $.Client;

function settleable<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  promise.catch(() => {}); // nobody awaiting a failed answer must not end the process
  return { promise, resolve, reject };
}

/** The answer of a local method call, resolved with its results struct (or an error). */
export class LocalAnswer implements Answer<$.Struct> {
  result: $.Struct | null = null;
  error: Error | null = null;
  private readonly resolveCap: CapResolver;
  private readonly p = settleable<$.Struct>();
  private waiters: Array<() => void> = [];

  constructor(resolveCap: CapResolver) {
    this.resolveCap = resolveCap;
  }

  resolve(s: $.Struct): void {
    if (this.result || this.error) return;
    this.result = s;
    this.p.resolve(s);
    this.flush();
  }

  reject(e: Error): void {
    if (this.result || this.error) return;
    this.error = e;
    this.p.reject(e);
    this.flush();
  }

  private flush(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  struct(): Promise<$.Struct> {
    return this.p.promise;
  }

  pipelineCall<P extends $.Struct, R extends $.Struct>(transform: PipelineOp[], call: $.Call<P, R>): Answer<R> {
    if (this.result) return this.resolveCap(this.result, transform).call(call) as Answer<R>;
    if (this.error) return new FailedAnswer<R>(this.error);
    const fwd = new ForwardAnswer<R>();
    this.waiters.push(() =>
      fwd.bind(this.result ? (this.resolveCap(this.result, transform).call(call) as Answer<R>) : new FailedAnswer<R>(this.error!))
    );
    return fwd;
  }

  pipelineClose(_transform: PipelineOp[]): void {
    // The capability belongs to the results; the connection closes what it exported from them.
  }
}

/** An answer that becomes another answer later (a call queued on an unresolved LocalAnswer). */
export class ForwardAnswer<R extends $.Struct> implements Answer<R> {
  private target: Answer<R> | null = null;
  private readonly p = settleable<R>();
  private waiters: Array<(a: Answer<R>) => void> = [];

  bind(a: Answer<R>): void {
    this.target = a;
    a.struct().then(this.p.resolve, this.p.reject);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(a);
  }

  struct(): Promise<R> {
    return this.p.promise;
  }

  pipelineCall<P extends $.Struct, Q extends $.Struct>(transform: PipelineOp[], call: $.Call<P, Q>): Answer<Q> {
    if (this.target) return this.target.pipelineCall(transform, call);
    const f = new ForwardAnswer<Q>();
    this.waiters.push((a) => f.bind(a.pipelineCall(transform, call)));
    return f;
  }

  pipelineClose(transform: PipelineOp[]): void {
    if (this.target) this.target.pipelineClose(transform);
    else this.waiters.push((a) => a.pipelineClose(transform));
  }
}
