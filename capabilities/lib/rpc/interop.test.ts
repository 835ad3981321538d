// deno-lint-ignore-file require-await -- generated X$Server$Target methods must return promises; most here need no await
// Proof that this is Cap'n Proto RPC: a C++ peer built from Debian's libcapnp-dev (EzRpcClient /
// EzRpcServer) and our TypeScript connection talk over a unix socket, both directions, using
// capabilities/schema/test.capnp — calls, a callback capability, pipelining, Disembargo, tail calls, errors.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Callback$Server, Echo } from "../../schema/gen/test.ts";
import { dial, listen } from "./net.ts";
import { makeEcho } from "./test/echo-impl.ts";
import { buildInteropPeer } from "./test/interop/build.ts";

const t = suite("C++ interop");
let peer = "";
let dir = "";
t.before(async () => {
  peer = await buildInteropPeer();
  dir = mkdtempSync(join(tmpdir(), "zt-rpc-interop-"));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

t("C++ EzRpcClient calls a TS server and passes a callback the TS server calls", async () => {
  const path = join(dir, "ts-server.sock");
  const state = { calls: 0, liveCounters: 0, kept: null, events: [] as string[] };
  const l = await listen({ path }, () => ({ bootstrap: makeEcho(state), name: "c++ client" }));
  try {
    const child = spawn(peer, ["client", `unix:${path}`], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d: Uint8Array) => (out += new TextDecoder().decode(d)));
    const code = await new Promise((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 30000); // a hang fails the test, not the suite
      child.on("exit", (c, sig) => {
        clearTimeout(timer);
        resolve(c ?? sig);
      });
    });
    const facts = Object.fromEntries(out.trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
    assert.is(code, 0, out);
    assert.equal(facts, {
      echo: "from c++",
      add: "42",
      subscribe_acks: "6",
      callback_invocations: "3", // the TS server called the C++ callback three times
      pipelined_inc: "5", // sent on a counter the TS server had not returned yet
      second_inc: "7",
      echocap_pipelined: "21", // loops back to C++ through TS: C++ embargoes, TS echoes the Disembargo
      echocap_direct: "31",
      kept_ack: "1",
      fail: "remote exception: deliberate failure",
      blob: "ok", // 300 kB of results from TS, read by C++
      total_invocations: "6",
      done: "ok",
    });
    assert.ok(state.events.includes("newCounter cpp return"));
    assert.is(state.kept, null);
  } finally {
    await l.close();
  }
});

t("TS client calls a C++ EzRpcServer, including pipelined calls and a callback", async () => {
  const path = join(dir, "cxx-server.sock");
  const child = spawn(peer, ["server", `unix:${path}`], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("C++ server not ready")), 10000);
      child.stdout!.on("data", (d: Uint8Array) => {
        if (new TextDecoder().decode(d).includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const conn = await dial({ path });
    const echo = conn.bootstrap(Echo);
    assert.is((await echo.echo((p) => { p.text = "to c++ ✓"; }).promise()).text, "to c++ ✓");
    assert.is((await echo.add((p) => { p.a = -2n; p.b = 44n; }).promise()).sum, 42n);

    let notified = 0;
    const cb = new Callback$Server({ async notify(p, r) { notified++; r.ack = p.seq + 1; } });
    assert.is((await echo.subscribe((p) => { p.cb = cb.client(); p.count = 4; }).promise()).acks, 1 + 2 + 3 + 4);
    assert.is(notified, 4, "C++ called our callback");

    // Pipelining: both calls are on the wire before the C++ server returns the counter (after 100 ms).
    const before = conn.stats();
    const answer = echo.newCounter((p) => { p.name = "ts"; p.delayMs = 100; });
    const inc = answer.getCounter().inc((p) => { p.by = 5; });
    await new Promise((r) => setTimeout(r, 20));
    const mid = conn.stats();
    assert.is(mid.callsOut - before.callsOut, 2);
    assert.is(mid.returnsIn - before.returnsIn, 0);
    assert.is((await inc.promise()).value, 5);
    const counter = (await answer.promise()).counter;
    assert.is((await counter.inc((p) => { p.by = 2; }).promise()).value, 7);
    assert.is((await counter.name().promise()).name, "ts");

    // Our callback comes back from C++: the pipelined call is redirected to us (tail call) and embargoed.
    const ack = await echo.echoCap((p) => { p.cb = cb.client(); }).getCb().notify((p) => { p.seq = 20; }).promise();
    assert.is(ack.ack, 21);

    try {
      await echo.fail((p) => { p.reason = "deliberate failure"; }).promise();
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, /deliberate failure/);
    }
    // 1 MB of results: C++ sends a multi-segment frame.
    const before2 = conn.stats().multiSegmentFramesIn;
    const blob = (await echo.blob((p) => { p.size = 1_000_000; }).promise()).data.toUint8Array();
    assert.is(blob.length, 1_000_000);
    assert.ok(blob.every((b, i) => b === (i & 0xff)));
    assert.is(conn.stats().multiSegmentFramesIn, before2 + 1, "the C++ results arrived as a multi-segment frame");

    try {
      await echo.keep().promise(); // not implemented by the C++ peer
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, /not implemented/);
    }

    counter.client.close();
    conn.close();
    assert.is(await conn.closed, undefined);
  } finally {
    child.kill("SIGKILL");
  }
});

t.run();
