// deno-lint-ignore-file require-await -- generated X$Server$Target methods must return promises; most here need no await
// In-process connection tests over a test-driven transport: chunking torture, malformed frames, protocol
// violations, limits. Bytes still go through the real framing, serialization and protocol code.
import * as $ from "capnp-es";
import * as R from "capnp-es/capnp/rpc";
import { setImmediate } from "node:timers";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Callback$Server, Echo, Echo$Client } from "../../schema/gen/test.ts";
import { connect, type Connection } from "./connection.ts";
import { FrameReader } from "./framing.ts";
import { memoryTransportPair } from "./memory.ts";
import { streamTransport } from "./transport.ts";
import { makeEcho } from "./test/echo-impl.ts";
import { type Chunking, ManualTransport, pump } from "./test/manual-transport.ts";

function framesOf(bytes: Uint8Array): R.Message[] {
  return new FrameReader().push(bytes).map((f) => new $.Message(f, false, false).getRoot(R.Message));
}

function frame(build: (m: R.Message) => void): Uint8Array {
  const msg = new $.Message();
  build(msg.initRoot(R.Message));
  return new Uint8Array(msg.toArrayBuffer());
}

/** A server connection fed by hand; returns it and its transport. */
function rawServer(opts: Parameters<typeof connect>[1] = {}): { conn: Connection; t: ManualTransport } {
  const t = new ManualTransport();
  const conn = connect(t, { bootstrap: makeEcho(), name: "server", ...opts });
  return { conn, t };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

async function expectAbort(conn: Connection, t: ManualTransport, pattern: RegExp): Promise<void> {
  const err = await conn.closed;
  assert.ok(err instanceof Error, "connection ended with an error");
  assert.match(err!.message, /^disconnected/);
  assert.match(err!.message, pattern);
  await tick();
  const sent = framesOf(t.drain());
  assert.ok(sent.some((m) => m.which() === R.Message.ABORT), "an Abort message was sent to the peer");
  assert.ok(t.closed, "transport closed");
}

// ---- chunking -------------------------------------------------------------------------------------------

const chunk = suite("chunking");
for (const mode of ["whole", "bytewise", "random"] as Chunking[]) {
  chunk(`calls, callbacks and pipelining survive ${mode} delivery`, async () => {
    const ta = new ManualTransport();
    const tb = new ManualTransport();
    const server = connect(ta, { bootstrap: makeEcho(), name: "server" });
    const client = connect(tb, { name: "client" });
    const echo = client.bootstrap(Echo);
    const many = Array.from({ length: 40 }, (_, i) => echo.echo((p) => { p.text = `m${i}`; }).promise());
    const cb = new Callback$Server({ async notify(p, r) { r.ack = p.seq; } });
    const sub = echo.subscribe((p) => { p.cb = cb.client(); p.count = 4; }).promise();
    const inc = echo.newCounter((p) => { p.name = "x"; }).getCounter().inc((p) => { p.by = 3; }).promise();
    const blob = echo.blob((p) => { p.size = 70000; }).promise();
    const all = Promise.all([Promise.all(many), sub, inc, blob]);
    let done = false;
    void all.finally(() => (done = true));
    while (!done) await pump(ta, tb, mode, 50);
    const [texts, s, i, b] = await all;
    assert.equal(texts.map((r) => r.text), many.map((_, k) => `m${k}`));
    assert.is(s.acks, 0 + 1 + 2 + 3);
    assert.is(i.value, 3);
    assert.is(b.data.length, 70000);
    assert.is(b.data.toUint8Array()[69999], 69999 & 0xff);
    assert.ok(server.stats().framesIn > 40);
    client.close();
    server.close();
  });
}
chunk.run();

// ---- malformed input ------------------------------------------------------------------------------------

const bad = suite("malformed frames abort the connection, the process survives");

bad("garbage bytes", async () => {
  const { conn, t } = rawServer();
  t.feed(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n and some more garbage......"));
  await expectAbort(conn, t, /protocol error/);
});

bad("huge segment count", async () => {
  const { conn, t } = rawServer();
  t.feed(new Uint8Array([0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0]));
  await expectAbort(conn, t, /segments/);
});

bad("frame larger than the limit is refused before it is buffered", async () => {
  const { conn, t } = rawServer({ maxFrameBytes: 1024 });
  const h = new Uint8Array(8);
  new DataView(h.buffer).setUint32(4, 1 << 20, true); // one segment of 8 MiB
  t.feed(h);
  await expectAbort(conn, t, /larger than 1024/);
});

bad("pointer outside its segment", async () => {
  const { conn, t } = rawServer();
  const f = new Uint8Array(16);
  const v = new DataView(f.buffer);
  v.setUint32(4, 1, true); // one segment, one word
  v.setUint32(8, (1000 << 2) | 0, true); // root struct pointer with offset 1000 words
  v.setUint32(12, 1 | (1 << 16), true);
  t.feed(f);
  await expectAbort(conn, t, /malformed|protocol error/);
});

bad("a valid frame followed by truncated input ends as disconnected", async () => {
  const { conn, t } = rawServer();
  const boot = frame((m) => (m._initBootstrap().questionId = 0));
  t.feed(boot);
  t.feed(boot.subarray(0, 10)); // then the peer dies mid-frame
  t.sink!.end();
  const err = await conn.closed;
  assert.match(err!.message, /^disconnected/);
  await tick();
  const sent = framesOf(t.drain());
  assert.is(sent[0].which(), R.Message.RETURN, "the complete bootstrap was answered");
});

bad("fuzz: 400 randomly corrupted copies of real traffic never escape the connection", async () => {
  // Record real client→server traffic (bootstrap, calls with caps, pipelining), then replay corrupted copies.
  const ta = new ManualTransport();
  const tb = new ManualTransport();
  connect(ta, { bootstrap: makeEcho() });
  const client = connect(tb);
  const echo = client.bootstrap(Echo);
  const cb = new Callback$Server({ async notify(p, r) { r.ack = p.seq; } });
  const work = Promise.all([
    echo.echo((p) => { p.text = "fuzz"; }).promise(),
    echo.subscribe((p) => { p.cb = cb.client(); p.count = 2; }).promise(),
    echo.newCounter((p) => { p.name = "f"; }).getCounter().inc((p) => { p.by = 1; }).promise(),
  ]);
  const recorded: Uint8Array[] = [];
  const replies: Uint8Array[] = [];
  let done = false;
  void work.finally(() => (done = true));
  while (!done) {
    await tick();
    const bytes = tb.drain();
    if (bytes.byteLength) {
      recorded.push(bytes.slice());
      ta.feed(bytes);
    }
    const back = ta.drain();
    if (back.byteLength) {
      replies.push(back.slice());
      tb.feed(back);
    }
  }
  client.close();
  const join = (parts: Uint8Array[]) =>
    parts.reduce((acc, b) => {
      const out = new Uint8Array(acc.byteLength + b.byteLength);
      out.set(acc);
      out.set(b, acc.byteLength);
      return out;
    }, new Uint8Array(0));
  const traffic = join(recorded);
  const serverTraffic = join(replies);
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let aborted = 0;
  for (let i = 0; i < 400; i++) {
    const copy = traffic.slice();
    for (let k = 0, n = 1 + rnd(8); k < n; k++) copy[rnd(copy.byteLength)] = rnd(256);
    const { conn, t } = rawServer();
    t.feed(copy);
    await tick();
    if (conn.isClosed) aborted++;
    conn.close();
  }
  assert.ok(aborted > 0, "some corruptions are detected as protocol errors");
  // The client side: the same calls, then corrupted copies of the server's replies.
  let clientAborted = 0;
  for (let i = 0; i < 200; i++) {
    const copy = serverTraffic.slice();
    for (let k = 0, n = 1 + rnd(8); k < n; k++) copy[rnd(copy.byteLength)] = rnd(256);
    const t = new ManualTransport();
    const c = connect(t);
    const e = c.bootstrap(Echo);
    e.echo((p) => { p.text = "fuzz"; });
    e.subscribe((p) => { p.cb = cb.client(); p.count = 2; });
    e.newCounter((p) => { p.name = "f"; }).getCounter().inc((p) => { p.by = 1; });
    await tick();
    t.feed(copy);
    await tick();
    if (c.isClosed) clientAborted++;
    c.close();
  }
  assert.ok(clientAborted > 0, "some corrupted replies are detected as protocol errors");
});

bad.run();

// ---- protocol violations ---------------------------------------------------------------------------------

const proto = suite("protocol violations abort");

proto("call to an unknown export id", async () => {
  const { conn, t } = rawServer();
  t.feed(frame((m) => {
    const c = m._initCall();
    c.questionId = 1;
    c._initTarget().importedCap = 77;
    c.interfaceId = Echo$Client.interfaceId;
    c._initParams();
  }));
  await expectAbort(conn, t, /unknown export id 77/);
});

proto("question id reused before Finish", async () => {
  const { conn, t } = rawServer();
  t.feed(frame((m) => (m._initBootstrap().questionId = 5)));
  t.feed(frame((m) => (m._initBootstrap().questionId = 5)));
  await expectAbort(conn, t, /reused/);
});

proto("Finish / Return / Release for ids that do not exist", async () => {
  for (const build of [
    (m: R.Message) => (m._initFinish().questionId = 9),
    (m: R.Message) => (m._initReturn().answerId = 9),
    (m: R.Message) => {
      const r = m._initRelease();
      r.id = 3;
      r.referenceCount = 1;
    },
  ]) {
    const { conn, t } = rawServer();
    t.feed(frame(build));
    await expectAbort(conn, t, /unknown/);
  }
});

proto("Release of more references than were sent", async () => {
  const { conn, t } = rawServer();
  t.feed(frame((m) => (m._initBootstrap().questionId = 0)));
  await tick();
  const ret = framesOf(t.drain())[0].return;
  const exportId = ret.results.capTable.get(0).senderHosted;
  t.feed(frame((m) => {
    const r = m._initRelease();
    r.id = exportId;
    r.referenceCount = 2;
  }));
  await expectAbort(conn, t, /only 1 held/);
});

proto("peer Abort ends the connection with its reason", async () => {
  const { conn, t } = rawServer();
  t.feed(frame((m) => (m._initAbort().reason = "bye now")));
  const err = await conn.closed;
  assert.match(err!.message, /^disconnected: .*peer aborted: bye now/);
});

proto("unknown (level 3) message is echoed as unimplemented, connection stays", async () => {
  const { conn, t } = rawServer();
  t.feed(frame((m) => (m._initProvide().questionId = 1)));
  await tick();
  const out = framesOf(t.drain());
  assert.is(out[0].which(), R.Message.UNIMPLEMENTED);
  assert.is(out[0].unimplemented.which(), R.Message.PROVIDE);
  assert.not.ok(conn.isClosed);
  conn.close();
});

proto.run();

// ---- protocol details against hand-written peer messages --------------------------------------------------

const wire = suite("protocol details");

function callOnBootstrap(m: R.Message, qid: number, method: number, fill: (p: $.Pointer) => void): void {
  const c = m._initCall();
  c.questionId = qid;
  c._initTarget()._initPromisedAnswer().questionId = 0;
  c.interfaceId = Echo$Client.interfaceId;
  c.methodId = method;
  fill(c._initParams().content);
}

wire("early Finish cancels: the call is answered 'canceled' when it completes", async () => {
  const { conn, t } = rawServer();
  t.feed(frame((m) => (m._initBootstrap().questionId = 0)));
  const { Echo_Sleep$Params } = await import("../../schema/gen/test.ts");
  t.feed(frame((m) =>
    callOnBootstrap(m, 1, 9, (p) => {
      const s = new Echo_Sleep$Params(p.segment, p.byteOffset);
      $.utils.initStruct(Echo_Sleep$Params._capnp.size, s);
      s.ms = 30;
    })
  ));
  t.feed(frame((m) => (m._initFinish().questionId = 1)));
  await new Promise((r) => setTimeout(r, 80));
  const out = framesOf(t.drain());
  const returns = out.filter((m) => m.which() === R.Message.RETURN).map((m) => m.return);
  assert.is(returns.length, 2);
  assert.is(returns[1].answerId, 1);
  assert.ok(returns[1]._isCanceled, "canceled, not results");
  assert.is(conn.stats().answers, 1, "answer 1 is gone, the bootstrap answer stays until its Finish");
  conn.close();
});

wire("Finish with releaseResultCaps releases the caps of the results; without it they stay exported", async () => {
  for (const release of [true, false]) {
    const { conn, t } = rawServer();
    t.feed(frame((m) => (m._initBootstrap().questionId = 0)));
    await tick();
    assert.is(conn.stats().exports, 1);
    t.feed(frame((m) => {
      const f = m._initFinish();
      f.questionId = 0;
      f.releaseResultCaps = release;
    }));
    await tick();
    assert.is(conn.stats().exports, release ? 0 : 1);
    assert.is(conn.stats().answers, 0);
    assert.not.ok(conn.isClosed);
    conn.close();
  }
});

wire("Disembargo senderLoopback is echoed as receiverLoopback on the import it resolved to", async () => {
  const { conn, t } = rawServer();
  t.feed(frame((m) => (m._initBootstrap().questionId = 0)));
  // echoCap(cb = our export 7): the server returns our own capability back to us.
  t.feed(frame((m) => {
    const c = m._initCall();
    c.questionId = 1;
    c._initTarget()._initPromisedAnswer().questionId = 0;
    c.interfaceId = Echo$Client.interfaceId;
    c.methodId = 11;
    const params = c._initParams();
    const p = params.content;
    const st = new $.Struct(p.segment, p.byteOffset);
    $.utils.initStruct(new $.ObjectSize(0, 1), st);
    $.utils.setInterfacePointer(0, $.utils.getPointer(0, st));
    params._initCapTable(1).get(0).senderHosted = 7;
  }));
  await tick();
  await tick();
  const ret = framesOf(t.drain()).filter((m) => m.which() === R.Message.RETURN).map((m) => m.return)[1];
  assert.is(ret.results.capTable.get(0).receiverHosted, 7, "our capability came back as receiverHosted");
  t.feed(frame((m) => {
    const d = m._initDisembargo();
    const pa = d._initTarget()._initPromisedAnswer();
    pa.questionId = 1;
    pa._initTransform(1).get(0).getPointerField = 0;
    d._initContext().senderLoopback = 42;
  }));
  await new Promise((r) => setTimeout(r, 10));
  const echo = framesOf(t.drain()).find((m) => m.which() === R.Message.DISEMBARGO)!.disembargo;
  assert.is(echo.context.receiverLoopback, 42);
  assert.is(echo.target.importedCap, 7);
  conn.close();
});

wire.run();

// ---- semantics ------------------------------------------------------------------------------------------

const sem = suite("semantics");

sem("maxIncomingCalls: excess calls are refused as overloaded, others complete", async () => {
  const [a, b] = memoryTransportPair();
  const server = connect(a, { bootstrap: makeEcho(), maxIncomingCalls: 4 });
  const client = connect(b);
  const echo = client.bootstrap(Echo);
  const calls = Array.from({ length: 10 }, () => echo.sleep((p) => { p.ms = 30; }).promise().then(() => "ok", (e: Error) => e.message));
  const results = await Promise.all(calls);
  assert.is(results.filter((r) => r === "ok").length, 4);
  assert.ok(results.filter((r) => r !== "ok").every((m) => /more than 4 calls in progress/.test(m)));
  assert.is((await echo.echo((p) => { p.text = "after"; }).promise()).text, "after");
  client.close();
  server.close();
});

sem("overload is not death: calls beyond the unfinished-answer limit are refused as overloaded, the connection stays", async () => {
  const [a, b] = memoryTransportPair();
  const server = connect(a, { bootstrap: makeEcho(), maxIncomingCalls: 4, maxAnswers: 8 });
  const client = connect(b);
  const echo = client.bootstrap(Echo);
  const calls = Array.from({ length: 200 }, () => echo.sleep((p) => { p.ms = 20; }).promise().then(() => "ok", (e: Error) => e.message));
  const results = await Promise.all(calls);
  assert.is(results.filter((r) => r === "ok").length, 4);
  assert.ok(results.filter((r) => r !== "ok").every((m) => /overloaded|more than/.test(m)), results.find((r) => r !== "ok"));
  assert.not.ok(server.isClosed, "not cut off");
  assert.is((await echo.echo((p) => { p.text = "after"; }).promise()).text, "after");
  client.close();
  server.close();
});

sem("a peer holding more refused calls unfinished than the bound is cut off, naming the violation", async () => {
  const [a, b] = memoryTransportPair();
  const server = connect(a, { bootstrap: makeEcho(), maxIncomingCalls: 1, maxRefusedUnfinished: 5 });
  const client = connect(b);
  const echo = client.bootstrap(Echo);
  // Holding every answer (never letting it finish) is what a peer that sends no Finish looks like.
  const held = Array.from({ length: 20 }, () => echo.sleep((p) => { p.ms = 200; }));
  const why = await server.closed;
  assert.match(String(why?.message), /more than 5 refused calls never finished/);
  for (const h of held) h.promise().catch(() => {});
  client.close();
});

sem("no bootstrap exported: bootstrap calls fail, connection stays", async () => {
  const [a, b] = memoryTransportPair();
  const server = connect(a);
  const client = connect(b);
  try {
    await client.bootstrap(Echo).echo().promise();
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /exports no bootstrap/);
  }
  assert.not.ok(client.isClosed);
  client.close();
  server.close();
});

sem("wrong interface id on a server answers unimplemented", async () => {
  const [a, b] = memoryTransportPair();
  const server = connect(a, { bootstrap: makeEcho() });
  const client = connect(b);
  // Call the Echo bootstrap as if it were a Callback.
  const { Callback$Client } = await import("../../schema/gen/test.ts");
  const asCb = client.bootstrap(Callback$Client);
  try {
    await asCb.notify().promise();
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /not implemented/);
  }
  client.close();
  server.close();
});

