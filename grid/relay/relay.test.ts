// The relay and RmbPeer together on loopback, with twins from an in-memory table: routing, replies,
// errors, bad input of every kind, limits, queueing, reconnects and /metrics.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { WebSocket } from "ws";
import { signEnvelope } from "../../capabilities/rmb/challenge.ts";
import { e2eKeyFromSecret } from "../../capabilities/rmb/e2e.ts";
import {
  decodeEnvelope,
  encodeEnvelope,
  type Envelope,
  JSON_SCHEMA,
} from "../../capabilities/rmb/envelope.ts";
import { RmbError } from "../../capabilities/rmb/errors.ts";
import { createJwt } from "../../capabilities/rmb/jwt.ts";
import { RmbPeer } from "../../capabilities/rmb/peer.ts";
import { type Signer, signerFromSeed } from "../../capabilities/rmb/signer.ts";
import { CachedTwins, InMemoryTwins } from "../../capabilities/rmb/twins.ts";
import { type RunningRelay, startRelayWith } from "./mod.ts";

interface Ident {
  id: number;
  signer: Signer;
  secret: Uint8Array;
}

const twins = new InMemoryTwins();
async function ident(
  id: number,
  type: "ed25519" | "sr25519",
  opts: { pk?: boolean; relay?: string } = {},
): Promise<Ident> {
  const secret = new Uint8Array(32).fill(id);
  const signer = await signerFromSeed(secret, type);
  twins.set({
    id,
    accountId: signer.publicKey,
    relay: opts.relay ?? null,
    pk: opts.pk ? e2eKeyFromSecret(secret).publicKey : null,
  });
  return { id, signer, secret };
}

const peers: RmbPeer[] = [];
function peer(
  relayUrl: string,
  who: Ident,
  extra: Partial<ConstructorParameters<typeof RmbPeer>[0]> = {},
): RmbPeer {
  const p = new RmbPeer({
    relayUrls: [relayUrl],
    twinId: who.id,
    signer: who.signer,
    twins,
    e2e: e2eKeyFromSecret(who.secret),
    requestTimeoutMs: 3000,
    reconnectMinMs: 50,
    reconnectMaxMs: 300,
    ...extra,
  });
  peers.push(p);
  return p;
}

/** A raw socket speaking the wire protocol by hand, for the malformed inputs RmbPeer would never send. */
async function rawSession(
  url: string,
  who: Ident,
  sid?: string,
): Promise<{ ws: WebSocket; next(): Promise<Envelope> }> {
  const ws = new WebSocket(`${url}/?${await createJwt(who.signer, who.id, { sid })}`);
  const inbox: Envelope[] = [];
  const waiting: ((e: Envelope) => void)[] = [];
  ws.on("message", (d: Buffer) => {
    const e = decodeEnvelope(new Uint8Array(d));
    const w = waiting.shift();
    if (w) w(e);
    else inbox.push(e);
  });
  await new Promise((res, rej) => {
    ws.once("open", res);
    ws.once("error", rej);
  });
  return {
    ws,
    next: () =>
      inbox.length ? Promise.resolve(inbox.shift()!) : new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error("no frame within 3 s")), 3000);
        waiting.push((e) => {
          clearTimeout(t);
          res(e);
        });
      }),
  };
}

function upgradeStatus(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (_q, res) => {
      let body = "";
      res.on("data", (c: Buffer) => body += c);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("open", () => {
      ws.close();
      reject(new Error("upgrade unexpectedly accepted"));
    });
    ws.on("error", () => {});
  });
}

const now = () => Math.floor(Date.now() / 1000);
const rejection = async (p: Promise<unknown>): Promise<RmbError> => {
  try {
    await p;
  } catch (e) {
    assert.instance(e, RmbError);
    return e as RmbError;
  }
  throw new Error("expected a rejection");
};

let relay: RunningRelay;
let node: Ident, user: Ident, user2: Ident, plainUser: Ident;
let nodePeer: RmbPeer;
const seen: { twin: number; payload: unknown }[] = [];

