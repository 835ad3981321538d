// Example module: a counter persisted through its granted kv namespace. Exposes `counter`.
// Increments are serialized so concurrent callers never lose an update.
import { Counter$Server } from "../../capabilities/schema/gen/kernel.ts";
import { KvClient, LogClient } from "../../capabilities/lib/guest/clients.ts";
import { startProcess } from "../../capabilities/lib/guest/process.ts";
import { Ref } from "../../capabilities/lib/guest/ref.ts";

let queue: Promise<unknown> = Promise.resolve();

function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => {});
  return next;
}

async function read(): Promise<bigint> {
  const v = await kv.use((c) => c.getText("value"));
  return v === null ? 0n : BigInt(v);
}

const counter = new Counter$Server({
  async increment(p, r) {
    const by = p.by;
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
const kv = new Ref(session, "kv", (c) => new KvClient(c));
const log = new Ref(session, "log", (c) => new LogClient(c));
log.use((c) => c.info("counter ready")).catch(() => {});
