// The membrane's edges, over real RPC connections to the Echo test service: failed calls and their counters,
// the default in-flight limit, pipelined calls at the limit and after revocation, results read after a
// revocation, release versus revocation, and which references a membrane closes. membrane.test.ts covers
// the main paths through a module ↔ kernel ↔ driver chain.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Echo, Echo$Client } from "../../capabilities/schema/gen/test.ts";
import { Kv$Client } from "../../capabilities/schema/gen/kernel.ts";
import { connect, memoryTransportPair, RpcError } from "../../capabilities/lib/rpc/mod.ts";
import { type EchoState, makeEcho } from "../../capabilities/lib/rpc/test/echo-impl.ts";
import { DEFAULT_GRANT_INFLIGHT, type GrantCounters, MembraneClient, type MembraneOptions, Revoker } from "../membrane.ts";

const LABEL = 'grant "echo" of m';

/** A driver serving Echo over a real connection; `membrane()` wraps the kernel's reference to it. */
function driver() {
  const state: EchoState = { calls: 0, liveCounters: 0, kept: null, events: [] };
  const [kd, dk] = memoryTransportPair();
  connect(dk, { bootstrap: makeEcho(state), name: "driver" });
  const conn = connect(kd, { name: "kernel→driver" });
  const counters: GrantCounters = { calls: 0, errors: 0, inflight: 0, overloaded: 0 };
  const revoker = new Revoker();
  const membrane = (o: Partial<MembraneOptions> = {}) =>
    new MembraneClient(conn.bootstrapClientRaw(), { label: LABEL, revoker, counters, interfaceId: Echo.Client.interfaceId, interfaceName: "Echo", ownsInner: false, ...o });
  return { state, conn, counters, revoker, membrane };
}

async function failure(p: Promise<unknown>): Promise<{ type: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { type: err instanceof RpcError ? err.type : "plain", message: (err as Error).message };
  }
  throw new Error("expected the call to fail");
}

test("a failed call is counted as an error and leaves nothing in flight; the provider's reason comes through", async () => {
  const { counters, membrane } = driver();
  const echo = new Echo$Client(membrane());
  const f = await failure(echo.fail((p) => (p.reason = "no disk")).promise());
  assert.match(f.message, /no disk/);
  assert.equal(counters, { calls: 1, errors: 1, inflight: 0, overloaded: 0 });
  assert.is((await echo.echo((p) => (p.text = "ok")).promise()).text, "ok");
  assert.equal(counters, { calls: 2, errors: 1, inflight: 0, overloaded: 0 });
});

test("an answer can be read again; one nobody reads, failed, does not end the process", async () => {
  const { counters, membrane } = driver();
  const echo = new Echo$Client(membrane());
  const answer = echo.echo((p) => (p.text = "twice"));
  assert.is((await answer.promise()).text, "twice");
  assert.is((await answer.promise()).text, "twice");
  echo.fail((p) => (p.reason = "unread")); // never read: an unhandled rejection would end this test process
  for (let i = 0; i < 100 && counters.errors === 0; i++) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(counters, { calls: 2, errors: 1, inflight: 0, overloaded: 0 });
});

test("the interface check names the interface granted, or says 'different interface' when it has no name", async () => {
  const { counters, membrane } = driver();
  const id = Kv$Client.interfaceId.toString(16);
  const named = await failure(new Kv$Client(membrane()).get((p) => (p.key = "x")).promise());
  assert.is(named.message, `denied: ${LABEL} is a Echo; calls on interface 0x${id} are refused`);
  const unnamed = await failure(new Kv$Client(membrane({ interfaceName: undefined })).get((p) => (p.key = "x")).promise());
  assert.is(unnamed.message, `denied: ${LABEL} is a different interface; calls on interface 0x${id} are refused`);
  assert.equal(counters, { calls: 0, errors: 0, inflight: 0, overloaded: 0 }, "a refused interface is not a call");
  // without an interface id (a capability that flowed through) any interface reaches the provider
  const open = await failure(new Kv$Client(membrane({ interfaceId: undefined })).get((p) => (p.key = "x")).promise());
  assert.not.match(open.message, /denied/);
  assert.is(counters.calls, 1);
});

