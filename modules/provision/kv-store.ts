// DurableStore over a plain key/value backend (the kv capability: get/put/delete/list, each key
// written atomically, no multi-key transactions). Atomic multi-key commits come from a write-ahead
// record: the whole batch is first put under `wal/<n>` (one atomic put), then applied key by key, then
// the wal key is deleted. `open` re-applies any wal records left by a crash (applying twice is
// harmless: puts and deletes are idempotent), in order, before anything is read.
import type { DurableStore, StoreOp } from "./store.ts";

/** What the kv capability offers (sync or async). */
export interface KvBackend {
  get(key: string): Promise<Uint8Array | null> | Uint8Array | null;
  put(key: string, value: Uint8Array): Promise<void> | void;
  delete(key: string): Promise<unknown> | unknown;
  list(prefix: string): Promise<string[]> | string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const WAL = "wal/";

export class KvDurableStore implements DurableStore {
  private readonly kv: KvBackend;
  private seq = 0;
  private pending: { ops: StoreOp[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private draining: Promise<void> | null = null;

  private constructor(kv: KvBackend) {
    this.kv = kv;
  }

  static async open(kv: KvBackend): Promise<KvDurableStore> {
    const s = new KvDurableStore(kv);
    const wals = (await kv.list(WAL)).sort();
    for (const w of wals) {
      const raw = await kv.get(w);
      if (raw) await s.apply(JSON.parse(dec.decode(raw)) as StoreOp[]);
      await kv.delete(w);
      s.seq = Math.max(s.seq, Number(w.slice(WAL.length)) + 1);
    }
    return s;
  }

  private async apply(ops: StoreOp[]): Promise<void> {
    for (const o of ops) {
      if (o.op === "put") await this.kv.put(o.key, enc.encode(o.value));
      else await this.kv.delete(o.key);
    }
  }

  async get(key: string): Promise<string | undefined> {
    const v = await this.kv.get(key);
    return v === null ? undefined : dec.decode(v);
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.kv.list(prefix)).filter((k) => !k.startsWith(WAL)).sort();
  }

  /**
   * Commits run one after another, grouped: the commits that arrive while one is being written go together
   * in the next group — one wal record for all of them, then every key once (the last op on a key wins,
   * written concurrently: they are different keys), then the wal record deleted. Under many users deploying
   * at once each commit used to cost five sequential kv round trips behind every earlier one (the node
   * answered deploys one per ~0.3 s; docs/PERFORMANCE.md, node-load); a group costs about one commit's time.
   * A group that fails is written again commit by commit, so one bad commit fails alone.
   */
  commit(ops: StoreOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.draining) this.draining = this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length) {
        const group = this.pending.splice(0);
        if (group.length === 1) {
          await this.write(group[0].ops).then(group[0].resolve, group[0].reject);
          continue;
        }
        const wal = this.nextWal();
        try {
          await this.write(group.flatMap((g) => g.ops), wal);
          for (const g of group) g.resolve();
        } catch {
          for (const g of group) await this.write(g.ops).then(g.resolve, g.reject);
        }
      }
    } finally {
      // in the same step as the last look at `pending`: a `.finally()` on the promise ran microtasks later,
      // and a commit made in between found a drain still set, was not written, and waited for the next
      // commit (on an idle node for ever: the provision queue stopped after a VM's delete)
      this.draining = null;
    }
  }

  private nextWal(): string {
    return `${WAL}${String(this.seq++).padStart(16, "0")}`;
  }

  /** Writes one batch all-or-nothing, through wal record `wal` (a fresh one when not given; none for a single key). */
  private async write(ops: StoreOp[], walKey = ""): Promise<void> {
    const last = new Map<string, StoreOp>();
    for (const o of ops) {
      last.delete(o.key); // keeps the order of last writes (a replay applies them in that order)
      last.set(o.key, o);
    }
    const final = [...last.values()];
    if (final.length === 1 && !walKey) return await this.apply(final); // a single key is already atomic in kv
    const wal = walKey || this.nextWal();
    await this.kv.put(wal, enc.encode(JSON.stringify(final)));
    // every write settled before a failure is reported: the fallback must not race one still in flight
    const done = await Promise.allSettled(final.map(async (o) => await (o.op === "put" ? this.kv.put(o.key, enc.encode(o.value)) : this.kv.delete(o.key))));
    const failed = done.find((d) => d.status === "rejected");
    if (failed) {
      // reported failed, so never replayed at the next open (best effort: a dead kv keeps it, as a crash would)
      await Promise.resolve(this.kv.delete(wal)).catch(() => {});
      throw (failed as PromiseRejectedResult).reason;
    }
    await this.kv.delete(wal);
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining;
  }
}
