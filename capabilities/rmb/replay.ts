// The replay cache of an RMB peer, keyed on what the sender signed (the envelope's challenge), not on the
// uid alone: the challenge is an MD5 over uid, tags, timestamp, ... concatenated without separators, so
// moving characters between uid and tags keeps the signature valid but changes the uid — a uid-keyed cache
// let such a replay through. Bounded in time (a request is admitted only while `timestamp` is no further
// than `maxFutureSkewS` ahead and `expiration` is at most `maxExpirationS`, so every entry dies within
// skew + max expiration) and in size (per sender twin and in total; a full cache refuses, it never
// forgets an unexpired entry, which would reopen the replay window).

export interface ReplayLimits {
  /** seconds a sender's clock may be ahead of ours */
  maxFutureSkewS: number;
  /** the longest validity window a request may ask for */
  maxExpirationS: number;
  /** unexpired requests remembered per sender twin */
  maxPerTwin: number;
  /** unexpired requests remembered in total */
  maxTotal: number;
}

export const DEFAULT_REPLAY_LIMITS: ReplayLimits = {
  maxFutureSkewS: 60,
  maxExpirationS: 3600,
  maxPerTwin: 10_000,
  maxTotal: 200_000,
};

export type Admission =
  | { ok: true }
  | { ok: false; reason: "expired" | "future" | "too-long" | "replayed" | "full"; message: string };

export class ReplayCache {
  readonly limits: ReplayLimits;
  /** key → expiry second */
  private entries = new Map<string, number>();
  /** expiry second → keys (at most skew + max expiration + 1 buckets) */
  private buckets = new Map<number, string[]>();
  private perTwin = new Map<number, number>();
  private swept = 0;

  constructor(limits: Partial<ReplayLimits> = {}) {
    this.limits = { ...DEFAULT_REPLAY_LIMITS, ...limits };
  }

  size(): number {
    return this.entries.size;
  }

  /** Checks one verified request and remembers it when admitted. `digest` is the signed challenge. */
  admit(twin: number, digest: Uint8Array, timestamp: number, expiration: number, nowS = Math.floor(Date.now() / 1000)): Admission {
    const l = this.limits;
    this.sweep(nowS);
    if (timestamp > nowS + l.maxFutureSkewS) {
      return { ok: false, reason: "future", message: `timestamp ${timestamp} is ${timestamp - nowS} s in the future (more than the ${l.maxFutureSkewS} s clock skew this node allows); check the sender's clock` };
    }
    if (expiration > l.maxExpirationS) {
      return { ok: false, reason: "too-long", message: `expiration ${expiration} s is over this node's maximum of ${l.maxExpirationS} s; send a shorter expiration` };
    }
    const until = timestamp + expiration;
    if (until <= nowS) return { ok: false, reason: "expired", message: "request expired before it was processed" };
    const key = `${twin}:${Buffer.from(digest).toString("hex")}`;
    if (this.entries.has(key)) {
      return { ok: false, reason: "replayed", message: "replayed envelope: this signed request was already received" };
    }
    const mine = this.perTwin.get(twin) ?? 0;
    if (mine >= l.maxPerTwin) {
      return { ok: false, reason: "full", message: `twin ${twin} has ${mine} unexpired requests at this node (limit ${l.maxPerTwin}); use shorter expirations or wait` };
    }
    if (this.entries.size >= l.maxTotal) {
      return { ok: false, reason: "full", message: `this node holds ${this.entries.size} unexpired requests (limit ${l.maxTotal}); retry shortly` };
    }
    this.entries.set(key, until);
    this.perTwin.set(twin, mine + 1);
    let b = this.buckets.get(until);
    if (!b) this.buckets.set(until, b = []);
    b.push(key);
    return { ok: true };
  }

  /** Drops entries whose window has passed; at most once a second, O(buckets) = O(skew + max expiration). */
  private sweep(nowS: number): void {
    if (nowS === this.swept) return;
    this.swept = nowS;
    for (const [second, keys] of this.buckets) {
      if (second > nowS) continue;
      this.buckets.delete(second);
      for (const k of keys) {
        this.entries.delete(k);
        const twin = Number(k.slice(0, k.indexOf(":")));
        const n = (this.perTwin.get(twin) ?? 1) - 1;
        if (n <= 0) this.perTwin.delete(twin);
        else this.perTwin.set(twin, n);
      }
    }
  }
}
