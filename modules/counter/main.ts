// Example module: a counter persisted through its granted kv namespace. Exposes `counter`.
// Increments are serialized so concurrent callers never lose an update.
import { Counter$Client } from "../../capabilities/schema/gen/kernel.ts";
import { KvClient, LogClient } from "../../kernel/guest/clients.ts";
import { startProcess } from "../../kernel/guest/process.ts";
import { Ref } from "../../kernel/guest/ref.ts";
import { serve } from "../../kernel/wire/typed.ts";

let kv: Ref<KvClient>;
let log: Ref<LogClient>;
let queue: Promise<unknown> = Promise.resolve();

async function read(): Promise<bigint> {
  const v = await kv.use((c) => c.getText("value"));
  return v === null ? 0n : BigInt(v);
}

function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => {});
  return next;
}

const counter = serve(Counter$Client, {
  async increment(p, r) {
    const by: bigint = p.by;
    r.value = await serialized(async () => {
      const value = (await read()) + by;
      await kv.use((c) => c.put("value", value.toString()));
      return value;
    });
  },
  async get(_p, r) {
    r.value = await serialized(read);
  },
});

const { session } = startProcess({ provide: { counter: () => counter } });
kv = new Ref(session, "kv", (c) => new KvClient(c));
log = new Ref(session, "log", (c) => new LogClient(c));
log.use((c) => c.info("counter ready")).catch(() => {});
