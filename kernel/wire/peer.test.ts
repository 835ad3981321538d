// The kernel wire in one process: two Peers joined by an in-memory transport (asynchronous, like a pipe),
// and the membrane around references crossing them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as $ from "capnp-es";
import { Echo$Client, Frame, Kv$Client } from "../../capabilities/schema/gen/kernel.ts";
import { EchoClient, KvClient } from "../guest/clients.ts";
import { MembraneCap, Revoker } from "../membrane.ts";
import { RpcError } from "./errors.ts";
import { FrameSplitter, FramingError } from "./framing.ts";
import { type Cap, Peer } from "./peer.ts";
import { invoke, serve } from "./typed.ts";

function pair(serverBootstrap: Cap | null, clientBootstrap: Cap | null = null, maxInflight = 1024) {
  let a!: Peer, b!: Peer;
  const wire = { aToB: [] as Uint8Array[], bToA: [] as Uint8Array[] };
  a = new Peer({ send: (x) => { wire.aToB.push(x); queueMicrotask(() => b.receive(x)); }, close: () => b.close("a closed") }, serverBootstrap, { name: "server", maxInflight });
  b = new Peer({ send: (x) => { wire.bToA.push(x); queueMicrotask(() => a.receive(x)); }, close: () => a.close("b closed") }, clientBootstrap, { name: "client" });
  return { server: a, client: b, wire };
}

function memoryKv(): Cap {
  const store = new Map<string, Uint8Array>();
  return serve(Kv$Client, {
    get(p, r) {
      const v = store.get(p.key);
      r.found = v !== undefined;
      if (v) r._initValue(v.length).copyBuffer(v);
    },
    put(p) {
      store.set(p.key, new Uint8Array(p.value.toUint8Array()));
    },
  });
}

async function rejects(p: Promise<unknown>, type: string, match?: RegExp): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, RpcError);
    assert.is((err as RpcError).type, type, (err as Error).message);
    if (match) assert.match((err as Error).message, match);
    return err as RpcError;
  }
  throw new Error(`expected a ${type} error`);
}

test("typed calls round-trip through two peers", async () => {
  const { client } = pair(memoryKv());
  const kv = new KvClient(client.bootstrap());
  assert.is(await kv.get("a"), null);
  await kv.put("a", "hello");
  assert.is(await kv.getText("a"), "hello");
});

test("a method the capability does not serve is `unimplemented`; unserved interface too", async () => {
  const { client } = pair(memoryKv());
  await rejects(invoke(client.bootstrap(), Kv$Client.methods[3], (p) => (p.prefix = "")), "unimplemented");
  await rejects(new EchoClient(client.bootstrap()).echo(new Uint8Array(1)), "unimplemented");
});

test("capabilities pass in params and results, both directions, and come back as the same object", async () => {
  const inner = memoryKv();
  let received: Cap | null = null;
  const server = serve(Echo$Client, {
    echo(_p, r, ctx) {
      received = ctx.caps[0] ?? null;
      ctx.resultCaps.push(inner, ...ctx.caps);
      r._initData(1).copyBuffer(new Uint8Array([7]));
    },
  });
  const { client } = pair(server);
  const callback = memoryKv();
  const res = await client.bootstrap().call(Echo$Client.interfaceId, 0, { bytes: new Uint8Array(0), caps: [callback] });
  assert.is(res.caps.length, 2);
  // The server can call the capability the client passed.
  await new KvClient(received!).put("k", "from-server");
  assert.is(await new KvClient(callback).getText("k"), "from-server");
  // The client's own capability handed back is its local object, not a proxy of a proxy.
  assert.is(res.caps[1], callback);
  await new KvClient(res.caps[0]).put("x", "1");
  assert.is(await new KvClient(inner).getText("x"), "1");
});

test("forged and released ids answer `disconnected`", async () => {
  const { client } = pair(memoryKv());
  await rejects(client.sendCall(4242, Kv$Client.interfaceId, 0, { bytes: new Uint8Array(0), caps: [] }), "disconnected", /unknown capability id 4242/);
  const server = serve(Echo$Client, { echo(_p, _r, ctx) { ctx.resultCaps.push(memoryKv()); } });
  const p2 = pair(server);
  const res = await p2.client.bootstrap().call(Echo$Client.interfaceId, 0, { bytes: new Uint8Array(0), caps: [] });
  const cap = res.caps[0] as import("./peer.ts").RemoteCap;
  await new KvClient(cap).put("a", "b");
  cap.release();
  await rejects(new KvClient(cap).get("a"), "disconnected", /released/);
  await new Promise((r) => setTimeout(r, 5));
  // Reusing the released id by hand (as a forger would) reaches nothing either.
  await rejects(p2.client.sendCall(cap.importId, Kv$Client.interfaceId, 0, { bytes: new Uint8Array(0), caps: [] }), "disconnected");
});

