// Example module: greets callers, numbering them with the counter module and stamping the clock driver's
// time. Exposes `greeter`; it never sees kv or the counter's namespace, only the counter's interface.
import { Greeter$Server } from "../../capabilities/schema/gen/kernel.ts";
import { ClockClient, CounterClient } from "../../capabilities/lib/guest/clients.ts";
import { startProcess } from "../../capabilities/lib/guest/process.ts";
import { Ref } from "../../capabilities/lib/guest/ref.ts";

const greeter = new Greeter$Server({
  async greet(p, r) {
    const name = String(p.name).slice(0, 100) || "stranger";
    const n = await counter.use((c) => c.increment(1));
    const { unixMs } = await clock.use((c) => c.now());
    r.message = `Hello, ${name}! You are visitor #${n} (${new Date(unixMs).toISOString()})`;
  },
});

const { session } = startProcess({ provide: { greeter: () => greeter } });
const counter = new Ref(session, "counter", (c) => new CounterClient(c));
const clock = new Ref(session, "clock", (c) => new ClockClient(c));
