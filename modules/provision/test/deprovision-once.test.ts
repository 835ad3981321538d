// The contract sync (every 5 s on the node) and a VM teardown that takes longer than that: a cancelled
// contract gets one deprovision job at a time, and a delete that keeps failing is tried again by its retry
// timer, not by every sync. Before, each sync queued another job that tried the delete again, so a
// deployment sent meanwhile (a gateway right after a VM's delete, under npm start) waited behind all of
// them, longer the longer the delete kept failing. Here the sync runs every 20 ms against the real engine
// and contract-sync code; the VM manager is a test double whose delete takes 100 ms (the hypervisor's
// power-down grace, scaled down) and fails while its resource is busy, as a real delete can.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../engine.ts";
import { freeCancelled } from "../contract-sync.ts";
import { MemoryStore } from "../store.ts";
import type { WorkloadContext, WorkloadManager } from "../interfaces.ts";
import { ChainContracts, FileEffectManager, fixedCapacity, keysOf, signedDoc, twinFromSeed, wl } from "./fixtures.ts";

const alice = twinFromSeed(42, 1);
const keys = keysOf([alice]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), "zt-gateway-deprov-"));

/** Test double of the zmachine manager: a slow teardown that fails while `busy`. */
function slowVm(log: string[], state: { busy: boolean }): WorkloadManager {
  return {
    provision: (ctx: WorkloadContext) => {
      log.push(`provision ${ctx.workloadId}`);
      return Promise.resolve({ id: ctx.workloadId });
    },
    async deprovision(ctx: WorkloadContext) {
      log.push(`deprovision ${ctx.workloadId}`);
      await sleep(100);
      if (state.busy) throw new Error(`${ctx.workloadId}: resource busy`);
    },
  };
}

async function setup(busy: boolean) {
  const log: string[] = [];
  const state = { busy };
  const files = new FileEffectManager(join(dir, String(Math.random()).slice(2)), "any");
  const managers = new Map<string, WorkloadManager>([["zmachine", slowVm(log, state)], ["gateway-name-proxy", files]]);
  const chain = new ChainContracts();
  const engine = await Engine.open({ store: new MemoryStore(), keys, contracts: chain, managers, capacity: fixedCapacity(16), deleteRetryMs: 60_000, onError: () => {} });
  engine.start();
  return { engine, chain, log, state };
}

/** The provision module's sync loop (main.ts), every 20 ms instead of 5 s; `active` = contracts on chain. */
function syncEvery(engine: Engine, active: () => bigint[]): () => void {
  let busy = false;
  const t = setInterval(() => {
    if (busy) return;
    busy = true;
    freeCancelled(engine, active()).finally(() => (busy = false));
  }, 20);
  return () => clearInterval(t);
}

const vmData = { flist: "https://hub.grid.tf/x.flist", network: { interfaces: [{ network: "net", ip: "10.1.1.2" }] }, compute_capacity: { cpu: 1, memory: 256 * 1024 ** 2 }, mounts: [] };
const gw = { name: "gw", tls_passthrough: false, backends: ["http://1.1.1.1"] };

async function until(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`${what} not within ${ms} ms`);
    await sleep(10);
  }
}

test("a VM teardown longer than the sync interval gets one deprovision job, and a gateway sent meanwhile is provisioned next", async () => {
  const { engine, chain, log } = await setup(false);
  await engine.deploy(signedDoc(alice, 1, [wl("vm", "zmachine", vmData)], {}, chain));
  await until("the VM ok", () => engine.get(42, 1n)?.workloads[0].result.state === "ok");
  // the contract is cancelled on chain: the sync sees it every 20 ms while the 100 ms teardown runs
  const stop = syncEvery(engine, () => []);
  try {
    await until("the teardown started", () => log.includes("deprovision 42-1-vm"));
    await sleep(60);
    assert.ok(engine.pending() <= 1, `one job for the teardown, not one per sync (${engine.pending()} queued)`);
    await until("the VM deployment gone", () => engine.get(42, 1n) === undefined);
    assert.equal(log.filter((l) => l.startsWith("deprovision")), ["deprovision 42-1-vm"]);
  } finally {
    stop();
    await engine.stop();
  }
});

test("a VM delete that keeps failing is retried by its timer, not by every sync: a gateway deployed after it is not starved", async () => {
  const { engine, chain, log } = await setup(true);
  await engine.deploy(signedDoc(alice, 2, [wl("vm", "zmachine", vmData)], {}, chain));
  await until("the VM ok", () => engine.get(42, 2n)?.workloads[0].result.state === "ok");
  const active = [3n];
  const stop = syncEvery(engine, () => active);
  try {
    await until("the failed delete", () => engine.get(42, 2n)?.workloads[0].result.state === "error");
    assert.match(engine.get(42, 2n)!.workloads[0].result.message, /deleting it failed: 42-2-vm: resource busy/);
    // a second of syncs: before the fix each queued a 100 ms retry of the failing delete (≈ 50 of them)
    await sleep(1000);
    const attempts = () => log.filter((l) => l === "deprovision 42-2-vm").length;
    assert.is(attempts(), 1, "the sync does not retry a delete its retry timer owns");
    assert.is(engine.pending(), 0, "nothing queued behind it");
    const sent = Date.now();
    await engine.deploy(signedDoc(alice, 3, [wl("gw", "gateway-name-proxy", gw)], {}, chain));
    await until("the gateway ok", () => engine.get(42, 3n)?.workloads[0].result.state === "ok", 2000);
    assert.ok(Date.now() - sent < 2000, `the gateway is ok ${Date.now() - sent} ms after it was sent`);
    assert.is(attempts(), 1);
  } finally {
    stop();
    await engine.stop();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
