// A sliding-window limit per key (an account, or one key for everything): at most `limit` takes per `windowMs`.
export class RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #hits = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(limit: number, windowMs: number, now: () => number = () => Date.now()) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`rate limit must be a positive integer (got ${limit})`);
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Like take() without recording: 0 when a take would be allowed now, else the ms to wait. */
  peek(key: string): number {
    const now = this.#now();
    const hits = (this.#hits.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    return hits.length >= this.#limit ? hits[0] + this.#windowMs - now : 0;
  }

  /** Records a take for `key` and returns 0, or, when over the limit, the ms until the next take is allowed. */
  take(key: string): number {
    const now = this.#now();
    const hits = (this.#hits.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (hits.length >= this.#limit) {
      this.#hits.set(key, hits);
      return hits[0] + this.#windowMs - now;
    }
    hits.push(now);
    this.#hits.set(key, hits);
    // forget idle keys so the map cannot grow without bound
    if (this.#hits.size > 10_000) for (const [k, v] of this.#hits) if (now - v[v.length - 1] >= this.#windowMs) this.#hits.delete(k);
    return 0;
  }
}
