// The kv-backed DurableStore on the real kv capability storage (capabilities/kv KvNamespace):
// multi-key commits are all-or-nothing across a crash, and the engine runs on it unchanged.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KvNamespace } from "../../../capabilities/kv/store.ts";
import { KvDurableStore } from "../kv-store.ts";
import { Engine } from "../engine.ts";
import { ChainContracts, FileEffectManager, fixedCapacity, keysOf, signedDoc, twinFromSeed, wl } from "./fixtures.ts";

const root = mkdtempSync(join(tmpdir(), "zt-kvstore-"));

test("a batch cut after its wal record is completed on open; one cut before it never happened", async () => {
  const ns = new KvNamespace(root, "prov1");
  // crash after the wal put, before applying: simulate by writing the wal record only
  ns.put("wal/0000000000000000", new TextEncoder().encode(JSON.stringify([{ op: "put", key: "a", value: "1" }, { op: "put", key: "b", value: "2" }, { op: "del", key: "c" }])));
  ns.put("c", new TextEncoder().encode("old"));
  const s = await KvDurableStore.open(ns);
  assert.is(await s.get("a"), "1");
  assert.is(await s.get("b"), "2");
  assert.is(await s.get("c"), undefined);
  assert.equal(await s.list(""), ["a", "b"]);
  await s.commit([{ op: "put", key: "x", value: "9" }, { op: "del", key: "a" }]);
  assert.equal(ns.list("wal/"), []);
  assert.equal(await s.list(""), ["b", "x"]);
});

test("the engine runs on the kv-backed store and reloads from it", async () => {
  const ns = new KvNamespace(root, "prov2");
  const alice = twinFromSeed(42, 8);
  const chain = new ChainContracts();
  const mgr = new FileEffectManager(join(root, "fx"), "any");
  const managers = new Map([["zmount", mgr]]);
  const e1 = await Engine.open({ store: await KvDurableStore.open(ns), keys: keysOf([alice]), contracts: chain, managers, capacity: fixedCapacity(8) });
  await e1.deploy(signedDoc(alice, 3, [wl("d", "zmount", { size: 5 })], {}, chain));
  await e1.drain();
  const e2 = await Engine.open({ store: await KvDurableStore.open(ns), keys: keysOf([alice]), contracts: chain, managers, capacity: fixedCapacity(8) });
  assert.is(e2.get(42, 3n)!.workloads[0].result.state, "ok");
  assert.is(e2.pending(), 0);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
