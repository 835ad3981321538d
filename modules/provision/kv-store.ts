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
  private chain: Promise<void> = Promise.resolve();

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

  /** Commits run one after another (the kv capability has no transactions to interleave them safely). */
  commit(ops: StoreOp[]): Promise<void> {
    const run = async () => {
      if (ops.length === 1) return this.apply(ops); // a single key is already atomic in kv
      const wal = `${WAL}${String(this.seq++).padStart(16, "0")}`;
      await this.kv.put(wal, enc.encode(JSON.stringify(ops)));
      await this.apply(ops);
      await this.kv.delete(wal);
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => {});
    return p;
  }

  async close(): Promise<void> {
    await this.chain;
  }
}
