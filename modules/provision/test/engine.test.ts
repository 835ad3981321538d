// Engine behaviour: accept/reject, install order, results and change log, unsupported types,
// contract check, updates, pause/resume, deprovision, capacity, and FileStore durability rules.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, mkdirSync, rmSync, appendFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../engine.ts";
import { workloadCapacity } from "../../lib/gridtypes/mod.ts";
import { MemoryStore } from "../store.ts";
import { FileStore } from "../file-store.ts";
import type { WorkloadManager } from "../interfaces.ts";
import { ChainContracts, FileEffectManager, fixedCapacity, keysOf, signedDoc, twinFromSeed, wl } from "./fixtures.ts";

const alice = twinFromSeed(42, 1);
const bob = twinFromSeed(43, 2);
const keys = keysOf([alice, bob]);
const dirs: string[] = [];

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "zt-prov-"));
  dirs.push(d);
  return d;
}

const vm = (ip = "10.1.1.2", memGiB = 1) => ({
  flist: "https://hub.grid.tf/x.flist",
  network: { interfaces: [{ network: "net", ip }] },
  compute_capacity: { cpu: 1, memory: memGiB * 1024 ** 3 },
  mounts: [{ name: "big", mountpoint: "/data" }],
});
const net = { ip_range: "10.1.0.0/16", subnet: "10.1.1.0/24", wireguard_private_key: "k", wireguard_listen_port: 3000 };

async function setup(opts: { types?: string[]; memGiB?: number; store?: MemoryStore; deleteRetryMs?: number } = {}) {
  const dir = tmp();
  const managers = new Map<string, WorkloadManager>();
  const mgr = new FileEffectManager(dir, "any");
  for (const t of opts.types ?? ["zmount", "volume", "network", "zmachine", "ip"]) managers.set(t, mgr);
  const chain = new ChainContracts();
  const store = opts.store ?? new MemoryStore();
  let now = 1700000000;
  const engine = await Engine.open({ store, keys, contracts: chain, managers, capacity: fixedCapacity(opts.memGiB ?? 16), clock: { now: () => now++ }, deleteRetryMs: opts.deleteRetryMs });
  return { engine, chain, mgr, store, dir };
}

test("deploy: stored at once in init, installed by type order (zmount largest first), change log", async () => {
  const { engine, chain, mgr } = await setup();
  const doc = signedDoc(alice, 10, [wl("vm", "zmachine", vm()), wl("net", "network", net), wl("small", "zmount", { size: 1024 }), wl("big", "zmount", { size: 4096 }), wl("v", "volume", { size: 10 })], {}, chain);
  await engine.deploy(doc, 42);
  const d = engine.get(42, 10n)!;
  assert.equal(d.workloads.map((w) => w.result.state), ["init", "init", "init", "init", "init"]);
  assert.is(engine.pending(), 1);
  await engine.drain();
  assert.is(engine.pending(), 0);
  assert.equal(mgr.calls(), ["provision 42-10-big", "provision 42-10-small", "provision 42-10-v", "provision 42-10-net", "provision 42-10-vm"]);
  assert.ok(engine.get(42, 10n)!.workloads.every((w) => w.result.state === "ok"));
  const changes = engine.changes(42, 10n);
  assert.is(changes.length, 10);
  assert.equal(changes.slice(5).map((w) => w.name), ["big", "small", "v", "net", "vm"]);
  const s = engine.statistics();
  assert.equal(s.used, { cru: 1, sru: 5 * 1024 ** 3 + 1024 + 4096 + 10 + 500 * 1024 ** 2, hru: 0, mru: 3 * 1024 ** 3, ipv4u: 0 });
  assert.equal(s.users, { deployments: 1, workloads: 5, last_deployment_timestamp: 1700000000 });
});

