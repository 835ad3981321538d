// deno-lint-ignore-file require-await -- generated X$Server$Target methods must return promises; most here need no await
// The Echo test service (capabilities/schema/test.capnp), used by the RPC tests, their child processes and
// bench/rpc.ts. It records what happened so tests can assert on it.
import * as $ from "capnp-es";
import {
  Callback$Client,
  Counter$Server,
  Echo$Server,
  type Echo$Server$Target,
} from "../../../schema/gen/test.ts";

export interface EchoState {
  calls: number;
  liveCounters: number;
  kept: Callback$Client | null;
  events: string[];
}

class CounterServer extends Counter$Server {
  private readonly state: EchoState;
  private readonly label: string;
  private disposed = false;
  constructor(state: EchoState, label: string) {
    let value = 0;
    super({
      inc: async (p, r) => {
        value += p.by;
        r.value = value;
        state.events.push(`inc ${label} ${value}`);
      },
      name: async (_p, r) => {
        r.name = label;
      },
    });
    this.state = state;
    this.label = label;
    state.liveCounters++;
  }
  // Called by the connection when the peer released its last reference.
  override close(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.state.liveCounters--;
    this.state.events.push(`dispose ${this.label}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function makeEcho(state: EchoState = { calls: 0, liveCounters: 0, kept: null, events: [] }): Echo$Server {
  const target: Echo$Server$Target = {
    async echo(p, r) {
      state.calls++;
      r.text = p.text;
    },
    async add(p, r) {
      state.calls++;
      r.sum = p.a + p.b;
    },
    async subscribe(p, r) {
      state.calls++;
      const cb = p.cb;
      let acks = 0;
      for (let i = 0; i < p.count; i++) {
        const res = await cb.notify((n) => {
          n.msg = `tick ${i}`;
          n.seq = i;
        }).promise();
        acks += res.ack;
      }
      r.acks = acks;
    },
    async newCounter(p, r) {
      state.calls++;
      const name = p.name;
      state.events.push(`newCounter ${name} start`);
      if (p.delayMs > 0) await sleep(p.delayMs);
      r.counter = new CounterServer(state, name).client();
      state.events.push(`newCounter ${name} return`);
    },
    async keep(p) {
      state.calls++;
      state.kept?.client.close();
      state.kept = p.cb;
    },
    async callKept(p, r) {
      state.calls++;
      if (!state.kept) throw new Error("nothing kept");
      const msg = p.msg;
      const res = await state.kept.notify((n) => {
        n.msg = msg;
      }).promise();
      r.ack = res.ack;
    },
    async dropKept() {
      state.calls++;
      state.kept?.client.close();
      state.kept = null;
    },
    async stats(_p, r) {
      r.liveCounters = state.liveCounters;
      r.calls = state.calls;
    },
    async fail(p) {
      state.calls++;
      throw new Error(p.reason);
    },
    async sleep(p) {
      state.calls++;
      await sleep(p.ms);
    },
    async blob(p, r) {
      state.calls++;
      const d = r._initData(p.size);
      const u = d.toUint8Array();
      for (let i = 0; i < u.length; i++) u[i] = i & 0xff;
    },
    async echoCap(p, r) {
      state.calls++;
      r.cb = p.cb;
    },
  };
  const server = new Echo$Server(target);
  void $;
  return server;
}