sem("close(): pending calls reject 'disconnected', later calls too, closed resolves undefined", async () => {
  const [a, b] = memoryTransportPair();
  const server = connect(a, { bootstrap: makeEcho() });
  const client = connect(b);
  const echo = client.bootstrap(Echo);
  await echo.echo().promise();
  const pending = echo.sleep((p) => { p.ms = 400; }).promise();
  client.close();
  for (const p of [pending, echo.echo().promise()]) {
    try {
      await p;
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, /^disconnected/);
    }
  }
  assert.is(await client.closed, undefined);
  assert.match((await server.closed)!.message, /^disconnected/);
});

sem("export refcounts: the same callback sent twice is one export with two references", async () => {
  const [a, b] = memoryTransportPair();
  const state = { calls: 0, liveCounters: 0, kept: null, events: [] as string[] };
  const server = connect(a, { bootstrap: makeEcho(state) });
  const client = connect(b);
  const echo = client.bootstrap(Echo);
  let disposed = 0;
  class Cb extends Callback$Server {
    override close(): void {
      disposed++;
    }
  }
  const cb = new Cb({ async notify(_p, r) { r.ack = 1; } });
  await echo.keep((p) => { p.cb = cb.client(); }).promise();
  assert.is(client.stats().exports, 1);
  await echo.keep((p) => { p.cb = cb.client(); }).promise(); // server drops the first, keeps the second
  await tick();
  assert.is(client.stats().exports, 1, "still exported: the server holds one reference");
  assert.is(disposed, 0);
  await echo.dropKept().promise();
  await tick();
  await tick();
  assert.is(client.stats().exports, 0);
  assert.is(disposed, 1, "disposed exactly once after the last release");
  client.close();
  server.close();
});