test("a type without a manager gets an honest error; chain hash mismatch fails every workload", async () => {
  const { engine, chain } = await setup({ types: ["zmount"] });
  await engine.deploy(signedDoc(alice, 11, [wl("z", "zdb", { size: 10, mode: "user" }), wl("d", "zmount", { size: 10 })], {}, chain));
  await engine.drain();
  const d = engine.get(42, 11n)!;
  assert.equal(d.workloads.map((w) => [w.name, w.result.state, w.result.message]), [["z", "error", "zdb is not supported on this node yet"], ["d", "ok", ""]]);
  await engine.deploy(signedDoc(alice, 12, [wl("d", "zmount", { size: 10 })]));
  chain.set(12n, "0".repeat(32));
  await engine.drain();
  const e = engine.get(42, 12n)!.workloads[0].result;
  assert.is(e.state, "error");
  assert.match(e.message, /does not match contract 12/);
});

test("rejected input changes nothing", async () => {
  const store = new MemoryStore();
  const { engine, chain } = await setup({ store });
  await engine.deploy(signedDoc(alice, 20, [wl("net", "network", net)], {}, chain));
  const before = new Map(store.data);
  const good = signedDoc(alice, 21, [wl("d", "zmount", { size: 1 })]);
  const forged = JSON.parse(good);
  forged.metadata = "changed";
  const cases: [string | Uint8Array, RegExp, number?][] = [
    ["{", /invalid JSON/],
    [new Uint8Array([0xff, 0xfe]), /invalid JSON/],
    [`{"twin_id":"x"}`, /twin_id: expected an integer/],
    [signedDoc(alice, 21, [wl("d", "zmount", { size: 0 })]), /workload 'd' \(zmount\): data\.size: invalid size/],
    [JSON.stringify(forged), /signature_requirement: failed to verify ed25519 signature of twin '42'/],
    [good, /the deployment belongs to twin 42 but was sent by twin 43/, 43],
    [signedDoc(alice, 21, [wl("d", "zmount", { size: 1 }, 1)], { version: 1 }), /version: must be 0/],
    [signedDoc(alice, 20, [wl("d", "zmount", { size: 1 })]), /deployment with contract 20 already exists/],
    [signedDoc(alice, 22, [wl("net", "network", net)]), /a network named 'net' already exists in contract 20/],
  ];
  for (const [input, re, sender] of cases) {
    try {
      await engine.deploy(input, sender);
      assert.unreachable(String(re));
    } catch (e) {
      assert.match((e as Error).message, re);
    }
    assert.equal(store.data, before, String(re));
  }
  // another twin may use the same network name
  await engine.deploy(signedDoc(bob, 23, [wl("net", "network", net)]), 43);
});

test("update: version + 1, grow ok, shrink unchanged, removals, additions, non-updatable refused", async () => {
  const { engine, chain, mgr } = await setup();
  await engine.deploy(signedDoc(alice, 30, [wl("big", "zmount", { size: 100 }), wl("small", "zmount", { size: 100 }), wl("net", "network", net), wl("vm", "zmachine", vm())], {}, chain));
  await engine.drain();
  const v1 = [wl("big", "zmount", { size: 200 }, 1), wl("small", "zmount", { size: 50 }, 1), wl("vm", "zmachine", vm(), 0), wl("v2", "volume", { size: 5 }, 1)];
  await assert.not.throws(() => {});
  await engine.update(signedDoc(alice, 30, v1, { version: 1, metadata: "v1" }, chain), 42);
  const stored = engine.get(42, 30n)!;
  assert.is(stored.version, 1);
  assert.is(stored.metadata, "v1");
  await engine.drain();
  const d = engine.get(42, 30n)!;
  const st = Object.fromEntries(d.workloads.map((w) => [w.name, [w.version, w.result.state, w.result.message]]));
  assert.equal(st, { big: [1, "ok", ""], small: [1, "unchanged", "not safe to shrink a disk"], vm: [0, "ok", ""], v2: [1, "ok", ""] });
  const log = engine.changes(42, 30n).filter((w) => w.name === "net").map((w) => [w.result.state, w.result.message]);
  assert.equal(log.at(-1), ["deleted", "deleted by an update"]);
  assert.equal(mgr.calls().slice(4), ["deprovision 42-30-net", "update 42-30-big", "update 42-30-small", "provision 42-30-v2"]);
  // unchanged does not count in capacity: only big(200) + v2(5) + vm rootfs + reserved
  assert.is(engine.statistics().used.sru, Number(5n * 1024n ** 3n) + 205 + 500 * 1024 ** 2);
  const bad: [string, RegExp][] = [
    [signedDoc(alice, 30, v1, { version: 1 }), /expecting deployment version 2, got 1/],
    [signedDoc(alice, 30, [wl("vm", "zmachine", vm(), 2)], { version: 2 }), /workload 'zmachine' does not support upgrade/],
    [signedDoc(alice, 31, [], { version: 1 }), /no deployment with contract 31/],
  ];
  for (const [doc, re] of bad) {
    try {
      await engine.update(doc);
      assert.unreachable(String(re));
    } catch (e) {
      assert.match((e as Error).message, re);
    }
  }
  assert.is(engine.get(42, 30n)!.version, 1);
});