test(`a grant admits ${DEFAULT_GRANT_INFLIGHT} calls in flight by default`, async () => {
  assert.is(DEFAULT_GRANT_INFLIGHT, 64);
  const { counters, membrane } = driver();
  const echo = new Echo$Client(membrane());
  const results = await Promise.all(Array.from({ length: 70 }, () =>
    echo.sleep((p) => (p.ms = 40)).promise().then(() => "ok", (e) => (e as RpcError).type)));
  assert.is(results.filter((r) => r === "ok").length, 64);
  assert.is(results.filter((r) => r === "overloaded").length, 6);
  assert.equal(counters, { calls: 64, errors: 0, inflight: 0, overloaded: 6 });
});

test("the overloaded answer says which grant and its limit; a pipelined call counts against the same limit", async () => {
  const { counters, membrane } = driver();
  const echo = new Echo$Client(membrane({ maxInflight: 1 }));
  const slow = echo.newCounter((p) => { p.name = "c"; p.delayMs = 60; });
  const piped = slow.getCounter().inc((p) => (p.by = 1)).promise();
  const f = await failure(piped);
  assert.equal(f, { type: "overloaded", message: `overloaded: ${LABEL} has 1 calls in flight (the grant's limit)` });
  await slow.promise();
  assert.equal(counters, { calls: 1, errors: 0, inflight: 0, overloaded: 1 });
});

test("a pipelined call is counted once, sent before the answer is in or after it (one in-flight slot, one call)", async () => {
  const { counters, membrane } = driver();
  // limit 1: a pipelined call that took two slots would be refused as overloaded by its own second count
  const echo = new Echo$Client(membrane({ maxInflight: 1 }));
  const made = echo.newCounter((p) => (p.name = "after"));
  await made.promise();
  // the answer is in: the RPC library delivers this call to the (wrapped) counter in the results
  assert.is((await made.getCounter().inc((p) => (p.by = 2)).promise()).value, 2);
  assert.equal(counters, { calls: 2, errors: 0, inflight: 0, overloaded: 0 });
  const wide = driver();
  const echo2 = new Echo$Client(wide.membrane({ maxInflight: 2 }));
  const slow = echo2.newCounter((p) => { p.name = "before"; p.delayMs = 40; });
  const piped = slow.getCounter().inc((p) => (p.by = 3)).promise(); // on the wire, addressed to the promised answer
  assert.is((await piped).value, 3);
  await slow.promise();
  const later = slow.getCounter(); // the same pipeline, used after the answer arrived
  assert.is((await later.inc((p) => (p.by = 4)).promise()).value, 7);
  assert.equal(wide.counters, { calls: 3, errors: 0, inflight: 0, overloaded: 0 });
});

test("revocation: the first reason stays; calls, pipelined calls and results read afterwards all fail with it", async () => {
  const { revoker, membrane, counters } = driver();
  const echo = new Echo$Client(membrane());
  const answered = echo.echo((p) => (p.text = "before"));
  assert.is((await answered.promise()).text, "before");
  const failed = echo.fail((p) => (p.reason = "own reason"));
  assert.match((await failure(failed.promise())).message, /own reason/);
  const slow = echo.sleep((p) => (p.ms = 50));
  const pending = echo.newCounter((p) => { p.name = "late"; p.delayMs = 50; });
  revoker.revoke("provider crashed");
  revoker.revoke("second reason");
  assert.equal([revoker.revoked, revoker.reason], [true, "provider crashed"]);
  const msg = `disconnected: ${LABEL} was revoked (provider crashed); ask your Session again`;
  const calls = counters.calls;
  assert.equal(await failure(answered.promise()), { type: "disconnected", message: msg }, "results read after the revocation");
  assert.equal(await failure(failed.promise()), { type: "disconnected", message: msg }, "a failure read after the revocation");
  assert.equal(await failure(slow.promise()), { type: "disconnected", message: msg }, "answered after the revocation");
  assert.equal(await failure(pending.getCounter().inc((p) => (p.by = 1)).promise()), { type: "disconnected", message: msg }, "pipelined after");
  assert.equal(await failure(echo.echo((p) => (p.text = "x")).promise()), { type: "disconnected", message: msg });
  await failure(pending.promise());
  assert.is(counters.inflight, 0);
  assert.is(counters.calls, calls, "nothing after the revocation was let through and counted");
});

