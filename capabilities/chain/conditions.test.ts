// The chain driver's export conditions (manifests/node.json "conditions": ["browser"]): @polkadot's x-ws and
// x-fetch then resolve to their browser files, over the runtime's own WebSocket and fetch, so neither the `ws`
// package nor node-fetch (and the node: built-ins they pull in) is loaded. The same resolution on a host (deno
// run --conditions) and in the image (its bundle of the entry): checked here through esbuild's metafile, which
// lists every file a bundle holds.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bundleArgs, esbuildBinary } from "../../rootfs/lib/bundle.ts";
import { loadManifest } from "../../kernel/manifest.ts";
import { launchPlan, repoRoot } from "../../kernel/sandbox.ts";
import { tempDir } from "../../tools/test-tmp.ts";

const ENTRY = "capabilities/chain/main.ts";

function chainSpec() {
  const r = loadManifest(join(repoRoot, "manifests", "node.json"));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.manifest.processes.find((p) => p.name === "chain")!;
}

/** The npm files a bundle of the chain driver holds under these conditions. */
function bundledFiles(conditions: string[]): string[] {
  const dir = tempDir("zt-chainmem-conditions-");
  const meta = join(dir, "meta.json");
  const r = spawnSync(esbuildBinary(repoRoot), [...bundleArgs(ENTRY, join(dir, "main.bundle.js"), conditions), `--metafile=${meta}`], {
    cwd: repoRoot, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1" },
  });
  assert.is(r.status, 0, r.stderr);
  return Object.keys(JSON.parse(readFileSync(meta, "utf8")).inputs).filter((f) => f.includes("node_modules/"));
}

test("the manifest starts the chain driver with the browser condition (deno run --conditions, before the script)", () => {
  const spec = chainSpec();
  assert.equal(spec.conditions, ["browser"]);
  const plan = launchPlan(spec, { vars: { state: "/st", chainurl: "ws://127.0.0.1:1", chainhost: "127.0.0.1:1", activationurl: "", activationhost: "127.0.0.1:1" }, cwd: repoRoot, identity: null, denoDir: "/nonexistent" });
  const c = plan.args.indexOf("--conditions=browser");
  assert.ok(c >= 0 && c < plan.args.indexOf(spec.entryPath), plan.args.join(" "));
});

test("under its conditions the chain driver holds @polkadot/x-ws's and x-fetch's browser files, and no ws or node-fetch", () => {
  const files = bundledFiles(chainSpec().conditions);
  for (const f of ["@polkadot/x-ws/browser.js", "@polkadot/x-fetch/browser.js", "@polkadot/api/"]) {
    assert.ok(files.some((x) => x.includes(f)), `${f} is bundled`);
  }
  for (const f of ["node_modules/ws/", "node_modules/node-fetch/", "@polkadot/x-ws/node.js"]) {
    assert.not.ok(files.some((x) => x.includes(f)), `${f} is not bundled`);
  }
  // control: without the condition the same entry pulls ws in, so the check above can fail
  assert.ok(bundledFiles([]).some((x) => x.includes("node_modules/ws/")), "without the condition, ws is bundled");
});

test.run();
