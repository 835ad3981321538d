// First starts are bounded by CPU slots: with one slot, independent processes start one after another
// (each is ready before the next is spawned), with more they overlap; the semaphore itself is FIFO.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultStartSlots, StartSlots } from "./start-slots.ts";
import { startKernel, type KernelEvent } from "./mod.ts";
import { repoRoot } from "./sandbox.ts";
import { tempDir } from "../tools/test-tmp.ts";

test("the semaphore hands slots over in order and never exceeds its count", async () => {
  const s = new StartSlots(2);
  const order: string[] = [];
  let running = 0;
  let peak = 0;
  await Promise.all(["a", "b", "c", "d", "e"].map(async (n, i) => {
    const release = await s.acquire();
    running++;
    peak = Math.max(peak, running);
    order.push(n);
    await new Promise((r) => setTimeout(r, 20 + (i % 2) * 10));
    running--;
    release();
    release(); // a second release is harmless
  }));
  assert.is(peak, 2);
  assert.equal(order, ["a", "b", "c", "d", "e"]);
  assert.throws(() => new StartSlots(0), /positive integer/);
  assert.ok(defaultStartSlots() >= 1);
});

const manifest = () => {
  const dir = tempDir("zt-boot-slots-");
  const path = join(dir, "manifest.json");
  writeFileSync(path, JSON.stringify({
    version: 1,
    root: repoRoot,
    processes: {
      log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
      clock: { kind: "driver", entry: "capabilities/clock/main.ts", exposes: { clock: { interface: "Clock" } } },
      kv2: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
    },
  }));
  return { dir, path };
};

async function boot(startSlots: number): Promise<KernelEvent[]> {
  const { dir, path } = manifest();
  const events: KernelEvent[] = [];
  const h = await startKernel({ manifest: path, stateDir: join(dir, "state"), onEvent: (e) => events.push(e), bootTimeoutMs: 60_000, startSlots });
  try {
    assert.equal(h.notReady, []);
  } finally {
    await h.stop(3000);
  }
  return events;
}

test("one slot: independent processes start one after another; three slots: all three are in flight at once", async () => {
  // each `ready` says when it happened (t) and how long since its spawn (ms): its start interval
  const intervals = (events: KernelEvent[]) => events.filter((e) => e.event === "ready")
    .map((e) => ({ p: e.process, from: e.t - (e.ms as number), to: e.t })).sort((a, b) => a.from - b.from);
  const one = intervals(await boot(1));
  assert.is(one.length, 3);
  for (let i = 1; i < one.length; i++) {
    assert.ok(one[i].from >= one[i - 1].to - 1, `two starts in flight with one slot: ${JSON.stringify(one)}`);
  }
  const three = intervals(await boot(3));
  assert.is(three.length, 3);
  assert.ok(three[2].from < three[0].to, `with three slots the third started before the first was ready: ${JSON.stringify(three)}`);
});

test.run();
