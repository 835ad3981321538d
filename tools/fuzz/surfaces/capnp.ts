// Cap'n Proto frames into the RPC library every kernel connection runs (capabilities/lib/rpc: framing, message
// decoding, the protocol's question/answer/export tables): corrupted copies of real traffic (bootstrap, calls
// carrying capabilities, pipelined calls) and random frames, fed to a serving connection over the in-memory
// transport the library's own tests use. A bad frame must end the connection with a "disconnected: …" error or
// be answered; nothing escapes the connection, and every capability it exported is released when it closes.
import * as $ from "capnp-es";
import { setImmediate } from "node:timers";
import * as R from "capnp-es/capnp/rpc";
import { connect } from "../../../capabilities/lib/rpc/connection.ts";
import { ManualTransport } from "../../../capabilities/lib/rpc/test/manual-transport.ts";
import { type EchoState, makeEcho } from "../../../capabilities/lib/rpc/test/echo-impl.ts";
import { Callback$Server, Echo } from "../../../capabilities/schema/gen/test.ts";
import { concat, type Rng } from "../rng.ts";
import type { Surface, Target, Verdict } from "../harness.ts";

// setImmediate: lets the connection and the echo server run their promise chains, without a 1-4 ms timer per step
const tick = () => new Promise<void>((r) => setImmediate(r));

/** Client→server bytes of a real session: bootstrap, a call, a call passing a capability, a pipelined call. */
async function recordTraffic(): Promise<Uint8Array> {
  const server = new ManualTransport();
  const client = new ManualTransport();
  connect(server, { bootstrap: makeEcho() });
  const c = connect(client);
  const echo = c.bootstrap(Echo);
  const cb = new Callback$Server({ notify: (p, r) => Promise.resolve(void (r.ack = p.seq)) });
  let done = false;
  void Promise.all([
    echo.echo((p) => void (p.text = "fuzz")).promise(),
    echo.subscribe((p) => {
      p.cb = cb.client();
      p.count = 2;
    }).promise(),
    echo.newCounter((p) => void (p.name = "f")).getCounter().inc((p) => void (p.by = 1)).promise(),
  ]).finally(() => (done = true));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 1000 && !done; i++) {
    await tick();
    const up = client.drain();
    if (up.byteLength) {
      parts.push(up.slice());
      server.feed(up);
    }
    const down = server.drain();
    if (down.byteLength) client.feed(down);
  }
  c.close();
  return concat(...parts);
}

/** A random but well-framed message: a random root of the rpc Message union with random pointers. */
function randomFrame(rng: Rng): Uint8Array {
  const msg = new $.Message();
  const m = msg.initRoot(R.Message);
  switch (rng.int(6)) {
    case 0: {
      const c = m._initCall();
      c.questionId = rng.int(2 ** 32);
      c._initTarget().importedCap = rng.int(4);
      c.interfaceId = rng.chance(0.5) ? 0xc0ffeen : BigInt(rng.int(2 ** 32)) << 32n;
      c.methodId = rng.int(20);
      break;
    }
    case 1: m._initBootstrap().questionId = rng.int(4); break;
    case 2: m._initFinish().questionId = rng.int(4); break;
    case 3: { const r = m._initRelease(); r.id = rng.int(4); r.referenceCount = rng.int(2 ** 32); break; }
    case 4: m._initAbort().reason = rng.text(); break;
    default: m._initReturn().answerId = rng.int(4);
  }
  return new Uint8Array(msg.toArrayBuffer());
}

export const capnpSurface: Surface = {
  name: "capnp-frames",
  what: "Cap'n Proto frames into a serving RPC connection (the library of every kernel connection)",
  async start(): Promise<Target> {
    const traffic = await recordTraffic();
    const state: EchoState = { calls: 0, liveCounters: 0, kept: null, events: [] };
    const feedOnce = async (bytes: Uint8Array): Promise<Verdict> => {
      const t = new ManualTransport();
      const conn = connect(t, { bootstrap: makeEcho(state), name: "server" });
      t.feed(bytes);
      for (let k = 0; k < 5; k++) await tick();
      let verdict: Verdict = { accepted: true };
      if (conn.isClosed) {
        const err = await conn.closed;
        if (!(err instanceof Error) || !/^disconnected/.test(err.message)) throw new Error(`connection ended with ${String(err)}`);
        verdict = { refused: err.message };
      }
      conn.close();
      for (let k = 0; k < 3; k++) await tick();
      return verdict;
    };
    return {
      feed(rng) {
        const r = rng.int(10);
        const bytes = r < 7 ? rng.mutate(traffic) : r < 9 ? concat(traffic.subarray(0, rng.int(traffic.length)), randomFrame(rng)) : rng.bytes(rng.int(200));
        return feedOnce(bytes);
      },
      // every counter a corrupted session created is released when its connection closes
      state: () => Promise.resolve(JSON.stringify({ liveCounters: state.liveCounters })),
      async alive() {
        // a real client on a fresh connection to the same server object still gets its answer
        const server = new ManualTransport();
        const client = new ManualTransport();
        const sc = connect(server, { bootstrap: makeEcho(state) });
        const c = connect(client);
        const answer = c.bootstrap(Echo).echo((p) => void (p.text = "still here")).promise();
        let text = "";
        void answer.then((r) => (text = r.text));
        for (let k = 0; k < 200 && !text; k++) {
          await tick();
          server.feed(client.drain());
          client.feed(server.drain());
        }
        c.close();
        sc.close();
        if (text !== "still here") throw new Error(`echo answered ${JSON.stringify(text)}`);
      },
      stop: () => Promise.resolve(),
    };
  },
};
