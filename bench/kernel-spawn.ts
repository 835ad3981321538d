// Spawn → ready and kernel + 8 processes → all ready, for this tree and (optionally) another checkout of the
// project, with boots interleaved (A, B, A, B …) so both see the same machine load: the before/after ratio of a
// kernel change measured in one run. The manifest is bench/kernel.ts's boot manifest (4 drivers, 4 modules).
//
// usage: deno run -A bench/kernel-spawn.ts [--boots 7] [--baseline DIR]
//   DIR: another checkout (e.g. `git archive <commit> | tar -x -C DIR`, with node_modules linked in).
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = resolve(fileURLToPath(new URL("..", import.meta.url)));
const { values } = parseArgs({ options: { boots: { type: "string", default: "7" }, baseline: { type: "string" } } });
const BOOTS = Number(values.boots);

interface Tree {
  label: string;
  root: string;
  // deno-lint-ignore no-explicit-any
  mod: any;
  // deno-lint-ignore no-explicit-any
  manifest: any;
  boots: number[];
  drivers: number[];
  modules: number[];
}

async function load(label: string, root: string): Promise<Tree> {
  const mod = await import(join(root, "kernel/mod.ts"));
  const { validateManifest } = await import(join(root, "kernel/manifest.ts"));
  const raw = {
    version: 1, root,
    processes: {
      kv: { kind: "driver", entry: "capabilities/kv/main.ts", args: ["${state}/kv"], sandbox: { read: ["${state}/kv"], write: ["${state}/kv"] }, exposes: { kv: { interface: "Kv" } } },
      log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
      clock: { kind: "driver", entry: "capabilities/clock/main.ts", exposes: { clock: { interface: "Clock" } } },
      echo: { kind: "driver", entry: "kernel/test/fixtures/echo/main.ts", exposes: { echo: { interface: "Echo" } } },
      counter: { kind: "module", entry: "modules/counter/main.ts", exposes: { counter: { interface: "Counter" } }, grants: { kv: { from: "kv", cap: "kv", restrictions: { namespace: "counter" } }, log: { from: "log", cap: "log" } } },
      greeter: { kind: "module", entry: "modules/greeter/main.ts", exposes: { greeter: { interface: "Greeter" } }, grants: { counter: { from: "counter", cap: "counter" }, clock: { from: "clock", cap: "clock" } } },
      reporter: { kind: "module", entry: "modules/reporter/main.ts", args: ["600000"], grants: { greeter: { from: "greeter", cap: "greeter" }, counter: { from: "counter", cap: "counter" }, log: { from: "log", cap: "log" } } },
      caller: { kind: "module", entry: "kernel/test/fixtures/bench-caller/main.ts", args: ["0", "0", "1"], grants: { echo: { from: "echo", cap: "echo" } } },
    },
  };
  const r = validateManifest(raw, { path: join(root, "bench", "kernel-spawn.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { label, root, mod, manifest: r.manifest, boots: [], drivers: [], modules: [] };
}

async function boot(t: Tree, state: string, cacheDir: string, record: boolean): Promise<void> {
  // deno-lint-ignore no-explicit-any
  const events: any[] = [];
  const t0 = performance.now();
  // deno-lint-ignore no-explicit-any
  const h = await t.mod.startKernel({ manifest: t.manifest, stateDir: state, cacheDir, onEvent: (e: any) => events.push(e) });
  const ms = performance.now() - t0;
  if (h.notReady.length) throw new Error(`${t.label}: not ready: ${h.notReady}`);
  if (record) {
    t.boots.push(ms);
    for (const e of events.filter((x) => x.event === "ready")) (["kv", "log", "clock", "echo"].includes(e.process) ? t.drivers : t.modules).push(e.ms);
  }
  const runDir = h.kernel.runDirectory;
  await h.stop(5000);
  rmSync(runDir, { recursive: true, force: true });
}

const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];
const trees = [await load("this tree", here)];
if (values.baseline) trees.unshift(await load("baseline", resolve(values.baseline)));
const tmp = mkdtempSync(join(tmpdir(), "zt-sandbox-bench-"));
try {
  for (const t of trees) await boot(t, join(tmp, t.label, "state"), join(tmp, t.label, "cache"), false); // warm the caches
  for (let i = 0; i < BOOTS; i++) for (const t of trees) await boot(t, join(tmp, t.label, "state"), join(tmp, t.label, "cache"), true);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
for (const t of trees) {
  console.log(`${t.label}: spawn → ready median driver ${med(t.drivers).toFixed(1)} ms, module ${med(t.modules).toFixed(1)} ms; kernel + 8 processes → all ready median ${med(t.boots).toFixed(0)} ms, max ${Math.max(...t.boots).toFixed(0)} ms over ${BOOTS} boots`);
}
if (trees.length === 2) {
  const [a, b] = trees;
  const r = (x: number[], y: number[]) => `${((med(y) / med(x) - 1) * 100).toFixed(1)} %`;
  console.log(`this tree vs baseline: driver spawn → ready ${r(a.drivers, b.drivers)}, module ${r(a.modules, b.modules)}, boot ${r(a.boots, b.boots)}`);
}