const routing = suite("relay routing with RmbPeer");

routing.before(async () => {
  relay = await startRelayWith(twins, { limits: { maxEnvelopeBytes: 64 * 1024, messagesPerSecond: 200 } });
  node = await ident(1, "ed25519", { pk: true });
  user = await ident(2, "sr25519", { pk: true });
  user2 = await ident(3, "ed25519", { pk: true });
  plainUser = await ident(4, "sr25519");
  nodePeer = peer(relay.url, node);
  nodePeer.handle("zos.system.version", () => ({ zos: "zos-ts", zinit: "n/a" }));
  nodePeer.handle("echo", (payload, ctx) => {
    seen.push({ twin: ctx.twin, payload });
    return { payload, from: ctx.twin, encrypted: Boolean(ctx.envelope.cipher) };
  });
  nodePeer.handle("fail", () => {
    throw new Error("deployment 9 not found");
  });
  nodePeer.handle("nothing", () => undefined);
  await nodePeer.start();
});

routing("request/response, encrypted when both twins have a pk, plain otherwise", async () => {
  const u = peer(relay.url, user, { session: "s-user" });
  await u.start();
  assert.equal(await u.request(1, "zos.system.version", null), { zos: "zos-ts", zinit: "n/a" });
  assert.equal(await u.request(1, "echo", { a: [1, "x"] }), {
    payload: { a: [1, "x"] },
    from: 2,
    encrypted: true,
  });
  const p = peer(relay.url, plainUser);
  await p.start();
  assert.equal(await p.request(1, "echo", 5), { payload: 5, from: 4, encrypted: false });
  assert.is(await u.request(1, "nothing", {}), null, "an undefined result still travels as JSON null");
});

routing("handler errors and unknown commands come back as signed error envelopes", async () => {
  const u = peer(relay.url, user2, { session: "s2" });
  await u.start();
  const e1 = await rejection(u.request(1, "fail", {}));
  assert.is(e1.origin, "remote");
  assert.is(e1.message, "deployment 9 not found");
  const e2 = await rejection(u.request(1, "zos.nope", {}));
  assert.is(e2.origin, "remote");
  assert.is(e2.message, "function is not found");
});

routing("undeliverable requests get a relay error at once; unknown twins are named", async () => {
  const u = peer(relay.url, user2, { session: "s3" });
  await u.start();
  await ident(50, "ed25519"); // exists, never connects, relay field not ours
  const e = await rejection(u.request(50, "echo", {}));
  assert.is(e.origin, "relay");
  assert.match(e.message, /destination 50 offline/);
  const e2 = await rejection(u.request(77, "echo", {}));
  assert.is(e2.origin, "local");
  assert.match(e2.message, /twin 77 does not exist/);
});

routing("envelopes for a twin of this relay are queued until it connects", async () => {
  const host = relay.url.replace("ws://", "");
  const late = await ident(60, "ed25519", { relay: `other.example_${host}` });
  const u = peer(relay.url, user2, { session: "s4" });
  await u.start();
  const reply = u.request(60, "echo", { q: 1 }, { timeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 200));
  assert.is(relay.relay.metrics.value("rmb_relay_envelopes_queued_total"), 1);
  const p = peer(relay.url, late);
  p.handle("echo", (x) => ({ late: x }));
  await p.start();
  assert.equal(await reply, { late: { q: 1 } });
});

