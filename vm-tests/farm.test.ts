// test-timeout: 2400
// The QEMU farm as CI runs it (`npm run vm-test -- --nodes 2`'s code, root): an image built here, two nodes
// booted over iPXE on the farm's private bridge, both registered in farm 1 and answering over RMB, the first
// one the access node (the farmer's public config applied), a network with an NR on each node, the test's
// WireGuard laptop pinging both NRs across the mesh and reaching the 0-db on the second node through the
// first node's NR with redis-cli; then nothing of the farm is left (namespaces, QEMU, wireguard-go).
// CI runs the farm after the suite, alone (`.ci/run`: `npm run vm-test -- --nodes 2`, the same code): inside the
// suite two TCG nodes would share the 2 cores with the suite's other workers. Here it runs with ZOS_VM_FARM=1
// (`ZOS_VM_FARM=1 npm test -- vm-tests/farm`), else says so.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { buildImage, DEFAULT_CACHE } from "../rootfs/build.ts";
import { runFarm } from "./farm.ts";
import { rootOnly } from "../tools/test-env.ts";

mkdirSync(DEFAULT_CACHE, { recursive: true });
const work = mkdtempSync(join(DEFAULT_CACHE, "farmtest-"));

const ours = (re: RegExp) => execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).split("\n").filter((l) => re.test(l));

test("a farm of 2: iPXE boot, both registered, an access node, a network across both, a 0-db reached through the access node's NR, nothing left", async () => {
  if (process.env.ZOS_VM_FARM !== "1") {
    console.log("not checked: the QEMU farm of 2 (set ZOS_VM_FARM=1; `npm run vm-test -- --nodes 2` runs the same)");
    return;
  }
  if (!rootOnly("a QEMU farm (namespace, bridge, taps)")) return;
  const outDir = join(work, "out");
  await buildImage({ outDir, zstdLevel: 3 });
  const r = await runFarm({ nodes: 2, outDir, timeoutMs: 900_000 }, (l) => console.log(l));
  const note = (re: RegExp) => r.notes.find((n) => re.test(n)) ?? `(no note matching ${re} in ${JSON.stringify(r.notes)})`;
  assert.ok(r.ok, `the farm failed: ${r.error}; logs: ${r.nodes.map((n) => n.log).join(", ")}`);
  assert.is(r.registered?.length, 2);
  assert.is(r.access?.nodeId, r.registered![0].nodeId);
  assert.match(note(/is the access node/), /10\.99\.0\.201\/24/);
  assert.match(note(/network farmnet/), /ok on every node/);
  assert.match(note(/pings every NR's gateway/), /10\.60\.1\.1 .*10\.60\.2\.1 /);
  assert.match(note(/redis-cli from the laptop/), /answered PING, SELECT with its password, SET and GET/);
  for (const m of ["all_ready", "all_registered", "all_answer", "access_node", "network_ok", "zdb_ok", "mesh_ping", "zdb_through_nr"]) {
    assert.type(r.milestones[m], "number", `milestone ${m}`);
  }
  assert.match(note(/nothing of the farm left/), /namespace, QEMUs and the laptop's wireguard-go are gone/);
  console.log(`farm of 2: ${r.seconds.toFixed(0)} s; milestones ${JSON.stringify(r.milestones)}`);
  assert.not.match(execFileSync("ip", ["netns"], { encoding: "utf8" }), new RegExp(r.namespace), "the farm's namespace is gone");
  assert.equal(ours(new RegExp(`ifname=zt-tap|${work}`)), [], "no QEMU of the farm left");
  assert.equal(ours(/wireguard-go zt-lap/), [], "no laptop wireguard-go left");
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
