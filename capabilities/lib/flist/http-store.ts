// A read-only `http(s)://host/base` block store (rfs src/store/http.rs): GET base/<hex[0:2]>/<hex>, then
// base/<hex> on 404. The hub is on the network, so a block request may hang, drop its connection halfway or
// meet a busy hub: each request has a deadline, and a failure of the transport (no answer, a reset or cut
// body, HTTP 5xx/429) is retried a few times with a growing pause on a fresh request (the keep-alive agent
// opens a new connection when a kept one broke). Redirects are followed (3 at most). What the hub answers is never trusted: a
// body larger than any stored block is refused while it streams in, and the bytes are checked against the
// block's id by the decoder (block.ts) — a wrong block is an error, not retried into a right one.
import { Agent as HttpAgent, get as httpGet } from "node:http";
import { Agent as HttpsAgent, get as httpsGet } from "node:https";
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
  #httpAgent: HttpAgent | null = null;
  #httpsAgent: HttpsAgent | null = null;

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

  /** One GET through node:http(s) with a keep-alive agent: it cost this thread ≈ half the CPU of fetch() per
   * block here (fetch() reads a body through a web stream, a promise per chunk). */
  #once(h: string, url: string, redirects = 0): Promise<Uint8Array | null> {
    const { timeoutMs, maxBytes } = this.#o;
    const u = new URL(url);
    const https = u.protocol === "https:";
    const agent = https ? (this.#httpsAgent ??= new HttpsAgent({ keepAlive: true })) : (this.#httpAgent ??= new HttpAgent({ keepAlive: true }));
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const fail = (e: unknown) => done(() => reject(e instanceof FinalError ? e : new Error(transportError(e, timeoutMs))));
      const req = (https ? httpsGet : httpGet)(u, { agent }, (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location) {
          res.resume();
          if (redirects >= 3) return fail(new FinalError(`block ${h}: ${url} redirects more than 3 times`));
          return done(() => this.#once(h, new URL(location, url).toString(), redirects + 1).then(resolve, reject));
        }
        if (status === 404) {
          res.resume();
          return done(() => resolve(null));
        }
        if (status < 200 || status >= 300) {
          res.resume();
          const retry = status >= 500 || status === 429;
          return fail(retry ? new Error(`HTTP ${status}`) : new FinalError(`block ${h}: ${url} answered HTTP ${status}`));
        }
        const header = res.headers["content-length"];
        const declared = header === undefined ? null : Number(header);
        if (declared !== null && !(declared <= maxBytes)) {
          res.destroy();
          return fail(new FinalError(`block ${h}: ${url} sent ${header} bytes, more than a block can hold (${maxBytes}); not a block store?`));
        }
        // one buffer, sized from the declared length (else grown), with the limit checked as the body comes in
        let buf = new Uint8Array(declared ?? 64 * 1024);
        let n = 0;
        res.on("data", (c: Uint8Array) => {
          if (settled) return;
          if (n + c.length > maxBytes || (declared !== null && n + c.length > declared)) {
            res.destroy();
            return fail(new FinalError(`block ${h}: ${url} sent more than a block can hold (${maxBytes} bytes); not a block store?`));
          }
          if (n + c.length > buf.length) {
            const bigger = new Uint8Array(Math.min(maxBytes, Math.max(buf.length * 2, n + c.length)));
            bigger.set(buf.subarray(0, n));
            buf = bigger;
          }
          buf.set(c, n);
          n += c.length;
        });
        res.on("end", () => {
          if (!res.complete || (declared !== null && n !== declared)) return fail(new Error(`the body ended after ${n} of ${header ?? "?"} bytes`));
          // the whole buffer when it fits exactly: the decode pool then transfers it to a worker without a copy
          done(() => resolve(n === buf.length ? buf : buf.slice(0, n)));
        });
        res.on("error", fail);
        res.on("close", () => fail(new Error(`the connection closed after ${n} of ${header ?? "?"} bytes`)));
      });
      req.on("error", fail);
      const timer = setTimeout(() => {
        fail(new Error(`no complete answer within ${timeoutMs} ms`));
        req.destroy();
      }, timeoutMs);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#httpAgent?.destroy();
    this.#httpsAgent?.destroy();
  }
}

function transportError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") return `no complete answer within ${timeoutMs} ms`;
  const why = err.code ? `${err.code}${err.message && !err.message.includes(err.code) ? ` (${err.message})` : ""}` : err.cause?.code ?? err.cause?.message ?? err.message;
  // Deno's messages repeat the request's URL, which the caller's message already names
  return why.replace(/^error sending request .*? \([^()]*\): /, "");
}
