// The durable state the engine needs, as a tiny key/value interface so the provision module can later
// bind it to the kv capability unchanged: string keys, string values, atomic multi-key commits.
//
// Keys used by the engine (all ASCII):
//   dep/<twin>/<contract>   one deployment record (deployment JSON + per-workload job marks + changes)
//   job/<seq, 16 digits>    one queued job; the queue is the ascending key order (FIFO)
//   meta/seq                the next job sequence number
//
// A kv-backed implementation only has to provide these three calls with the same guarantees:
// `commit` is all-or-nothing and durable once its promise resolves; reads see every resolved commit.

export type StoreOp = { op: "put"; key: string; value: string } | { op: "del"; key: string };

export interface DurableStore {
  get(key: string): Promise<string | undefined>;
  /** Keys starting with `prefix`, ascending (bytewise). */
  list(prefix: string): Promise<string[]>;
  /** Applies all ops atomically and durably. */
  commit(ops: StoreOp[]): Promise<void>;
  close(): Promise<void>;
}

/** A non-durable store for unit tests of logic that does not concern crashes. */
export class MemoryStore implements DurableStore {
  readonly data = new Map<string, string>();
  /** Number of commits applied (lets tests prove that nothing was written). */
  commits = 0;
  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.data.get(key));
  }
  list(prefix: string): Promise<string[]> {
    return Promise.resolve([...this.data.keys()].filter((k) => k.startsWith(prefix)).sort());
  }
  commit(ops: StoreOp[]): Promise<void> {
    this.commits++;
    for (const o of ops) {
      if (o.op === "put") this.data.set(o.key, o.value);
      else this.data.delete(o.key);
    }
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
