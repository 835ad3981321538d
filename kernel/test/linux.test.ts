// The manifest's `linux` key on a real process: a driver granted CAP_NET_BIND_SERVICE and the disk group
// runs under its own uid with exactly that capability raised (inheritable, permitted, effective, ambient and
// bounding), exactly those supplementary groups (disk, vm: the kernel's table), no_new_privs, and a private state dir it owns. Root only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { repoRoot } from "../sandbox.ts";
import { formatErrors, stripComments, validateManifest } from "../manifest.ts";
import { VM_GID } from "../../capabilities/lib/linux-groups.ts";
import { defaultRunDir } from "../kernel.ts";
import { capabilityMask, groupId } from "../linux.ts";
import { type KernelEvent, startKernel } from "../mod.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { rmSync } from "node:fs";
import { rootOnly } from "../../tools/test-env.ts";

function status(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

test("a driver gets exactly its manifest's Linux capabilities and groups, under its own uid", async () => {
  if (!rootOnly("Linux capabilities under a root kernel")) return;
  const tmp = tempDir("zt-sandbox-linux-");
  const m = JSON.parse(stripComments(readFileSync(join(repoRoot, "manifests", "dev-example.json"), "utf8")));
  const log = { ...m.processes.log, linux: { capabilities: ["CAP_NET_BIND_SERVICE"], groups: ["vm", "disk"] } };
  const r = validateManifest({ version: 1, root: repoRoot, uidBase: 62100, processes: { clock: m.processes.clock, log } }, { path: join(tmp, "m.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const state = join(tmp, "state");
  // A file the caller left in the driver's state dir (as startNode does with the dev faucet) is handed over.
  mkdirSync(join(state, "log"), { recursive: true });
  writeFileSync(join(state, "log", "left-by-caller"), "x", { mode: 0o600 });
  const events: KernelEvent[] = [];
  const h = await startKernel({ manifest: r.manifest, stateDir: state, bootTimeoutMs: 20_000, onEvent: (e) => events.push(e) });
  try {
    assert.equal(h.notReady, []);
    const st = status(h.kernel.pid("log")!);
    const mask = capabilityMask(["CAP_NET_BIND_SERVICE"]);
    assert.is(mask, "0000000000000400");
    assert.is(st.Uid.split(/\s+/)[0], "62101", "uidBase + index");
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"]) assert.is(st[set], mask, `log ${set}`);
    assert.is(st.Groups.trim(), `6 ${VM_GID}`, "only the disk and vm groups (the kernel's table, not the host's /etc/group)");
    assert.is(st.NoNewPrivs, "1");
    const clock = status(h.kernel.pid("clock")!);
    assert.is(clock.Uid.split(/\s+/)[0], "62100");
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"]) assert.is(clock[set], "0000000000000000", `clock ${set}`);
    const dir = statSync(join(state, "log"));
    assert.is(dir.uid, 62101, "the log driver owns its state dir");
    assert.is(dir.mode & 0o777, 0o700);
    assert.is(statSync(join(state, "log", "left-by-caller")).uid, 62101);
    assert.is(statSync(join(state, "clock")).uid, 62100);
    assert.is(clock.Groups.trim(), "", "clock: no supplementary groups");
  } finally {
    await h.stop(3000);
    rmSync(defaultRunDir(state), { recursive: true, force: true });
  }
});

test("linux.groups: only the kernel's fixed table (disk, vm); a uidBase that would hand a process the vm gid is refused", () => {
  const tmp = tempDir("zt-sandbox-linux-");
  const m = JSON.parse(stripComments(readFileSync(join(repoRoot, "manifests", "dev-example.json"), "utf8")));
  const log = { ...m.processes.log, linux: { groups: ["zt-no-such-group"] } };
  const r = validateManifest({ version: 1, root: repoRoot, processes: { log } }, { path: join(tmp, "m.json") });
  assert.not.ok(r.ok);
  if (!r.ok) assert.match(formatErrors(r.errors), /linux.groups: "zt-no-such-group" is not a group the kernel knows \(known: disk, vm/);
  const vm = validateManifest({ version: 1, root: repoRoot, processes: { log: { ...m.processes.log, linux: { groups: ["vm"] } } } }, { path: join(tmp, "m.json") });
  assert.ok(vm.ok, "vm is in the table");
  if (vm.ok) assert.equal(vm.manifest.processes[0].linux.groups, ["vm"]);
  assert.is(groupId("vm"), VM_GID);
  assert.is(groupId("disk"), 6);
  assert.is(groupId("root"), null, "names outside the table resolve to nothing, whatever the host's /etc/group says");
  const clash = validateManifest({ version: 1, root: repoRoot, uidBase: VM_GID - 1, processes: { clock: m.processes.clock, log: m.processes.log } }, { path: join(tmp, "m.json") });
  assert.not.ok(clash.ok);
  if (!clash.ok) assert.match(formatErrors(clash.errors), /uidBase .* gid 60990, the gid of group "vm"/);
  rmSync(tmp, { recursive: true, force: true });
});

test.run();