test("pause in reverse order, resume forward, deprovision in reverse removes the deployment", async () => {
  const { engine, chain, mgr } = await setup();
  await engine.deploy(signedDoc(alice, 40, [wl("vm", "zmachine", vm()), wl("net", "network", net), wl("big", "zmount", { size: 1 })], {}, chain));
  await engine.drain();
  await engine.pause(42, 40n);
  await engine.drain();
  assert.ok(engine.get(42, 40n)!.workloads.every((w) => w.result.state === "paused"));
  assert.is(engine.statistics().used.mru, 3 * 1024 ** 3, "paused counts");
  await engine.resume(42, 40n);
  await engine.drain();
  assert.ok(engine.get(42, 40n)!.workloads.every((w) => w.result.state === "ok"));
  await engine.deprovision(42, 40n, "contract canceled event received");
  await engine.drain();
  assert.is(engine.get(42, 40n), undefined);
  assert.equal(mgr.calls().slice(3), [
    "pause 42-40-vm", "pause 42-40-net", "pause 42-40-big",
    "resume 42-40-big", "resume 42-40-net", "resume 42-40-vm",
    "deprovision 42-40-vm", "deprovision 42-40-net", "deprovision 42-40-big",
  ]);
  assert.is(engine.statistics().users.deployments, 0);
});

test("memory admission: a VM that does not fit fails with the numbers", async () => {
  const { engine, chain } = await setup({ memGiB: 4 });
  await engine.deploy(signedDoc(alice, 50, [wl("net", "network", net), wl("vm", "zmachine", { ...vm("10.1.1.2", 3), mounts: [] })], {}, chain));
  await engine.drain();
  const r = engine.get(42, 50n)!.workloads[1].result;
  assert.is(r.state, "error");
  assert.match(r.message, /cannot fulfill required memory size 3221225472 bytes out of usable 2147483648 bytes/);
});

test("engine state survives reopen on a FileStore; replay re-provisions without the chain", async () => {
  const dir = tmp();
  const fx = await setup();
  const store = FileStore.open(join(dir, "state"));
  const chain = new ChainContracts();
  const managers = new Map<string, WorkloadManager>([["zmount", fx.mgr]]);
  const e1 = await Engine.open({ store, keys, contracts: chain, managers, capacity: fixedCapacity(8) });
  const u64 = (j: string) => j.replace(`"size":7`, `"size":18446744073709551615`);
  await e1.deploy(signedDoc(alice, 60, [wl("d", "zmount", { size: 7 })], { text: u64 }, chain));
  await e1.drain();
  await store.close();
  const store2 = FileStore.open(join(dir, "state"));
  const e2 = await Engine.open({ store: store2, keys, contracts: new ChainContracts(), managers, capacity: fixedCapacity(8) });
  assert.is(e2.get(42, 60n)!.workloads[0].result.state, "ok");
  assert.is(workloadCapacity(e2.get(42, 60n)!.workloads[0]).sru, 18446744073709551615n, "u64 size kept exactly through the store");
  await e2.replayAll();
  await e2.drain();
  assert.equal(fx.mgr.calls(), ["provision 42-60-d", "provision 42-60-d"]);
  assert.is(e2.changes(42, 60n).length, 3);
  await store2.close();
});