test("more calls in flight than allowed are answered `overloaded`, later calls succeed", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = serve(Echo$Client, { async echo() { await gate; } });
  const { client, server } = pair(slow, null, 8);
  const calls = Array.from({ length: 20 }, () => new EchoClient(client.bootstrap()).echo(new Uint8Array(0)).then(() => "ok", (e) => (e as RpcError).type));
  await new Promise((r) => setTimeout(r, 10));
  release();
  const results = await Promise.all(calls);
  assert.is(results.filter((r) => r === "ok").length, 8);
  assert.is(results.filter((r) => r === "overloaded").length, 12);
  assert.is(server.stats.rejectedOverload, 12);
  await new EchoClient(client.bootstrap()).echo(new Uint8Array(0));
});

test("garbage and malformed frames close the connection with a protocol error; pending calls fail", async () => {
  for (const garbage of [
    new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]), // 4 billion segments
    new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]), // empty message
    (() => { // a well-framed message whose root pointer points far outside the segment
      const b = new Uint8Array(16);
      new DataView(b.buffer).setUint32(4, 1, true);
      new DataView(b.buffer).setUint32(8, 0x7ffffff0, true);
      new DataView(b.buffer).setUint32(12, 0x00ff00ff, true);
      return b;
    })(),
  ]) {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { server, client } = pair(serve(Echo$Client, { async echo() { await gate; } }));
    const pending = new EchoClient(client.bootstrap()).echo(new Uint8Array(0));
    const closed = new Promise<string>((r) => server.onClose(r));
    await new Promise((r) => setTimeout(r, 1));
    server.receive(garbage);
    const reason = await closed;
    assert.match(reason, /protocol error/);
    release();
    await rejects(pending, "disconnected");
  }
});

test("an abort frame from the other side closes the connection", async () => {
  const { server } = pair(memoryKv());
  const m = new $.Message();
  m.initRoot(Frame).abort = "bye";
  const closed = new Promise<string>((r) => server.onClose(r));
  server.receive(new Uint8Array(m.toArrayBuffer()));
  assert.match(await closed, /aborted: bye/);
});

test("framing: messages split across chunks and glued together are reassembled exactly", () => {
  const msgs = [1, 2, 3].map((i) => {
    const m = new $.Message();
    m.initRoot(Frame).id = i;
    return new Uint8Array(m.toArrayBuffer());
  });
  const all = new Uint8Array(msgs.reduce((a, m) => a + m.length, 0));
  let off = 0;
  for (const m of msgs) {
    all.set(m, off);
    off += m.length;
  }
  const s = new FrameSplitter();
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += 5) out.push(...s.push(all.slice(i, i + 5)));
  assert.is(out.length, 3);
  assert.equal(out.map((b) => new $.Message(b, false).getRoot(Frame).id), [1, 2, 3]);
  assert.is(s.pending, 0);
  assert.throws(() => new FrameSplitter().push(new Uint8Array([200, 0, 0, 0])), (e: Error) => e instanceof FramingError);
});

test("membrane: counts calls, enforces the interface, revokes transitively passed capabilities", async () => {
  const inner = memoryKv();
  const factory = serve(Echo$Client, { echo(_p, _r, ctx) { ctx.resultCaps.push(memoryKv()); } });
  const revoker = new Revoker();
  const counters = { calls: 0, errors: 0 };
  const kvM = new MembraneCap(inner, { label: "grant kv", revoker, counters, interfaceId: Kv$Client.interfaceId, interfaceName: "Kv", ownsInner: false });
  await new KvClient(kvM).put("a", "1");
  assert.is(await new KvClient(kvM).getText("a"), "1");
  assert.is(counters.calls, 2);
  await rejects(new EchoClient(kvM).echo(new Uint8Array(0)), "denied", /is a Kv/);
  const fM = new MembraneCap(factory, { label: "grant f", revoker, counters, ownsInner: false });
  const res = await fM.call(Echo$Client.interfaceId, 0, { bytes: new Uint8Array(0), caps: [] });
  const passed = res.caps[0];
  assert.instance(passed, MembraneCap);
  await new KvClient(passed).put("b", "2");
  revoker.revoke("provider crashed");
  await rejects(new KvClient(kvM).get("a"), "disconnected", /revoked \(provider crashed\)/);
  await rejects(new KvClient(passed).get("b"), "disconnected", /revoked/);
});

test("a peer whose transport closes fails pending and later calls with `disconnected`", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { client } = pair(serve(Echo$Client, { async echo() { await gate; } }));
  const pending = new EchoClient(client.bootstrap()).echo(new Uint8Array(0));
  await new Promise((r) => setTimeout(r, 1));
  client.close("test ends it");
  await rejects(pending, "disconnected", /test ends it/);
  await rejects(new EchoClient(client.bootstrap()).echo(new Uint8Array(0)), "disconnected");
  release();
});

test.run();
