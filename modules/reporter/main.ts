// Example module: every few seconds asks the greeter for a greeting and the counter for its value, and
// logs both. It uses three grants from three different processes and exposes nothing.
import process from "node:process";
import { CounterClient, GreeterClient, LogClient } from "../../capabilities/lib/guest/clients.ts";
import { startProcess } from "../../capabilities/lib/guest/process.ts";
import { Ref } from "../../capabilities/lib/guest/ref.ts";

const intervalMs = Number(process.argv[2] ?? 5000) || 5000;
const { session } = startProcess();
const greeter = new Ref(session, "greeter", (c) => new GreeterClient(c));
const counter = new Ref(session, "counter", (c) => new CounterClient(c));
const log = new Ref(session, "log", (c) => new LogClient(c));

async function report(): Promise<void> {
  try {
    const message = await greeter.use((g) => g.greet("reporter"));
    const value = await counter.use((c) => c.get());
    await log.use((l) => l.info(`report: ${message}; counter=${value}`));
  } catch (err) {
    await log.use((l) => l.write("warn", `report failed: ${(err as Error).message}`)).catch(() => {});
  }
}

async function loop(): Promise<void> {
  for (;;) {
    await report();
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
loop();
