// Store-and-forward for twins that belong to this relay but are momentarily disconnected
// (spec/RMB.md §7 step 7). In memory, entries dropped when the envelope expires (at most an hour), and
// bounded per session and in total, by count and by bytes: a full queue refuses (the sender gets an
// error), so no sender — nor all of them together — can grow the relay's memory beyond the bounds.
export interface Queued {
  frame: Uint8Array;
  /** unix ms after which the envelope is useless */
  until: number;
}

export interface QueueLimits {
  /** envelopes waiting for one session */
  maxPerSession: number;
  /** bytes waiting for one session */
  maxBytesPerSession: number;
  /** envelopes waiting over all sessions */
  maxTotal: number;
  /** bytes waiting over all sessions */
  maxTotalBytes: number;
  /** longest an envelope waits, whatever its expiration says */
  maxAgeMs: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = {
  maxPerSession: 10_000,
  maxBytesPerSession: 16 * 1024 * 1024,
  maxTotal: 100_000,
  maxTotalBytes: 64 * 1024 * 1024,
  maxAgeMs: 3_600_000,
};

export type PushResult = "queued" | "session-full" | "relay-full";

export class OfflineQueue {
  readonly limits: QueueLimits;
  private queues = new Map<string, { items: Queued[]; bytes: number }>();
  private count = 0;
  private bytes = 0;

  constructor(limits: Partial<QueueLimits> = {}) {
    this.limits = { ...DEFAULT_QUEUE_LIMITS, ...limits };
  }

  /** Queues `frame` for `session` unless a bound is reached. */
  push(session: string, frame: Uint8Array, expiresAtMs: number): PushResult {
    let q = this.queues.get(session);
    if (q) this.prune(q);
    const l = this.limits;
    if (q && (q.items.length >= l.maxPerSession || q.bytes + frame.length > l.maxBytesPerSession)) return "session-full";
    if (this.count >= l.maxTotal || this.bytes + frame.length > l.maxTotalBytes) {
      this.sweep();
      if (this.count >= l.maxTotal || this.bytes + frame.length > l.maxTotalBytes) return "relay-full";
    }
    if (!q) this.queues.set(session, q = { items: [], bytes: 0 });
    q.items.push({ frame, until: Math.min(expiresAtMs, Date.now() + l.maxAgeMs) });
    q.bytes += frame.length;
    this.count++;
    this.bytes += frame.length;
    return "queued";
  }

  /** Removes and returns the live frames waiting for `session`. */
  drain(session: string): Uint8Array[] {
    const q = this.queues.get(session);
    if (!q) return [];
    this.prune(q);
    this.queues.delete(session);
    this.count -= q.items.length;
    this.bytes -= q.bytes;
    return q.items.map((e) => e.frame);
  }

  size(): number {
    return this.count;
  }

  byteSize(): number {
    return this.bytes;
  }

  sweep(): void {
    for (const [k, q] of this.queues) {
      this.prune(q);
      if (!q.items.length) this.queues.delete(k);
    }
  }

  private prune(q: { items: Queued[]; bytes: number }): void {
    const now = Date.now();
    const keep: Queued[] = [];
    for (const e of q.items) {
      if (e.until > now) keep.push(e);
      else {
        q.bytes -= e.frame.length;
        this.count--;
        this.bytes -= e.frame.length;
      }
    }
    q.items = keep;
  }
}
