// Every program a driver's manifest entry lets it run (sandbox.run) is in the image: NODE_TOOLS, which the
// image build copies with their libraries — or the runtime, setpriv, or QEMU (the extension flist, not the
// image). A tool missing from the image is found here, not on a booted node as "spawn … ENOENT" (the flist
// driver's tar and cp were missing: every zmachine on the image failed).
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { NODE_MANIFEST } from "../../modules/node.ts";
import { NODE_TOOLS } from "../image-config.ts";
import { QEMU_BINARY } from "../extensions/qemu.ts";

test("every absolute sandbox.run path of manifests/node.json is a tool the image carries", () => {
  const m = JSON.parse(readFileSync(NODE_MANIFEST, "utf8").replace(/^\s*\/\/.*$/gm, "")) as { processes: Record<string, { sandbox?: { run?: string[] } }> };
  const carried = new Set([...NODE_TOOLS, "/usr/bin/setpriv", QEMU_BINARY]);
  const missing: string[] = [];
  let checked = 0;
  for (const [name, p] of Object.entries(m.processes)) {
    for (const run of p.sandbox?.run ?? []) {
      if (run.startsWith("${root}/")) continue; // the release's own files (the runtime link, bundles)
      checked++;
      if (!carried.has(run)) missing.push(`${name}: ${run}`);
    }
  }
  assert.ok(checked >= 10, `only ${checked} run entries found: did the manifest's shape change?`);
  assert.equal(missing, [], `not in rootfs/image-config.ts NODE_TOOLS: ${missing.join(", ")}`);
});

test.run();
