// A concurrency gate that is fair between keys (sender twins): at most `concurrency` holders at once,
// waiters served round-robin across keys (FIFO within a key), and at most `perKey` holders + waiters per
// key, so one key flooding the gate delays every other key by at most one turn per holder slot instead
// of queueing them behind its whole backlog.

export interface FairGateOptions {
  concurrency: number;
  /** holders + waiters one key may have; tryEnter() refuses beyond this */
  perKey: number;
}

export type Release = () => void;

export class FairGate<K> {
  readonly opts: FairGateOptions;
  private active = 0;
  private perKey = new Map<K, number>();
  /** waiting keys in turn order; each with its FIFO of wake-ups */
  private waiting = new Map<K, (() => void)[]>();

  constructor(opts: FairGateOptions) {
    if (opts.concurrency < 1 || opts.perKey < 1) throw new Error("FairGate limits must be at least 1");
    this.opts = opts;
  }

  /** How many holders + waiters `key` has. */
  load(key: K): number {
    return this.perKey.get(key) ?? 0;
  }

  /** Null when `key` is at its limit (the caller answers "busy"); else resolves when it is this key's turn. */
  tryEnter(key: K): Promise<Release> | null {
    const n = this.perKey.get(key) ?? 0;
    if (n >= this.opts.perKey) return null;
    this.perKey.set(key, n + 1);
    if (this.active < this.opts.concurrency && this.waiting.size === 0) {
      this.active++;
      return Promise.resolve(this.releaser(key));
    }
    return new Promise((resolve) => {
      let q = this.waiting.get(key);
      if (!q) this.waiting.set(key, q = []);
      q.push(() => resolve(this.releaser(key)));
    });
  }

  private releaser(key: K): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.perKey.get(key) ?? 1) - 1;
      if (n <= 0) this.perKey.delete(key);
      else this.perKey.set(key, n);
      this.active--;
      this.next();
    };
  }

  private next(): void {
    while (this.active < this.opts.concurrency && this.waiting.size) {
      const [key, q] = this.waiting.entries().next().value as [K, (() => void)[]];
      const wake = q.shift()!;
      // round-robin: the key goes to the back of the turn order
      this.waiting.delete(key);
      if (q.length) this.waiting.set(key, q);
      this.active++;
      wake();
    }
  }
}
