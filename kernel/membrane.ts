// The membrane: every reference the kernel hands to a process is a MembraneClient around the provider's
// reference. It counts calls per grant, checks the granted interface id, and can be revoked at once together
// with every capability that flowed through it in either direction (the cap tables of params and results are
// wrapped in place, transitively, with the same revoker). Built on capnp-es's `$.Client`, so the RPC
// connections (capabilities/lib/rpc) export and import it like any other object.
import * as $ from "capnp-es";
import { type Answer, disconnectedError, FailedAnswer, type PipelineOp, RpcError } from "../capabilities/lib/rpc/mod.ts";
import { asDataCall, capTableOf } from "../capabilities/lib/rpc/captable.ts";

export interface GrantCounters {
  calls: number;
  errors: number;
  /** Calls through this grant not answered yet. */
  inflight: number;
  /** Calls refused because `inflight` was at the grant's limit. */
  overloaded: number;
}

/** Calls one grant may have in flight: a flooding grantee is refused before it can starve a provider that
 * other grantees share (each process accepts a bounded number of concurrent calls). */
export const DEFAULT_GRANT_INFLIGHT = 64;

export class Revoker {
  revoked = false;
  reason = "";
  revoke(reason: string): void {
    if (this.revoked) return;
    this.revoked = true;
    this.reason = reason;
  }
}

export interface MembraneOptions {
  label: string;
  revoker: Revoker;
  counters: GrantCounters;
  /** When set, only calls on this interface pass (the top-level granted reference). */
  interfaceId?: bigint;
  interfaceName?: string;
  /** Close the wrapped reference when this one is closed (true for caps that flowed through). */
  ownsInner: boolean;
  maxInflight?: number;
}

/**
 * Params of pipelined calls a membrane's answer has already admitted, with that grant's counters. The RPC
 * library delivers such a call, once the answer is in, to the capability in the results — which this same
 * grant wrapped — so without this mark the call would be counted (and take an in-flight slot) twice.
 */
const admitted = new WeakMap<object, GrantCounters>();

export class MembraneClient implements $.Client {
  private readonly inner: $.Client;
  readonly opts: MembraneOptions;
  private released = false;

  constructor(inner: $.Client, opts: MembraneOptions) {
    this.inner = inner;
    this.opts = opts;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** The error every use fails with once revoked or released, else null. */
  dead(): Error | null {
    if (this.opts.revoker.revoked) return disconnectedError(`${this.opts.label} was revoked (${this.opts.revoker.reason}); ask your Session again`);
    if (this.released) return disconnectedError(`${this.opts.label} was released`);
    return null;
  }

  wrap(c: $.Client): $.Client {
    if (c instanceof MembraneClient && c.opts.revoker === this.opts.revoker) return c;
    return new MembraneClient(c, { label: `${this.opts.label} (passed capability)`, revoker: this.opts.revoker, counters: this.opts.counters, ownsInner: true, maxInflight: this.opts.maxInflight });
  }

  /** Wraps every capability in a message's cap table, in place. */
  wrapTable(msg: $.Message): void {
    const t = capTableOf(msg);
    for (let i = 0; i < t.length; i++) {
      const c = t[i];
      if (c) t[i] = this.wrap(c);
    }
  }

  call<P extends $.Struct, R extends $.Struct>(call: $.Call<P, R>): Answer<R> {
    const d = this.dead();
    if (d) return new FailedAnswer<R>(d);
    if (this.opts.interfaceId !== undefined && call.method.interfaceId !== this.opts.interfaceId) {
      return new FailedAnswer<R>(new Error(`denied: ${this.opts.label} is a ${this.opts.interfaceName ?? "different interface"}; calls on interface 0x${call.method.interfaceId.toString(16)} are refused`));
    }
    const dc = asDataCall(call);
    // A pipelined call this grant's answer admitted and now delivers here: counted there, and its answer
    // (that MembraneAnswer) wraps the results and settles the in-flight count.
    if (admitted.get(dc.params) === this.opts.counters) return this.inner.call(dc) as Answer<R>;
    const refused = this.admit();
    if (refused) return new FailedAnswer<R>(refused);
    this.wrapTable(dc.params.segment.message);
    return new MembraneAnswer<R>(this.inner.call(dc) as Answer<R>, this);
  }

  /** Counts a call in, or returns the `overloaded` error when the grant is at its in-flight limit. */
  admit(): Error | null {
    const c = this.opts.counters;
    const max = this.opts.maxInflight ?? DEFAULT_GRANT_INFLIGHT;
    if (c.inflight >= max) {
      c.overloaded++;
      return new RpcError("overloaded", `overloaded: ${this.opts.label} has ${max} calls in flight (the grant's limit)`);
    }
    c.calls++;
    c.inflight++;
    return null;
  }

  close(): void {
    if (this.released) return;
    this.released = true;
    if (this.opts.ownsInner) this.inner.close();
  }
}

/** The answer of a call through a membrane: results' capabilities are wrapped; pipelined calls are counted. */
class MembraneAnswer<R extends $.Struct> implements Answer<R> {
  private readonly inner: Answer<R>;
  private readonly m: MembraneClient;
  /** The checked, wrapped result: one promise reaction per call (this is on every proxied call's path). */
  private readonly result: Promise<R>;
  private settled = false;
  constructor(inner: Answer<R>, m: MembraneClient) {
    this.inner = inner;
    this.m = m;
    // The in-flight count drops when the answer settles, whether or not anyone reads it.
    const c = m.opts.counters;
    this.result = inner.struct().then((res) => {
      c.inflight--;
      this.settled = true;
      const d = m.dead();
      if (d) throw d;
      m.wrapTable(res.segment.message);
      return res;
    }, (err) => {
      c.inflight--;
      c.errors++;
      this.settled = true;
      throw m.dead() ?? err;
    });
    // Nobody may read it: a failure must not become an unhandled rejection.
    this.result.catch(() => {});
  }

  struct(): Promise<R> {
    // Revoked after the results arrived: whoever asks from now on gets the revocation, not the results.
    if (this.settled) {
      const d = this.m.dead();
      if (d) return Promise.reject(d);
    }
    return this.result;
  }

  pipelineCall<P extends $.Struct, Q extends $.Struct>(transform: PipelineOp[], call: $.Call<P, Q>): Answer<Q> {
    const d = this.m.dead();
    if (d) return new FailedAnswer<Q>(d);
    const refused = this.m.admit();
    if (refused) return new FailedAnswer<Q>(refused);
    const dc = asDataCall(call);
    this.m.wrapTable(dc.params.segment.message);
    admitted.set(dc.params, this.m.opts.counters);
    return new MembraneAnswer<Q>(this.inner.pipelineCall(transform, dc), this.m);
  }

  pipelineClose(transform: PipelineOp[]): void {
    this.inner.pipelineClose(transform);
  }
}
