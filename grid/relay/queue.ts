// Store-and-forward for twins that belong to this relay but are momentarily disconnected
// (spec/RMB.md §7 step 7). In memory, bounded per session, entries dropped when the envelope expires.
export interface Queued {
  frame: Uint8Array;
  /** unix ms after which the envelope is useless */
  until: number;
}

export class OfflineQueue {
  private queues = new Map<string, Queued[]>();
  private maxPerSession: number;
  private maxAgeMs: number;

  constructor(opts: { maxPerSession?: number; maxAgeMs?: number } = {}) {
    this.maxPerSession = opts.maxPerSession ?? 10_000;
    this.maxAgeMs = opts.maxAgeMs ?? 3_600_000;
  }

  /** false when the session's queue is full */
  push(session: string, frame: Uint8Array, expiresAtMs: number): boolean {
    let q = this.queues.get(session);
    if (!q) this.queues.set(session, q = []);
    this.prune(q);
    if (q.length >= this.maxPerSession) return false;
    q.push({ frame, until: Math.min(expiresAtMs, Date.now() + this.maxAgeMs) });
    return true;
  }

  /** Removes and returns the live frames waiting for `session`. */
  drain(session: string): Uint8Array[] {
    const q = this.queues.get(session);
    this.queues.delete(session);
    if (!q) return [];
    this.prune(q);
    return q.map((e) => e.frame);
  }

  size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  sweep(): void {
    for (const [k, q] of this.queues) {
      this.prune(q);
      if (!q.length) this.queues.delete(k);
    }
  }

  private prune(q: Queued[]): void {
    const now = Date.now();
    let i = 0;
    while (i < q.length && q[i].until <= now) i++;
    if (i) q.splice(0, i);
    for (let j = q.length - 1; j >= 0; j--) if (q[j].until <= now) q.splice(j, 1);
  }
}
