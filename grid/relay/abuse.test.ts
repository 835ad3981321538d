// The dev relay under issue 18's attack 5: unauthenticated federation POSTs filling its memory for any
// (even non-existent) twin, bypassing the source-equals-session check and the session rate limits.
// Reproduced against a real relay on loopback; twins from an in-memory table.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { encodeEnvelope, type Envelope, JSON_SCHEMA } from "../../capabilities/rmb/envelope.ts";
import { createJwt } from "../../capabilities/rmb/jwt.ts";
import { signerFromSeed } from "../../capabilities/rmb/signer.ts";
import { InMemoryTwins } from "../../capabilities/rmb/twins.ts";
import { WebSocket } from "ws";
import { decodeEnvelope } from "../../capabilities/rmb/envelope.ts";
import { type RunningRelay, startRelayWith } from "./mod.ts";
import { OfflineQueue } from "./queue.ts";

const t = suite("relay abuse (issue 18, attack 5)");
const twins = new InMemoryTwins();
let relay: RunningRelay;
let base = "";
let host = "";
const QUEUE = { maxBytesPerSession: 1024 * 1024, maxTotalBytes: 3 * 1024 * 1024 };

async function twin(id: number, relayField: string | null) {
  const signer = await signerFromSeed(new Uint8Array(32).fill(id), "ed25519");
  twins.set({ id, accountId: signer.publicKey, relay: relayField, pk: null });
  return { id, signer };
}

function envelope(src: number, dst: number, bytes = 16, uid: string = crypto.randomUUID()): Envelope {
  return {
    uid,
    timestamp: Math.floor(Date.now() / 1000),
    expiration: 3600,
    source: { twin: src },
    destination: { twin: dst },
    message: { kind: "request", command: "zos.system.version" },
    schema: JSON_SCHEMA,
    plain: new Uint8Array(bytes),
    relays: [],
  };
}

async function post(e: Envelope): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}/`, { method: "POST", body: new Uint8Array(encodeEnvelope(e)) });
  return { status: res.status, text: await res.text() };
}

const queued = () => relay.relay.metrics.value("rmb_relay_queue_envelopes");
const queuedBytes = () => relay.relay.metrics.value("rmb_relay_queue_bytes");

t.before(async () => {
  relay = await startRelayWith(twins, { queue: QUEUE, limits: { messagesPerSecond: 5000, bytesPerSecond: 1024 * 1024 * 1024 } });
  base = relay.url.replace("ws://", "http://");
  host = relay.url.replace("ws://", "");
  await twin(1, "other-relay.example"); // a twin of another relay: may federate in
  await twin(2, host); // a twin of this relay, offline
  await twin(3, "other-relay.example"); // a twin of another relay: not ours to queue for
  await twin(4, host); // a twin of this relay trying to skip its session
  await twin(5, null);
  await twin(6, host);
});

t.after(async () => {
  await relay?.stop();
});

t("federation for a non-existent or foreign twin, or from a twin of this relay, is refused and queues nothing", async () => {
  const cases: [Envelope, RegExp][] = [
    [envelope(1, 999), /destination twin 999 does not exist/],
    [envelope(1, 3), /does not use this relay/],
    [envelope(4, 2), /uses this relay: send over your session/],
    [envelope(5, 2), /names no relay/],
    [envelope(777, 2), /source twin 777 does not exist/],
  ];
  for (const [e, why] of cases) {
    const r = await post(e);
    assert.is(r.status, 403, r.text);
    assert.match(r.text, why);
  }
  assert.is(queued(), 0);
});

t("300 × 64 KiB federation POSTs stay within the queue bounds; the excess gets 429", async () => {
  const statuses = new Map<number, number>();
  const big = (i: number) => envelope(1, i % 2 ? 2 : 6, 64 * 1024, `u-${i}`);
  for (let i = 0; i < 300; i += 20) {
    const batch = await Promise.all(Array.from({ length: 20 }, (_, j) => post(big(i + j))));
    for (const r of batch) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  assert.ok(queuedBytes() <= QUEUE.maxTotalBytes, `queue holds ${queuedBytes()} bytes`);
  // two destinations × 1 MiB per session: 15 envelopes of 64 KiB each fit per session
  assert.is(statuses.get(202), 30);
  assert.is(statuses.get(429), 270);
  assert.ok(queuedBytes() <= 2 * QUEUE.maxBytesPerSession);
});

t("the relay-wide bound holds over many sessions, and a queued twin still gets its envelopes", async () => {
  const q = new OfflineQueue({ maxPerSession: 10, maxBytesPerSession: 100, maxTotal: 25, maxTotalBytes: 1000 });
  const frame = new Uint8Array(10);
  const results = Array.from({ length: 40 }, (_, i) => q.push(`s${i % 4}`, frame, Date.now() + 60_000));
  assert.is(results.filter((r) => r === "queued").length, 25);
  assert.is(results.filter((r) => r === "relay-full").length, 15);
  const one = new OfflineQueue({ maxPerSession: 2 });
  assert.equal([1, 2, 3].map(() => one.push("s", frame, Date.now() + 60_000)), ["queued", "queued", "session-full"]);
  assert.is(q.drain("s0").length, 7);
  assert.is(q.size(), 18);
  assert.is(q.byteSize(), 180);
  assert.is(q.push("s9", frame, Date.now() + 60_000), "queued", "draining freed room");

  // the live relay: twin 6 connects and receives what was queued for it
  const who = await signerFromSeed(new Uint8Array(32).fill(6), "ed25519");
  const ws = new WebSocket(`${relay.url}/?${await createJwt(who, 6)}`);
  const got: string[] = [];
  ws.on("message", (d: Buffer) => got.push(decodeEnvelope(new Uint8Array(d)).uid));
  await new Promise((r) => ws.once("open", r));
  const deadline = Date.now() + 3000;
  while (got.length < 15 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.is(got.length, 15);
  ws.close();
});

t.run();
