// The membrane between two real RPC connections in one process (module ↔ kernel ↔ driver, over the RPC
// library's in-memory transport): forwarding with capabilities both ways, pipelining, counting, the
// interface check, the per-grant in-flight limit, and revocation of everything that flowed through.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Callback$Server, Echo } from "../capabilities/schema/gen/test.ts";
import { Kv$Client } from "../capabilities/schema/gen/kernel.ts";
import { connect, memoryTransportPair, RpcError } from "../capabilities/lib/rpc/mod.ts";
import { makeEcho } from "../capabilities/lib/rpc/test/echo-impl.ts";
import { MembraneClient, Revoker, type GrantCounters } from "./membrane.ts";

function chain(maxInflight?: number) {
  const state = { calls: 0, liveCounters: 0, kept: null, events: [] as string[] };
  const [kd, dk] = memoryTransportPair();
  connect(dk, { bootstrap: makeEcho(state), name: "driver" });
  const toDriver = connect(kd, { name: "kernel→driver" });
  const revoker = new Revoker();
  const counters: GrantCounters = { calls: 0, errors: 0, inflight: 0, overloaded: 0 };
  const membrane = new MembraneClient(toDriver.bootstrapClientRaw(), {
    label: 'grant "echo" of module', revoker, counters, interfaceId: Echo.Client.interfaceId, interfaceName: "Echo", ownsInner: false, maxInflight,
  });
  const [mk, km] = memoryTransportPair();
  connect(km, { bootstrap: membrane, name: "kernel→module" });
  const module = connect(mk, { name: "module→kernel" });
  return { echo: module.bootstrap(Echo), revoker, counters, state, module };
}

async function fails(p: Promise<unknown>, type: string, match: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, RpcError, String(err));
    assert.is((err as RpcError).type, type, (err as Error).message);
    assert.match((err as Error).message, match);
    return;
  }
  throw new Error(`expected a ${type} error`);
}

function callback(log: string[]): Callback$Server {
  return new Callback$Server({
    notify(p, r) {
      log.push(p.msg);
      r.ack = 1;
      return Promise.resolve();
    },
  });
}

test("calls pass through and are counted per grant", async () => {
  const { echo, counters } = chain();
  const r = await echo.echo((p) => (p.text = "hi")).promise();
  assert.is(r.text, "hi");
  assert.is((await echo.add((p) => { p.a = 2n; p.b = 3n; }).promise()).sum, 5n);
  assert.is(counters.calls, 2);
  assert.is(counters.inflight, 0);
});

test("a capability returned by the provider is wrapped: pipelined calls on it pass and count", async () => {
  const { echo, counters } = chain();
  const counter = echo.newCounter((p) => { p.name = "c"; p.delayMs = 20; }).getCounter();
  assert.is((await counter.inc((p) => (p.by = 2)).promise()).value, 2); // pipelined before newCounter returned
  assert.is((await counter.inc((p) => (p.by = 3)).promise()).value, 5);
  assert.is(counters.calls, 3);
});

test("a capability passed by the caller is wrapped too: the provider's calls back are counted", async () => {
  const { echo, counters } = chain();
  const log: string[] = [];
  const r = await echo.subscribe((p) => { p.cb = callback(log).client(); p.count = 3; }).promise();
  assert.is(r.acks, 3);
  assert.equal(log, ["tick 0", "tick 1", "tick 2"]);
  assert.is(counters.calls, 4, "1 subscribe + 3 callbacks through the membrane");
});

test("only the granted interface passes", async () => {
  const { module } = chain();
  const asKv = new Kv$Client(module.bootstrapClientRaw());
  await fails(asKv.get((p) => (p.key = "x")).promise(), "failed", /^denied: grant "echo" of module is a Echo; calls on interface 0x[0-9a-f]+ are refused/);
});

test("revocation kills the grant and every capability that flowed through it, both directions", async () => {
  const { echo, revoker, state } = chain();
  const log: string[] = [];
  const counter = echo.newCounter((p) => (p.name = "c")).getCounter();
  await counter.inc((p) => (p.by = 1)).promise();
  await echo.keep((p) => (p.cb = callback(log).client())).promise();
  await echo.callKept((p) => (p.msg = "before")).promise();
  assert.equal(log, ["before"]);
  revoker.revoke("provider crashed");
  await fails(echo.echo((p) => (p.text = "x")).promise(), "disconnected", /revoked \(provider crashed\); ask your Session again/);
  await fails(counter.inc((p) => (p.by = 1)).promise(), "disconnected", /revoked/);
  // The driver still holds the module's callback, but only through the (now revoked) membrane.
  const kept = state.kept as unknown as { notify: (f: (p: { msg: string }) => void) => { promise(): Promise<unknown> } };
  await fails(kept.notify((p) => (p.msg = "after")).promise(), "disconnected", /revoked/);
  assert.equal(log, ["before"]);
});

test("a grant with too many calls in flight is answered `overloaded`; the rest still work", async () => {
  const { echo, counters } = chain(4);
  const calls = Array.from({ length: 10 }, (_, i) =>
    echo.newCounter((p) => { p.name = `n${i}`; p.delayMs = 30; }).promise().then(() => "ok", (e) => (e as RpcError).type));
  const results = await Promise.all(calls);
  assert.is(results.filter((r) => r === "ok").length, 4);
  assert.is(results.filter((r) => r === "overloaded").length, 6);
  assert.is(counters.overloaded, 6);
  assert.is(counters.inflight, 0);
  assert.is((await echo.echo((p) => (p.text = "again")).promise()).text, "again");
});

test.run();
