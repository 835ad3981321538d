// A VM the hypervisor marks failed (the 4th crash within 2 minutes) flips its zmachine workload to `error`
// with the driver's reason (Zero-OS: vmd's monitor → provision's DecommissionCached): the engine's
// `decommission` job (queued, durable; the workload's manager frees what it held) and the watcher that
// feeds it from the driver's list (modules/provision/vm-watch.ts).
// Real parts: the engine, the zmachine manager, the hypervisor with QEMU (root, TCG) booting a full-VM
// "image" that dies at once — a 512-byte boot sector that spins ~1 s, then triple-faults (QEMU exits:
// -no-reboot) — so no guest kernel boots. Test doubles, named so: the zmount and network managers
// (FileEffectManager), the flist port (a full-VM flist whose /image.raw is that boot sector), the storage
// port's path lookup and the network port (tap names only: QEMU makes the tap inside a `zt-` namespace).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Engine } from "../engine.ts";
import { MemoryStore } from "../store.ts";
import type { WorkloadManager } from "../interfaces.ts";
import { decommissionFailedVms, watchFailedVms } from "../vm-watch.ts";
import { zmachineManager, type HypervisorPort } from "../managers/zmachine.ts";
import { Hypervisor } from "../../../capabilities/hypervisor/hypervisor.ts";
import { parseSpec, type Scope } from "../../../capabilities/hypervisor/spec.ts";
import { tapName } from "../../../capabilities/lib/vm-names.ts";
import { pidsWithArgv } from "../../../tools/test-proc.ts";
import { ChainContracts, FileEffectManager, fixedCapacity, keysOf, signedDoc, twinFromSeed, wl } from "./fixtures.ts";

const alice = twinFromSeed(42, 1);
const keys = keysOf([alice]);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "zt-vm-failed-"));
  dirs.push(d);
  return d;
};

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const zmachine = {
  flist: "https://hub.example/zt/dies-at-once.fl",
  network: { interfaces: [{ network: "net", ip: "10.1.1.5" }] },
  compute_capacity: { cpu: 1, memory: 256 * 1024 ** 2 },
  mounts: [{ name: "disk", mountpoint: "/data" }],
};
const net = { ip_range: "10.1.0.0/16", subnet: "10.1.1.0/24", wireguard_private_key: "k", wireguard_listen_port: 3000 };
const workloads = () => [wl("disk", "zmount", { size: 1024 * 1024 }), wl("net", "network", net), wl("vm", "zmachine", zmachine)];

test("engine: decommission takes the workload down with its manager and stores error with the reason, once", async () => {
  const dir = tmp();
  const fx = new FileEffectManager(dir, "any");
  const managers = new Map<string, WorkloadManager>([["zmount", fx], ["network", fx], ["zmachine", fx]]);
  const chain = new ChainContracts();
  const store = new MemoryStore();
  const engine = await Engine.open({ store, keys, contracts: chain, managers, capacity: fixedCapacity(16) });
  await engine.deploy(signedDoc(alice, 7, workloads(), {}, chain), 42);
  await engine.drain();
  const mru = engine.used().mru;
  assert.is(await engine.decommission("42-7-vm", "vm failed: crashed 4 times"), true);
  assert.is(await engine.decommission("42-7-vm", "again"), false, "one job per workload while it is queued");
  assert.is(await engine.decommission("42-7-nope", "x"), false, "unknown workload");
  assert.is(await engine.decommission("not-an-id", "x"), false);
  await engine.drain();
  const vm = engine.get(42, 7n)!.workloads.find((w) => w.name === "vm")!;
  assert.equal([vm.result.state, vm.result.message], ["error", "vm failed: crashed 4 times"]);
  assert.ok(fx.calls().includes("deprovision 42-7-vm"), "the manager freed the VM");
  assert.not.ok(fx.calls().includes("deprovision 42-7-disk"), "the rest of the deployment stays");
  assert.is(engine.used().mru, mru - 256n * 1024n ** 2n, "its memory is no longer counted");
  assert.is(engine.changes(42, 7n).at(-1)!.result.state, "error");
  assert.is(await engine.decommission("42-7-vm", "again"), false, "an errored workload is not decommissioned twice");
  // durable: a reopened engine sees the error
  const again = await Engine.open({ store, keys, contracts: chain, managers, capacity: fixedCapacity(16) });
  assert.is(again.get(42, 7n)!.workloads.find((w) => w.name === "vm")!.result.state, "error");
});

test("watcher: only failed VMs, with the driver's reason", async () => {
  const asked: string[] = [];
  const vms = [
    { id: "42-7-a", state: "running", reason: "", pid: 1, cpu: 1, memory: 1 },
    { id: "42-7-b", state: "failed", reason: "crashed 4 times within 120 s; last: exit code 0", pid: 0, cpu: 1, memory: 1 },
  ];
  const ids = await decommissionFailedVms({ list: () => Promise.resolve(vms), decommission: (id, r) => (asked.push(`${id}: ${r}`), Promise.resolve(true)) });
  assert.equal(ids, ["42-7-b"]);
  assert.equal(asked, ["42-7-b: vm failed: crashed 4 times within 120 s; last: exit code 0"]);
});

