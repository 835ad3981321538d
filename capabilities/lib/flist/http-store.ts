// A read-only `http(s)://host/base` block store (rfs src/store/http.rs): GET base/<hex[0:2]>/<hex>, then
// base/<hex> on 404. The hub is on the network, so a block request may hang, drop its connection halfway or
// meet a busy hub: each request has a deadline, and a failure of the transport (no answer, a reset or cut
// body, HTTP 5xx/429) is retried a few times with a growing pause on a fresh request (Deno's fetch keeps
// connections alive and opens a new one when a pooled one broke). What the hub answers is never trusted: a
// body larger than any stored block is refused while it streams in, and the bytes are checked against the
// block's id by the decoder (block.ts) — a wrong block is an error, not retried into a right one.
import { hex } from "./block.ts";
import type { BlockStore } from "./store.ts";

/** Larger than any stored block of either format (512 KiB of plaintext, snappy's worst case, a tag). */
export const MAX_STORED_BLOCK = 1024 * 1024;

export interface HttpStoreOptions {
  /** deadline of one request, body included (default 30 s) */
  timeoutMs?: number;
  /** tries per layout and block (default 3) */
  attempts?: number;
  /** pause before the second try, doubled for each further one (default 200 ms) */
  backoffMs?: number;
  /** largest body accepted (default MAX_STORED_BLOCK) */
  maxBytes?: number;
}

/** Not worth another try: the hub answered, and the answer is final (a 4xx, a body over the limit). */
class FinalError extends Error {}

export class HttpStore implements BlockStore {
  readonly base: string;
  readonly #o: Required<HttpStoreOptions>;
  /** the layout this hub answered last (0: base/xx/hex, 1: base/hex): tried first from then on */
  #layout = 0;

  constructor(base: string, o: HttpStoreOptions = {}) {
    this.base = base.replace(/\/+$/, "");
    this.#o = { timeoutMs: o.timeoutMs ?? 30_000, attempts: Math.max(1, o.attempts ?? 3), backoffMs: o.backoffMs ?? 200, maxBytes: o.maxBytes ?? MAX_STORED_BLOCK };
  }

  async get(id: Uint8Array): Promise<Uint8Array> {
    const h = hex(id);
    const urls = [`${this.base}/${h.slice(0, 2)}/${h}`, `${this.base}/${h}`];
    for (const layout of [this.#layout, 1 - this.#layout]) {
      const got = await this.#fetch(h, urls[layout]);
      if (got) {
        this.#layout = layout;
        return got;
      }
    }
    throw new Error(`block ${h} is not in store ${this.base}`);
  }

  /** The body, or null on 404; throws after the last try with what went wrong. */
  async #fetch(h: string, url: string): Promise<Uint8Array | null> {
    const { attempts, backoffMs } = this.#o;
    let why = "";
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, backoffMs * 2 ** (i - 1)));
      try {
        return await this.#once(h, url);
      } catch (e) {
        if (e instanceof FinalError) throw new Error(e.message);
        why = (e as Error).message;
      }
    }
    throw new Error(`block ${h}: ${url} failed ${attempts} time${attempts === 1 ? "" : "s"} (last: ${why}); is the hub up and reachable?`);
  }

  async #once(h: string, url: string): Promise<Uint8Array | null> {
    const { timeoutMs, maxBytes } = this.#o;
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, { signal });
    } catch (e) {
      throw new Error(transportError(e, timeoutMs));
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      await res.body?.cancel();
      const retry = res.status >= 500 || res.status === 429;
      const msg = `block ${h}: ${url} answered HTTP ${res.status}`;
      throw retry ? new Error(`HTTP ${res.status}`) : new FinalError(msg);
    }
    const declared = res.headers.get("content-length");
    if (declared !== null && Number(declared) > maxBytes) {
      await res.body?.cancel();
      throw new FinalError(`block ${h}: ${url} sent ${declared} bytes, more than a block can hold (${maxBytes}); not a block store?`);
    }
    if (declared !== null) {
      // a declared length bounds the body (the HTTP framing ends it there), and a cut body is an error
      try {
        const body = new Uint8Array(await res.arrayBuffer());
        if (body.length !== Number(declared)) throw new Error(`the body ended after ${body.length} of ${declared} bytes`);
        return body;
      } catch (e) {
        throw new Error(transportError(e, timeoutMs));
      }
    }
    // no length (chunked): streamed with the limit checked as it grows
    let buf = new Uint8Array(64 * 1024);
    let n = 0;
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (n + value.length > maxBytes) {
          await reader.cancel();
          throw new FinalError(`block ${h}: ${url} sent more than a block can hold (${maxBytes} bytes); not a block store?`);
        }
        if (n + value.length > buf.length) {
          const bigger = new Uint8Array(Math.min(maxBytes, Math.max(buf.length * 2, n + value.length)));
          bigger.set(buf.subarray(0, n));
          buf = bigger;
        }
        buf.set(value, n);
        n += value.length;
      }
    } catch (e) {
      if (e instanceof FinalError) throw e;
      throw new Error(transportError(e, timeoutMs));
    }
    // the whole buffer when it fits exactly: the decode pool then transfers it to a worker without a copy
    return n === buf.length ? buf : buf.slice(0, n);
  }
}

function transportError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") return `no complete answer within ${timeoutMs} ms`;
  const why = err.cause?.code ?? err.cause?.message ?? err.message;
  // Deno's messages repeat the request's URL, which the caller's message already names
  return why.replace(/^error sending request .*? \([^()]*\): /, "");
}
