import { mkdtempSync } from "node:fs";
import { validateManifest } from "../manifest.ts";
import { startKernel } from "../mod.ts";
const raw = { version: 1, root: "..", processes: {
  log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
  untrusted: { kind: "module", entry: "kernel/test/fixtures/untrusted/main.ts", args: ["40000", "/tmp/nonexist.sock", "/tmp/x"], grants: { log: { from: "log", cap: "log" } }, restart: { maxRestarts: 0 } },
}};
const r = validateManifest(raw, { path: "/work/main/kernel/x.json" });
if (!r.ok) throw new Error(JSON.stringify(r.errors));
const h = await startKernel({ manifest: r.manifest, stateDir: mkdtempSync("/tmp/zt-x-"), bootTimeoutMs: 5000, onEvent: (e) => { if (e.event !== "spawned") console.log(JSON.stringify(e).slice(0, 400)); } });
await new Promise((r) => setTimeout(r, 8000));
await h.stop();
