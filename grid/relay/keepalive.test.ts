// The relay's keep-alive drops a session that stays silent for two periods, and only such a one: a relay
// whose own process was too busy to read (the node-load bench: 500 users and the relay in one process, every
// session dropped at once) must not drop sessions whose pongs and frames sit unread in their sockets — the
// frames would be lost with them, and a user would wait for a reply that never comes.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { WebSocket } from "ws";
import { KeepAliveClock } from "../../capabilities/rmb/keepalive.ts";
import { decodeEnvelope, encodeEnvelope, type Envelope } from "../../capabilities/rmb/envelope.ts";
import { createJwt } from "../../capabilities/rmb/jwt.ts";
import { signerFromSeed } from "../../capabilities/rmb/signer.ts";
import { InMemoryTwins } from "../../capabilities/rmb/twins.ts";
import { Relay } from "./relay.ts";

const PERIOD = 200;
const t = suite("relay keep-alive");
const twins = new InMemoryTwins();
let relay: Relay;
let url = "";
const sockets: WebSocket[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function session(id: number, sid: string): Promise<{ ws: WebSocket; got: string[] }> {
  const signer = await signerFromSeed(new Uint8Array(32).fill(40 + id), "ed25519");
  twins.set({ id, accountId: signer.publicKey, relay: null, pk: null });
  const ws = new WebSocket(`${url}/?${await createJwt(signer, id, { sid })}`);
  sockets.push(ws);
  const got: string[] = [];
  ws.on("message", (d: Buffer) => got.push(decodeEnvelope(new Uint8Array(d)).uid));
  ws.on("error", () => {});
  await new Promise((ok, fail) => {
    ws.once("open", ok);
    ws.once("error", fail);
  });
  return { ws, got };
}

function request(uid: string, from: number, sid: string, to: number, toSid: string): Uint8Array {
  const e: Envelope = {
    uid, timestamp: Math.floor(Date.now() / 1000), expiration: 60,
    source: { twin: from, connection: sid }, destination: { twin: to, connection: toSid },
    message: { kind: "request", command: "zos.system.version" }, plain: new TextEncoder().encode("null"), relays: [],
  };
  return encodeEnvelope(e);
}

async function dropped(reason: string): Promise<number> {
  const text = await (await fetch(`${url.replace(/^ws/, "http")}/metrics`)).text();
  return Number(new RegExp(`^rmb_relay_sessions_dropped_total\\{reason="${reason}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
}

t.before(async () => {
  relay = new Relay({ twins, keepAliveMs: PERIOD, limits: { connectsPerSecondPerAddress: 1000 } });
  url = await relay.listen();
});

t.after(async () => {
  for (const ws of sockets) ws.terminate();
  await relay.close();
});

t("a tick that comes late judges no one; on time, silence counts", () => {
  let now = 0;
  const c = new KeepAliveClock(1000, () => now);
  now = 1000;
  assert.ok(c.onTime());
  now = 2400;
  assert.ok(c.onTime(), "1.4 periods: still on time (timers drift)");
  now = 4000;
  assert.not.ok(c.onTime(), "1.6 periods: this process was busy");
  now = 5000;
  assert.ok(c.onTime());
});

t("a session that stops reading (no pong, nothing sent) is dropped after two periods, and counted", async () => {
  const before = await dropped("keepalive");
  const { ws } = await session(1, "silent");
  const sessions = relay.sessionCount();
  (ws as unknown as { _socket: { pause(): void } })._socket.pause(); // it answers no ping from now on
  const end = Date.now() + 50 * PERIOD; // late ticks (a loaded machine) do not count: give it room
  while (relay.sessionCount() === sessions && Date.now() < end) await sleep(50);
  assert.is(relay.sessionCount(), sessions - 1, "dropped");
  assert.is(await dropped("keepalive"), before + 1);
});

t("a relay too busy to read for three periods at a time drops no session, and every frame sent meanwhile arrives", async () => {
  const before = await dropped("keepalive");
  const a = await session(2, "a");
  const b = await session(3, "b");
  const closed: string[] = [];
  a.ws.on("close", () => closed.push("a"));
  b.ws.on("close", () => closed.push("b"));
  await sleep(3 * PERIOD); // a few on-time ticks first: both answer their pings
  // this process (relay and both users) stalls for 3 periods, five times in a row, with only a moment to
  // read between stalls; a sends b a request just before each one
  const uids: string[] = [];
  await new Promise<void>((done) => {
    let round = 0;
    const stall = () => {
      if (round++ === 5) return done();
      const uid = `6f1c7c3e-dddd-4000-8000-${String(round).padStart(12, "0")}`;
      uids.push(uid);
      a.ws.send(request(uid, 2, "a", 3, "b"));
      const until = performance.now() + 3 * PERIOD;
      while (performance.now() < until) { /* busy: nothing is read meanwhile */ }
      setImmediate(stall);
    };
    setImmediate(stall);
  });
  const end = Date.now() + 5000;
  while (b.got.length < uids.length && Date.now() < end) await sleep(20);
  await sleep(3 * PERIOD); // and the relay keeps them once it has read again
  assert.equal(closed, [], "no session was dropped");
  assert.is(await dropped("keepalive"), before);
  assert.equal(b.got, uids, "every request reached b");
});

t.run();