/** A boot sector that spins ≈ 2^28 loop iterations (QMP is connected meanwhile), then triple-faults. */
function dyingBootSector(): Uint8Array {
  const b = new Uint8Array(512);
  b.set([
    0xfa, // cli
    0x66, 0xb9, 0x00, 0x00, 0x00, 0x10, // mov ecx, 0x10000000
    0x67, 0xe2, 0xfd, // addr32 loop $
    0x0f, 0x01, 0x1e, 0x20, 0x7c, // lidt [0x7c20] (a zero-length IDT at offset 0x20)
    0xcc, // int3: no IDT → #GP → double fault → triple fault → reset; -no-reboot makes QEMU exit
  ]);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

test("a VM that crashes 4 times is marked failed by the hypervisor and its workload flips to error with the reason", async () => {
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/qemu-system-x86_64")) return console.log("skipped: needs root and qemu-system-x86_64");
  const dir = tmp();
  const ns = `zt-vmf-${process.pid}`;
  execFileSync("ip", ["netns", "add", ns]);
  let hv: Hypervisor | null = null;
  let stop = () => {};
  try {
    const pools = join(dir, "pools");
    const flistRoot = join(dir, "flist");
    mkdirSync(join(pools, "p1", "vdisks"), { recursive: true });
    mkdirSync(join(flistRoot, "tree"), { recursive: true });
    writeFileSync(join(flistRoot, "tree", "image.raw"), dyingBootSector());
    const disk = join(pools, "p1", "vdisks", "42-7-disk");
    writeFileSync(disk, "");
    truncateSync(disk, 1024 * 1024);

    const scope: Scope = { roots: new Map([["pools", pools], ["flist", flistRoot]]), tapPrefix: "t-", owners: null };
    hv = new Hypervisor({ stateDir: join(dir, "hv"), netns: `/run/netns/${ns}`, restartDelaysMs: [100], stopGraceMs: 500 });
    await hv.open();
    const h = hv;
    const hvPort: HypervisorPort = {
      create: (json) => h.create(parseSpec(json, scope), "provision"),
      destroy: (id) => h.destroy(id, "provision"),
      info: (id) => Promise.resolve(h.info(id, "provision")),
      pause: (id) => h.pause(id, "provision"),
      resume: (id) => h.resume(id, "provision"),
      uid: () => Promise.resolve(0),
      stream: () => Promise.resolve(),
      unstream: () => Promise.resolve(false),
    };
    const fx = new FileEffectManager(join(dir, "fx"), "any");
    const managers = new Map<string, WorkloadManager>([
      ["zmount", fx],
      ["network", fx],
      ["zmachine", zmachineManager({
        hypervisor: hvPort,
        // test double: the network module's vm-tap verb — a tap owned by QEMU's uid inside the zt- namespace, no bridge
        network: {
          tap: (_t, _n, vmId, user) => {
            const tap = tapName("t-", vmId, 0);
            execFileSync("ip", ["-n", ns, "tuntap", "add", "name", tap, "mode", "tap", "user", String(user)]);
            return Promise.resolve({ tap, bridge: "zt-none", subnet: "10.1.1.0/24", gateway: "10.1.1.1", ip_range: "10.1.0.0/16" });
          },
          untap: (_t, _n, vmId) => Promise.resolve(void execFileSync("ip", ["-n", ns, "link", "delete", tapName("t-", vmId, 0)])),
        },
        // test double: the storage module's answer for the zmount above
        storage: { diskPath: (_o, id) => Promise.resolve(id === "42-7-disk" ? { pool: "p1", name: id } : null), volumePath: () => Promise.resolve(null) },
        // test double: the flist driver's prepare() for a full-VM flist
        flist: { prepare: () => Promise.resolve({ hash: "zt", root: join(flistRoot, "tree"), kind: "vm", image: join(flistRoot, "tree", "image.raw") }) },
      })],
    ]);
    const chain = new ChainContracts();
    const engine = await Engine.open({ store: new MemoryStore(), keys, contracts: chain, managers, capacity: fixedCapacity(16) });
    await engine.deploy(signedDoc(alice, 7, workloads(), {}, chain), 42);
    await engine.drain();
    const vm = () => engine.get(42, 7n)!.workloads.find((w) => w.name === "vm")!;
    assert.is(vm().result.state, "ok", vm().result.message);
    stop = watchFailedVms({ list: () => Promise.resolve(h.list("provision")), decommission: (id, r) => engine.decommission(id, r), intervalMs: 200 });
    engine.start();
    const end = Date.now() + 180_000;
    while (vm().result.state !== "error") {
      if (Date.now() > end) throw new Error(`the workload did not fail: ${JSON.stringify(h.info("42-7-vm", "provision"))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await engine.stop();
    assert.match(vm().result.message, /^vm failed: crashed 4 times within 120 s; last: (exit code 0|QEMU pid \d+ is gone)/, vm().result.message);
    assert.is(h.info("42-7-vm", "provision"), null, "the failed VM was destroyed by its manager");
    assert.not.match(execFileSync("ip", ["-n", ns, "-br", "link"], { encoding: "utf8" }), /^t-/m, "its tap was removed");
    assert.not.ok(existsSync(join(dir, "hv", "vms", "42-7-vm")), "its folder is gone");
    assert.equal(pidsWithArgv(dir), [], "no QEMU left");
    const others = engine.get(42, 7n)!.workloads.filter((w) => w.name !== "vm").map((w) => w.result.state);
    assert.equal(others, ["ok", "ok"], "the rest of the deployment stays up");
  } finally {
    stop();
    await hv?.stopAll().catch(() => {});
    execFileSync("ip", ["netns", "delete", ns]);
  }
});

test.run();