routing("a sender that just changed its pk is re-read instead of refused", async () => {
  const table = new InMemoryTwins();
  const cached = new CachedTwins(table, { ttlMs: 60_000 });
  const n = await signerFromSeed(new Uint8Array(32).fill(81), "ed25519");
  const nE2e = e2eKeyFromSecret(new Uint8Array(32).fill(81));
  const uSigner = await signerFromSeed(new Uint8Array(32).fill(82), "sr25519");
  const oldKey = e2eKeyFromSecret(new Uint8Array(32).fill(83));
  const newKey = e2eKeyFromSecret(new Uint8Array(32).fill(84));
  table.set({ id: 81, accountId: n.publicKey, relay: null, pk: nE2e.publicKey });
  table.set({ id: 82, accountId: uSigner.publicKey, relay: null, pk: oldKey.publicKey });
  for (const t of [81, 82]) twins.set((await table.get(t))!);
  const np = new RmbPeer({ relayUrls: [relay.url], twinId: 81, signer: n, twins: cached, e2e: nE2e });
  peers.push(np);
  np.handle("echo", (x) => x);
  await np.start();
  const first = peer(relay.url, { id: 82, signer: uSigner, secret: new Uint8Array(32).fill(83) }, {
    e2e: oldKey,
    twins: table,
    session: "k1",
  });
  await first.start();
  assert.is(await first.request(81, "echo", "old"), "old"); // the node now caches the old pk
  table.set({ id: 82, accountId: uSigner.publicKey, relay: null, pk: newKey.publicKey });
  const second = peer(relay.url, { id: 82, signer: uSigner, secret: new Uint8Array(32).fill(84) }, {
    e2e: newKey,
    twins: table,
    session: "k2",
  });
  await second.start();
  assert.is(
    await second.request(81, "echo", "new"),
    "new",
    "decrypted with the re-read pk and answered to it",
  );
});

routing("ping through the relay; a second connection of the same session replaces the first", async () => {
  const a = peer(relay.url, user, { session: "dup", reconnectMinMs: 5000, reconnectMaxMs: 5000 });
  await a.start();
  const rtt = await a.ping();
  assert.ok(rtt >= 0 && rtt < 3000);
  const before = relay.relay.sessionCount();
  const b = peer(relay.url, user, { session: "dup" });
  await b.start();
  await new Promise((r) => setTimeout(r, 100));
  assert.is(relay.relay.sessionCount(), before, "replaced, not added");
  assert.equal(await b.request(1, "zos.system.version", null), { zos: "zos-ts", zinit: "n/a" });
});

routing("a peer on two relays is reachable through either", async () => {
  const second = await startRelayWith(twins, {});
  try {
    const both = await ident(70, "ed25519", { pk: true });
    const p = peer(relay.url, both, { relayUrls: [relay.url, second.url] });
    p.handle("where", () => "here");
    await p.start();
    const deadline = Date.now() + 3000;
    while (second.relay.sessionCount() < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const url of [relay.url, second.url]) {
      const u = peer(url, user2, { session: `via-${url.slice(-5)}` });
      await u.start();
      assert.is(await u.request(70, "where", null), "here", `through ${url}`);
      await u.close();
    }
    await p.close();
  } finally {
    await second.stop();
  }
});

