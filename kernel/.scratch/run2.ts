import { mkdtempSync } from "node:fs";
import { startKernel } from "../mod.ts";
const h = await startKernel({ manifest: "manifests/dev-example.json", stateDir: mkdtempSync("/tmp/zt-x-"), bootTimeoutMs: 3000, onEvent: (e) => { if (e.process === "counter") console.log(JSON.stringify(e).slice(0, 300)); } });
await h.stop();
