import { startKernel } from "../mod.ts";
const h = await startKernel({ manifest: "manifests/dev-example.json", stateDir: "/tmp/ktest/state", onEvent: (e) => console.log(JSON.stringify(e).slice(0, 300)) });
console.log("notReady", h.notReady);
await new Promise((r) => setTimeout(r, 1500));
await h.stop();