routing("the node reconnects after the relay restarts on the same port", async () => {
  const port = Number(new URL(relay.url).port);
  await relay.stop();
  relay = await startRelayWith(twins, {
    port,
    limits: { maxEnvelopeBytes: 64 * 1024, messagesPerSecond: 200 },
  });
  const u = peer(relay.url, user2, { session: "after-restart" });
  await u.start();
  const deadline = Date.now() + 5000;
  while (!nodePeer.isConnected() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(nodePeer.isConnected(), "node peer redialled");
  assert.equal(await u.request(1, "zos.system.version", null), { zos: "zos-ts", zinit: "n/a" });
  assert.ok(nodePeer.stats.reconnects >= 1);
});

const bad = suite("bad input: relay and node stay up, nothing served");

bad.after(async () => {
  for (const p of peers) await p.close();
  await relay.stop();
});

bad("connections without a valid JWT are refused with a reason", async () => {
  assert.equal(await upgradeStatus(`${relay.url}/`), {
    status: 400,
    body: "missing jwt: connect to ws://relay/?<JWT>\n",
  });
  const r1 = await upgradeStatus(`${relay.url}/?garbage`);
  assert.is(r1.status, 400);
  assert.match(r1.body, /^malformed: token has 1 parts/);
  const expired = await createJwt(user.signer, user.id, { nowS: now() - 120, ttlS: 60 });
  const r2 = await upgradeStatus(`${relay.url}/?${expired}`);
  assert.is(r2.status, 401);
  assert.match(r2.body, /^expired/);
  const r3 = await upgradeStatus(`${relay.url}/?${await createJwt(user.signer, 99)}`);
  assert.is(r3.status, 401);
  assert.match(r3.body, /twin 99 does not exist/);
  const r4 = await upgradeStatus(`${relay.url}/?${await createJwt(user2.signer, user.id)}`);
  assert.is(r4.status, 401);
  assert.match(r4.body, /^bad-signature/);
  const p = peer(relay.url, { ...user, signer: user2.signer }, { reconnectMinMs: 1000 });
  const err = await rejection(p.start(400));
  assert.match(err.message, /HTTP 401 bad-signature/);
  await p.close();
});

bad("malformed, text, oversized, wrong-source and destination-less frames get error envelopes", async () => {
  const s = await rawSession(relay.url, user2, "raw");
  const served = nodePeer.stats.requestsServed + nodePeer.stats.requestsRejected;
  s.ws.send(new Uint8Array([0x0a, 0x50, 0x41]));
  let e = await s.next();
  assert.equal(e.message, {
    kind: "error",
    code: 0,
    message: "malformed envelope: field 1: length 80 runs past the end",
  });
  s.ws.send("hello");
  e = await s.next();
  assert.match((e.message as { message: string }).message, /text frames are not accepted/);
  const base: Envelope = {
    uid: "u1",
    timestamp: now(),
    expiration: 60,
    source: { twin: 3, connection: "raw" },
    destination: { twin: 1 },
    message: { kind: "request", command: "echo" },
    schema: JSON_SCHEMA,
    relays: [],
  };
  s.ws.send(encodeEnvelope({ ...base, uid: "big", plain: new Uint8Array(100 * 1024) }));
  e = await s.next();
  assert.is(e.uid, "big");
  assert.match((e.message as { message: string }).message, /over this relay's limit of 65536 bytes/);
  s.ws.send(encodeEnvelope({ ...base, uid: "spoof", source: { twin: 2 } }));
  e = await s.next();
  assert.is(e.uid, "spoof");
  assert.match(
    (e.message as { message: string }).message,
    /wrong source: envelope says 2, session is 3\/raw/,
  );
  s.ws.send(encodeEnvelope({ ...base, uid: "nodst", destination: undefined }));
  e = await s.next();
  assert.match((e.message as { message: string }).message, /missing destination/);
  assert.is(e.source, undefined, "relay errors carry no source");
  assert.is(e.signature, undefined, "and no signature");
  s.ws.close();
  assert.is(
    nodePeer.stats.requestsServed + nodePeer.stats.requestsRejected,
    served,
    "nothing reached the node",
  );
});

bad("connection floods and session hoarding get HTTP 429; others are unaffected", async () => {
  const small = await startRelayWith(twins, {
    limits: { connectsPerSecondPerAddress: 5, maxSessionsPerTwin: 2 },
  });
  try {
    const statuses = await Promise.all(Array.from({ length: 14 }, () => upgradeStatus(`${small.url}/?x`)));
    assert.is(statuses.filter((s) => s.status === 400).length, 10, "burst of 2 s × 5/s");
    assert.is(statuses.filter((s) => s.status === 429).length, 4);
    assert.match(statuses.find((s) => s.status === 429)!.body, /too many connection attempts/);
    await new Promise((r) => setTimeout(r, 1000)); // refill
    const a = await rawSession(small.url, user2, "a");
    const b = await rawSession(small.url, user2, "b");
    const c = await upgradeStatus(`${small.url}/?${await createJwt(user2.signer, user2.id, { sid: "c" })}`);
    assert.is(c.status, 429);
    assert.match(c.body, /twin 3 already holds 2 sessions \(limit 2\)/);
    const again = await rawSession(small.url, user2, "a"); // replacing an existing sid is allowed
    const other = await rawSession(small.url, user, "z");
    for (const s of [a, b, again, other]) s.ws.close();
  } finally {
    await small.stop();
  }
});

bad("a frame over the hard cap closes only that socket (1009); the relay keeps serving", async () => {
  const small = await startRelayWith(twins, { limits: { maxEnvelopeBytes: 1024 } });
  try {
    const s = await rawSession(small.url, user2, "huge");
    const closed = new Promise<number>((r) => s.ws.once("close", (code: number) => r(code)));
    s.ws.send(new Uint8Array(9 * 1024 * 1024));
    assert.is(await closed, 1009);
    const again = await rawSession(small.url, user2, "huge");
    again.ws.send(
      encodeEnvelope({
        uid: "p",
        timestamp: now(),
        expiration: 9,
        source: { twin: 3, connection: "huge" },
        destination: { twin: 0 },
        message: { kind: "ping" },
        relays: [],
      }),
    );
    assert.is((await again.next()).message?.kind, "pong");
    again.ws.close();
  } finally {
    await small.stop();
  }
});

bad("the node rejects bad signatures, replays, expired, non-JSON and undecryptable requests", async () => {
  const s = await rawSession(relay.url, user2, "raw2");
  const served = nodePeer.stats.requestsServed;
  const mk = (uid: string, extra: Partial<Envelope> = {}): Envelope => ({
    uid,
    timestamp: now(),
    expiration: 60,
    source: { twin: 3, connection: "raw2" },
    destination: { twin: 1 },
    message: { kind: "request", command: "echo" },
    schema: JSON_SCHEMA,
    plain: new TextEncoder().encode('{"x":1}'),
    relays: [],
    ...extra,
  });
  const errorOf = async (env: Envelope) => {
    s.ws.send(encodeEnvelope(env));
    const r = await s.next();
    assert.is(r.uid, env.uid);
    assert.is(r.message?.kind, "error", `${env.uid} must be refused`);
    return r.message as { code: number; message: string };
  };
  // signed by someone else's key
  let m = await errorOf(await signEnvelope(mk("forged"), user.signer));
  assert.equal(m.code, 104);
  assert.match(m.message, /bad signature/);
  // unsigned
  m = await errorOf(mk("unsigned"));
  assert.is(m.code, 104);
  // valid once, then replayed
  const good = await signEnvelope(mk("once"), user2.signer);
  s.ws.send(encodeEnvelope(good));
  assert.is((await s.next()).message?.kind, "response");
  m = await errorOf(good);
  assert.is(m.code, 100);
  assert.match(m.message, /replayed envelope/);
  // expired
  m = await errorOf(await signEnvelope(mk("old", { timestamp: now() - 100, expiration: 10 }), user2.signer));
  assert.is(m.code, 102);
  // not JSON
  m = await errorOf(
    await signEnvelope(mk("notjson", { plain: new TextEncoder().encode("{oops") }), user2.signer),
  );
  assert.is(m.code, 101);
  // wrong schema
  m = await errorOf(await signEnvelope(mk("schema", { schema: "text/plain" }), user2.signer));
  assert.match(m.message, /unsupported schema/);
  // cipher that does not decrypt
  const junk = mk("cipher", { cipher: new Uint8Array(40).fill(7) });
  delete junk.plain;
  m = await errorOf(await signEnvelope(junk, user2.signer));
  assert.is(m.code, 106);
  assert.is(nodePeer.stats.requestsServed, served + 1, "only the one good request was served");
  s.ws.close();
  // the node is still serving
  const u = peer(relay.url, user, { session: "still-up" });
  await u.start();
  assert.equal(await u.request(1, "zos.system.version", null), { zos: "zos-ts", zinit: "n/a" });
});

bad("a reply with a bad signature is refused by the requester, not trusted", async () => {
  const fake = await ident(90, "ed25519");
  const s = await rawSession(relay.url, fake);
  const u = peer(relay.url, user2, { session: "asks-fake" });
  await u.start();
  const pending = u.request(90, "zos.system.version", null);
  const req = await s.next();
  assert.is(req.message?.kind, "request");
  const forged: Envelope = {
    uid: req.uid,
    timestamp: now(),
    expiration: 60,
    source: { twin: 90 },
    destination: req.source,
    message: { kind: "response" },
    schema: JSON_SCHEMA,
    plain: new TextEncoder().encode('{"zos":"evil"}'),
    relays: [],
  };
  await signEnvelope(forged, user.signer); // signed, but not by twin 90's key
  s.ws.send(encodeEnvelope(forged));
  const e = await rejection(pending);
  assert.is(e.origin, "invalid-reply");
  assert.match(e.message, /invalid signature/);
  s.ws.close();
});

bad("a flood is rate limited per session without disconnecting it", async () => {
  const s = await rawSession(relay.url, user2, "flood");
  const env: Envelope = {
    uid: "",
    timestamp: now(),
    expiration: 60,
    source: { twin: 3, connection: "flood" },
    destination: { twin: 0 },
    message: { kind: "ping" },
    relays: [],
  };
  for (let i = 0; i < 1000; i++) s.ws.send(encodeEnvelope({ ...env, uid: `f${i}` }));
  let pongs = 0, limited = 0;
  for (let i = 0; i < 1000; i++) {
    const r = await s.next();
    if (r.message?.kind === "pong") pongs++;
    else if (/rate limit exceeded/.test((r.message as { message: string }).message)) limited++;
  }
  assert.ok(pongs >= 400 && pongs < 1000, `burst of 400 honoured, the rest limited: got ${pongs} pongs`);
  assert.is(pongs + limited, 1000);
  assert.is(s.ws.readyState, WebSocket.OPEN);
  s.ws.close();
});

bad("/metrics speaks Prometheus text and counts what happened; other paths 404", async () => {
  const base = relay.url.replace("ws://", "http://");
  const res = await fetch(`${base}/metrics`);
  assert.is(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/plain; version=0.0.4/);
  const text = await res.text();
  assert.match(text, /# TYPE rmb_relay_envelopes_forwarded_total counter/);
  assert.match(text, /rmb_relay_error_envelopes_total\{reason="rate-limited"\} \d+/);
  assert.match(text, /rmb_relay_auth_failures_total\{reason="expired"\} 1/);
  assert.match(text, /rmb_relay_sessions \d+/);
  for (const line of text.trim().split("\n")) {
    assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? \d+(\.\d+)?)$/);
  }
  assert.is(
    await fetch(`${base}/nope`).then(async (r) => {
      await r.text();
      return r.status;
    }),
    404,
  );
  // federation in: an envelope POSTed by another relay, from a twin of that relay, reaches the live
  // session of a twin of this relay (grid/relay/abuse.test.ts has what is refused)
  const remote = await ident(70, "ed25519", { relay: "other-relay.example" });
  const local = await ident(71, "ed25519", { relay: relay.url.replace("ws://", "") });
  const s = await rawSession(relay.url, local, "fed");
  const fed: Envelope = {
    uid: "fed-1",
    timestamp: now(),
    expiration: 60,
    source: { twin: remote.id },
    destination: { twin: local.id, connection: "fed" },
    message: { kind: "response" },
    schema: JSON_SCHEMA,
    plain: new TextEncoder().encode("null"),
    relays: [],
  };
  const accepted = await fetch(`${base}/`, { method: "POST", body: new Uint8Array(encodeEnvelope(fed)) });
  assert.is(accepted.status, 202);
  await accepted.body?.cancel();
  assert.is((await s.next()).uid, "fed-1");
  s.ws.close();
  const post = await fetch(`${base}/`, { method: "POST", body: new Uint8Array([0xff]) });
  assert.is(post.status, 400);
  assert.match(await post.text(), /malformed envelope/);
});

routing.run();
bad.run();