sem("web streams transport (ReadableStream / WritableStream), as from Deno.Command pipes", async () => {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  const server = connect(streamTransport(ab.readable, ba.writable), { bootstrap: makeEcho() });
  const client = connect(streamTransport(ba.readable, ab.writable));
  const echo = client.bootstrap(Echo);
  const texts = await Promise.all(Array.from({ length: 20 }, (_, i) => echo.echo((p) => { p.text = `w${i}`; }).promise()));
  assert.equal(texts.map((r) => r.text), Array.from({ length: 20 }, (_, i) => `w${i}`));
  client.close();
  assert.match((await server.closed)!.message, /^disconnected/);
});

sem("a peer that stops reading is disconnected once the outgoing backlog passes the limit", async () => {
  const t = new ManualTransport();
  let backlog = 0;
  (t as ManualTransport & { bufferedBytes(): number }).bufferedBytes = () => backlog;
  const conn = connect(t, { maxOutgoingBytes: 1000 });
  const echo = conn.bootstrap(Echo);
  await tick();
  assert.not.ok(conn.isClosed);
  backlog = 5000;
  const p = echo.echo().promise();
  try {
    await p;
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /^disconnected: .*does not read/);
  }
});

sem("Finish rides along with the next Call, and still leaves a quiet connection within milliseconds", async () => {
  const [a, b] = memoryTransportPair();
  const server = connect(a, { bootstrap: makeEcho() });
  // Count the client's writes (each is one transport write: one syscall on a pipe).
  const writes: number[] = [];
  const counted = { ...b, write: (bytes: Uint8Array) => { writes.push(framesOf(bytes).length); b.write(bytes); } };
  const client = connect(counted);
  const echo = client.bootstrap(Echo);
  await echo.echo((p) => { p.text = "warm"; }).promise();
  await new Promise((r) => setTimeout(r, 20));
  assert.is(server.stats().answers, 0, "a quiet connection: the Finish left on its own");
  writes.length = 0;
  for (let i = 0; i < 20; i++) {
    await echo.echo((p) => { p.text = `x${i}`; }).promise();
    // The next call comes a turn later, as on a proxy whose next call arrives from another connection.
    await new Promise((r) => setImmediate(r));
  }
  assert.is(writes.length, 20, "one write per call: no write of its own for a Finish");
  assert.ok(writes.slice(1).every((n) => n === 2), `each later write carries the previous call's Finish: ${writes}`);
  assert.is(server.stats().answers, 1, "the last call's Finish is still queued");
  await new Promise((r) => setTimeout(r, 20));
  assert.is(server.stats().answers, 0, "and leaves within milliseconds");
  client.close();
  server.close();
});

sem.run();
