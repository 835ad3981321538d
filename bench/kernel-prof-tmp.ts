// temporary profiling harness (w9) — removed at the end
import { validateManifest } from "../kernel/manifest.ts";
import { startKernel, type KernelEvent } from "../kernel/mod.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../kernel/sandbox.ts";
const SEQ = Number(Deno.args[0] ?? 20000);
const raw = {
  version: 1, root: "..",
  processes: {
    echo: { kind: "driver", entry: "kernel/test/fixtures/echo/main.ts", exposes: { echo: { interface: "Echo" } } },
    caller: { kind: "module", entry: "kernel/test/fixtures/bench-caller/main.ts", args: [String(SEQ), "2000", "32"], grants: { echo: { from: "echo", cap: "echo" } } },
  },
};
const r = validateManifest(raw, { path: join(repoRoot, "bench", "x.json") });
if (!r.ok) throw new Error(JSON.stringify(r.errors));
const state = mkdtempSync(join(tmpdir(), "zt-w9-"));
const events: KernelEvent[] = [];
const h = await startKernel({ manifest: r.manifest, stateDir: state, onEvent: (e) => events.push(e) });
import { execSync } from "node:child_process";
const sample = () => {
  const pids = execSync(`pgrep -P ${Deno.pid}`).toString().trim().split("\n");
  const out: Record<string, number> = { kernel: Number(Deno.readTextFileSync(`/proc/${Deno.pid}/schedstat`).split(" ")[0]) };
  for (const pid of pids) {
    try {
      const cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
      const name = cmd.includes("echo") ? "echo" : cmd.includes("bench-caller") ? "caller" : pid;
      out[name] = Number(Deno.readTextFileSync(`/proc/${pid}/schedstat`).split(" ")[0]);
    } catch { /* gone */ }
  }
  return out;
};
if (Deno.env.get("SAMPLE")) {
  await new Promise((r) => setTimeout(r, 2500));
  const a = sample(); const ta = performance.now();
  await new Promise((r) => setTimeout(r, 2000));
  const b = sample(); const tb = performance.now();
  const wall = (tb - ta) * 1e6;
  const parts = Object.keys(b).map((k) => `${k} ${(100 * (b[k] - (a[k] ?? 0)) / wall).toFixed(1)}%`);
  console.log("cpu share over 2 s:", parts.join(", "));
}
let result = null;
while (!result) {
  await new Promise((r) => setTimeout(r, 50));
  for (const e of events) if (e.event === "output" && e.process === "caller" && String(e.line).startsWith('{"bench"')) result = JSON.parse(e.line as string).bench;
}
await h.stop(5000);
rmSync(state, { recursive: true, force: true });
console.log(JSON.stringify(result));
Deno.exit(0);
