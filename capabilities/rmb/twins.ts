// Twin records (spec/RMB.md §6) behind a small interface, so the relay and the peer do not care
// whether they come from the chain or from a local table.
export interface Twin {
  id: number;
  /** 32-byte account id = the twin's signing public key */
  accountId: Uint8Array;
  /** relay hostnames joined with "_", as stored on chain */
  relay: string | null;
  /** 33-byte compressed secp256k1 key for e2e, if published */
  pk: Uint8Array | null;
}

export interface TwinLookup {
  /** null when the twin does not exist */
  get(id: number): Promise<Twin | null>;
  /** optional: forget a cached record (called when a signature or cipher suggests it is stale) */
  invalidate?(id?: number): void;
}

/** A twin table held in memory: for tools and tests that run without a chain. */
export class InMemoryTwins implements TwinLookup {
  private twins = new Map<number, Twin>();
  set(t: Twin): void {
    this.twins.set(t.id, t);
  }
  get(id: number): Promise<Twin | null> {
    return Promise.resolve(this.twins.get(id) ?? null);
  }
}

/**
 * Caches another lookup: hits for `ttlMs`, misses only briefly (a twin created a moment ago must
 * become visible quickly), and concurrent lookups of one id share a single query.
 */
export class CachedTwins implements TwinLookup {
  private entries = new Map<number, { twin: Twin | null; until: number }>();
  private inflight = new Map<number, Promise<Twin | null>>();
  private inner: TwinLookup;
  private ttlMs: number;
  private missTtlMs: number;

  constructor(inner: TwinLookup, opts: { ttlMs?: number; missTtlMs?: number } = {}) {
    this.inner = inner;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.missTtlMs = opts.missTtlMs ?? 1_000;
  }

  get(id: number): Promise<Twin | null> {
    const hit = this.entries.get(id);
    if (hit && hit.until > Date.now()) return Promise.resolve(hit.twin);
    let p = this.inflight.get(id);
    if (!p) {
      p = this.inner.get(id).then((twin) => {
        if (this.entries.size > 100_000) this.entries.clear();
        this.entries.set(id, { twin, until: Date.now() + (twin ? this.ttlMs : this.missTtlMs) });
        return twin;
      }).finally(() => this.inflight.delete(id));
      this.inflight.set(id, p);
    }
    return p;
  }

  invalidate(id?: number): void {
    if (id === undefined) this.entries.clear();
    else this.entries.delete(id);
  }
}