test("replay once per boot: a new boot id re-provisions every live deployment (networks first, a job cut mid-provision before them); the same boot id (a module restart) replays nothing", async () => {
  const dir = tmp();
  const fx = await setup();
  const store = FileStore.open(join(dir, "state"));
  const chain = new ChainContracts();
  const managers = new Map<string, WorkloadManager>([["zmount", fx.mgr], ["network", fx.mgr]]);
  const open = (s: FileStore) => Engine.open({ store: s, keys, contracts: chain, managers, capacity: fixedCapacity(8) });
  const e1 = await open(store);
  assert.is(await e1.replayAfterBoot("boot-aaaa"), 0, "nothing stored yet: nothing to replay");
  await e1.deploy(signedDoc(alice, 70, [wl("d", "zmount", { size: 7 })], {}, chain));
  await e1.deploy(signedDoc(alice, 71, [wl("n", "network", net)], {}, chain));
  await e1.deploy(signedDoc(alice, 72, [wl("gone", "zmount", { size: 1 })], {}, chain));
  await e1.drain();
  await e1.deprovision(42, 72n, "cancelled");
  await e1.drain();
  // the power cut: one more deployment accepted (stored and queued), never run
  await e1.deploy(signedDoc(alice, 73, [wl("cut", "zmount", { size: 3 })], {}, chain));
  await store.close();
  let seen = fx.mgr.calls().length;

  const store2 = FileStore.open(join(dir, "state"));
  const e2 = await open(store2);
  assert.is(await e2.replayAfterBoot("boot-bbbb"), 3, "70, 71 and the cut 73; 72 is deleted");
  assert.is(await e2.replayAfterBoot("boot-bbbb"), 0, "asked again in the same boot: nothing more");
  await e2.drain();
  assert.equal(fx.mgr.calls().slice(seen), ["provision 42-73-cut", "provision 42-71-n", "provision 42-70-d", "provision 42-73-cut"]);
  for (const c of [70n, 71n, 73n]) assert.ok(e2.get(42, c)!.workloads.every((w) => w.result.state === "ok"), `contract ${c}`);
  assert.ok(e2.get(42, 72n)?.workloads.every((w) => w.result.state === "deleted") ?? true, "the cancelled one stays gone");
  assert.is(e2.changes(42, 70n).length, 3, "init, ok, ok again after the boot");
  await store2.close();

  // a restart in the same boot (the module killed and started again): the boot id is stored, nothing replays
  seen = fx.mgr.calls().length;
  const store3 = FileStore.open(join(dir, "state"));
  const e3 = await open(store3);
  assert.is(await e3.replayAfterBoot("boot-bbbb"), 0);
  assert.is(await e3.replayAfterBoot(""), 0, "no boot id: never replays");
  await e3.drain();
  assert.equal(fx.mgr.calls().slice(seen), []);
  assert.is(await e3.replayAfterBoot("boot-cccc"), 3, "the next boot replays again");
  await store3.close();
});