test("a capability that flowed through carries its own label and dies with the grant", async () => {
  const { revoker, membrane } = driver();
  const echo = new Echo$Client(membrane());
  // the reference in the results (not a pipelined one): it is behind a membrane of its own
  const counter = (await echo.newCounter((p) => (p.name = "c")).promise()).counter;
  assert.is((await counter.inc((p) => (p.by = 1)).promise()).value, 1);
  revoker.revoke("stopped");
  assert.equal(await failure(counter.inc((p) => (p.by = 1)).promise()), {
    type: "disconnected", message: `disconnected: ${LABEL} (passed capability) was revoked (stopped); ask your Session again`,
  });
});

test("wrap: a reference already behind this grant's membrane is kept as is; others get a membrane of their own", () => {
  const { membrane, conn } = driver();
  const m = membrane();
  const inner = conn.bootstrapClientRaw();
  const wrapped = m.wrap(inner) as MembraneClient;
  assert.instance(wrapped, MembraneClient);
  assert.is.not(wrapped, inner);
  assert.equal([wrapped.opts.label, wrapped.opts.ownsInner, wrapped.opts.interfaceId, wrapped.opts.revoker === m.opts.revoker, wrapped.opts.counters === m.opts.counters],
    [`${LABEL} (passed capability)`, true, undefined, true, true]);
  assert.is(m.wrap(wrapped), wrapped, "same revoker: not wrapped twice");
  const other = new MembraneClient(inner, { ...m.opts, revoker: new Revoker() });
  assert.is.not(m.wrap(other), other, "another grant's membrane is wrapped");
  const limited = membrane({ maxInflight: 3 });
  assert.is((limited.wrap(inner) as MembraneClient).opts.maxInflight, 3);
});

test("release: calls fail as released; closing twice is harmless; only an owned reference is closed", async () => {
  const { membrane, state, conn } = driver();
  const raw = new Echo$Client(conn.bootstrapClientRaw());
  // a Counter held by the kernel, first behind a membrane that does not own it, then one that does
  const counterRef = () => raw.newCounter((p) => (p.name = "k")).getCounter().client;
  const notOwned = membrane({ interfaceId: undefined, ownsInner: false });
  const ref1 = counterRef();
  const m1 = new MembraneClient(ref1, notOwned.opts);
  await new Echo$Client(raw.client).stats().promise();
  assert.is(m1.isReleased, false);
  assert.is(m1.dead(), null);
  m1.close();
  m1.close();
  assert.is(m1.isReleased, true);
  assert.is(m1.dead()!.message, `disconnected: ${LABEL} was released`);
  const f = await failure(new Echo$Client(m1).echo((p) => (p.text = "x")).promise());
  assert.equal(f, { type: "disconnected", message: `disconnected: ${LABEL} was released` });
  const live = async () => (await raw.stats().promise()).liveCounters;
  assert.is(await live(), 1, "not owned: the provider's counter is still referenced");
  ref1.close();
  const m2 = new MembraneClient(counterRef(), { ...notOwned.opts, ownsInner: true });
  await raw.stats().promise();
  for (let i = 0; i < 50 && (await live()) !== 1; i++) await new Promise((r) => setTimeout(r, 5));
  assert.is(await live(), 1);
  m2.close();
  for (let i = 0; i < 100 && (await live()) !== 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.is(await live(), 0, "owned: closing the membrane released the provider's counter");
  assert.ok(state.events.includes("dispose k"));
});

test.run();
