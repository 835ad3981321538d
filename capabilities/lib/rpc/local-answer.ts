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
    if (this.result) return this.callOn(this.result, transform, call);
    if (this.error) return new FailedAnswer<R>(this.error);
    const fwd = new ForwardAnswer<R>();
    this.waiters.push(() => fwd.bind(this.result ? this.callOn(this.result, transform, call) : new FailedAnswer<R>(this.error!)));
    return fwd;
  }

  /**
   * Delivers a pipelined call to the capability at `transform` in `root`. A local server throws synchronously
   * for a method it does not implement (a peer can ask for any ordinal): that becomes the call's failed answer,
   * never an exception out of resolve() — which runs in a promise callback, where it would end the process.
   */
  private callOn<P extends $.Struct, R extends $.Struct>(root: $.Struct, transform: PipelineOp[], call: $.Call<P, R>): Answer<R> {
    try {
      return this.resolveCap(root, transform).call(call) as Answer<R>;
    } catch (e) {
      return new FailedAnswer<R>(e instanceof Error ? e : new Error(String(e)));
    }
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
    structOf(a).then(this.p.resolve, this.p.reject);
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
    if (this.target) closeQuietly(this.target, transform);
    else this.waiters.push((a) => closeQuietly(a, transform));
  }
}

/**
 * Closes a pipelined capability. capnp-es's failed answers throw from pipelineClose (there is nothing to close);
 * here that would escape from bind()/resolve(), which run in promise callbacks, and end the process — a peer
 * could do that with one malformed frame (fuzz input capnp-frames 1619).
 */
/** An answer's results as a promise: capnp-es's failed answers throw from struct() instead of rejecting. */
export function structOf<R extends $.Struct>(a: Answer<R>): Promise<R> {
  try {
    return a.struct();
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

function closeQuietly(a: Answer<$.Struct>, transform: PipelineOp[]): void {
  try {
    a.pipelineClose(transform);
  } catch {
    // a failed answer holds no capability
  }
}