test("FileStore: torn tail dropped, corrupt line stops replay, compaction keeps everything", async () => {
  const dir = join(tmp(), "s");
  const s = FileStore.open(dir, { compactBytes: 2048 });
  for (let i = 0; i < 100; i++) await s.commit([{ op: "put", key: `k/${String(i).padStart(3, "0")}`, value: "x".repeat(50) + i }]);
  await s.commit([{ op: "del", key: "k/000" }]);
  await s.close();
  assert.ok(readdirSync(dir).includes("snapshot.json"));
  const s2 = FileStore.open(dir);
  assert.is((await s2.list("k/")).length, 99);
  assert.is(await s2.get("k/099"), "x".repeat(50) + 99);
  await s2.commit([{ op: "put", key: "last", value: "1" }]);
  await s2.close();
  const log = readdirSync(dir).find((f) => f.startsWith("log."))!;
  const size = statSync(join(dir, log)).size;
  appendFileSync(join(dir, log), `0000beef [["p","torn","1"]]`); // no newline: a write cut by kill -9
  const s3 = FileStore.open(dir);
  assert.is(await s3.get("torn"), undefined);
  assert.is(await s3.get("last"), "1");
  assert.is(statSync(join(dir, log)).size, size, "torn tail truncated");
  await s3.close();
  appendFileSync(join(dir, log), `deadbeef [["p","bad","1"]]\n`);
  const s4 = FileStore.open(dir);
  assert.is(await s4.get("bad"), undefined, "checksum mismatch rejected");
  await s4.close();
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


// A delete that fails for real: the workload's resource is a folder holding a file where the manager
// expects its file, so its rmSync throws until someone clears it (as a busy mount would).
function blockDelete(dir: string, id: string): void {
  rmSync(join(dir, id), { force: true });
  mkdirSync(join(dir, id));
  writeFileSync(join(dir, id, "busy"), "held");
}

test("a delete that fails keeps the workload (error, with the reason) and is retried until it succeeds", async () => {
  const dir = tmp();
  const managers = new Map<string, WorkloadManager>();
  const mgr = new FileEffectManager(dir, "any");
  for (const t of ["zmount", "network", "zmachine"]) managers.set(t, mgr);
  const chain = new ChainContracts();
  const store = new MemoryStore();
  const errors: string[] = [];
  const open = () => Engine.open({ store, keys, contracts: chain, managers, capacity: fixedCapacity(16), deleteRetryMs: 50, onError: (e) => errors.push((e as Error).message) });
  const engine = await open();
  await engine.deploy(signedDoc(alice, 70, [wl("net", "network", net), wl("big", "zmount", { size: 1 })], {}, chain));
  await engine.drain();
  blockDelete(dir, "42-70-big");
  await engine.deprovision(42, 70n, "contract canceled event received");
  await engine.drain();
  const d = engine.get(42, 70n);
  assert.ok(d, "the deployment stays while one of its workloads could not be deleted");
  const big = d!.workloads.find((w) => w.name === "big")!;
  assert.is(big.result.state, "error");
  assert.match(big.result.message, /contract canceled event received, but deleting it failed: .*42-70-big/);
  assert.is(d!.workloads.find((w) => w.name === "net")!.result.state, "deleted");
  assert.ok(errors.length >= 1);
  // the retry comes by itself, and fails again while the resource is still busy
  const until = async (fn: () => boolean) => {
    for (let i = 0; i < 200 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(fn());
  };
  await until(() => engine.pending() > 0);
  await engine.drain();
  assert.is(engine.get(42, 70n)!.workloads.find((w) => w.name === "big")!.result.state, "error");
  // a restart keeps the pending delete (it is in the record) and retries it; once it can succeed the deployment goes
  const again = await open();
  rmSync(join(dir, "42-70-big"), { recursive: true });
  await until(() => again.pending() > 0);
  await again.drain();
  assert.is(again.get(42, 70n), undefined, "deleted once the retry succeeded");
  assert.ok(mgr.calls().filter((c) => c === "deprovision 42-70-big").length >= 3, "tried until it succeeded");
  assert.equal(mgr.calls().filter((c) => c === "deprovision 42-70-net").length, 1, "what was deleted is not deleted again");
  await engine.stop();
  await again.stop();
});

test("a workload an update drops whose delete fails stays (error) and leaves once a retry deletes it", async () => {
  const { engine: e2, chain, dir } = await setup({ deleteRetryMs: 50 });
  await e2.deploy(signedDoc(alice, 71, [wl("net", "network", net), wl("big", "zmount", { size: 1 })], {}, chain));
  await e2.drain();
  blockDelete(dir, "42-71-big");
  await e2.update(signedDoc(alice, 71, [wl("net", "network", net)], { version: 1 }, chain), 42);
  await e2.drain();
  const big = e2.get(42, 71n)!.workloads.find((w) => w.name === "big");
  assert.ok(big, "still in the deployment");
  assert.is(big!.result.state, "error");
  assert.match(big!.result.message, /deleted by an update, but deleting it failed/);
  rmSync(join(dir, "42-71-big"), { recursive: true });
  for (let i = 0; i < 200 && e2.pending() === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await e2.drain();
  assert.equal(e2.get(42, 71n)!.workloads.map((w) => w.name), ["net"], "gone from the deployment after the retry");
  assert.is(e2.get(42, 71n)!.workloads[0].result.state, "ok");
  await e2.stop();
});

test.run();
