// RMB, on both ends. The relay (grid/relay, as `zos grid up` runs it): envelopes posted to its federation
// endpoint and JWTs presented at WebSocket upgrade — mutated copies of valid ones, random fields, random bytes.
// The node (the RmbPeer the api module serves through): envelopes a connected twin sends it through the relay —
// mutated copies of a signed request, and requests with random fields — each followed by a good request that
// must still be answered.
import { WebSocket } from "ws";
import { decodeEnvelope, encodeEnvelope, type Envelope, JSON_SCHEMA } from "../../../capabilities/rmb/envelope.ts";
import { createJwt } from "../../../capabilities/rmb/jwt.ts";
import { signerFromSeed, type Signer } from "../../../capabilities/rmb/signer.ts";
import { signEnvelope } from "../../../capabilities/rmb/challenge.ts";
import { InMemoryTwins } from "../../../capabilities/rmb/twins.ts";
import { RmbPeer } from "../../../capabilities/rmb/peer.ts";
import { type RunningRelay, startRelayWith } from "../../../grid/relay/mod.ts";
import type { Rng } from "../rng.ts";
import type { Surface, Target, Verdict } from "../harness.ts";

const LIMITS = { messagesPerSecond: 1_000_000, bytesPerSecond: 1024 ** 3, connectsPerSecondPerAddress: 1_000_000 };
const now = () => Math.floor(Date.now() / 1000);

async function twin(twins: InMemoryTwins, id: number, relay: string | null, type: "ed25519" | "sr25519" = "ed25519"): Promise<Signer> {
  const signer = await signerFromSeed(new Uint8Array(32).fill(id), type);
  twins.set({ id, accountId: signer.publicKey, relay, pk: null });
  return signer;
}

/** An envelope with random (often wrong) fields: kinds, twins, times, sizes, sessions. */
function randomEnvelope(rng: Rng, src: number, dst: number): Envelope {
  const kind = rng.pick(["request", "response", "error", "ping", "pong", undefined] as const);
  const message = kind === undefined ? undefined : kind === "request" ? { kind, command: rng.chance(0.5) ? "zos.system.version" : rng.text(30) }
    : kind === "error" ? { kind, code: rng.int(2 ** 32), message: rng.text() } : { kind };
  const t = rng.pick([now(), 0, now() + 10 ** rng.int(10), now() - 10 ** rng.int(10), 2 ** 53 - 1]);
  const e: Envelope = {
    uid: rng.chance(0.9) ? crypto.randomUUID() : rng.text(),
    timestamp: Math.max(0, t),
    expiration: rng.pick([0, 1, 60, 3600, 2 ** 32 - 1, 10 ** rng.int(12)]),
    source: rng.chance(0.9) ? { twin: rng.chance(0.7) ? src : rng.int(2 ** 32), ...(rng.chance(0.3) ? { connection: rng.text(10) } : {}) } : undefined,
    destination: rng.chance(0.9) ? { twin: rng.chance(0.7) ? dst : rng.int(2 ** 32), ...(rng.chance(0.3) ? { connection: rng.text(10) } : {}) } : undefined,
    message,
    schema: rng.pick([JSON_SCHEMA, "", rng.text(10), undefined]),
    relays: Array.from({ length: rng.int(3) }, () => rng.text(20)),
  };
  if (rng.chance(0.5)) e.plain = rng.chance(0.5) ? new TextEncoder().encode(rng.text(100)) : rng.bytes(rng.int(64));
  else if (rng.chance(0.5)) e.cipher = rng.bytes(rng.int(128));
  if (rng.chance(0.5)) e.signature = rng.bytes(rng.pick([0, 1, 64, 65, 66]));
  if (rng.chance(0.2)) e.tags = rng.text(10);
  if (rng.chance(0.1)) e.federation = rng.text(20);
  return e;
}

/** A mutated encoding, a random envelope, or random bytes. */
function envelopeBytes(rng: Rng, valid: Uint8Array, src: number, dst: number): Uint8Array {
  const r = rng.int(10);
  if (r < 5) return rng.mutate(valid);
  if (r < 9) return encodeEnvelope(randomEnvelope(rng, src, dst));
  return rng.bytes(rng.int(300));
}

async function jwtText(rng: Rng, signer: Signer, id: number): Promise<string> {
  switch (rng.int(5)) {
    case 0: return rng.mutateText(await createJwt(signer, id, { sid: "s" }));
    case 1: return await createJwt(signer, rng.pick([0, 1, id, 999, 2 ** 32]), { nowS: rng.pick([0, now() - 100_000, now()]), ttlS: rng.pick([-1, 0, 60, 2 ** 40]), sid: rng.text(8) });
    case 2: { // a token of another twin's signature over this twin's claims
      const [h, c] = (await createJwt(signer, id)).split(".");
      const other = (await createJwt(await signerFromSeed(new Uint8Array(32).fill(200), "ed25519"), id)).split(".")[2];
      return `${h}.${c}.${rng.chance(0.5) ? other : rng.mutateText(other)}`;
    }
    case 3: {
      const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
      return `${b64(rng.pick([{ alg: "RS512", typ: "JWT" }, { alg: "none" }, [], "x"]))}.${b64(rng.pick([{ sub: id, iat: 1, exp: 2 ** 40 }, { sub: "1" }, { sub: -1, iat: "a" }, null, { sub: id, iat: 1, exp: 2 ** 40, sid: 5 }]))}.${Buffer.from(rng.bytes(rng.pick([0, 64, 65, 66]))).toString("base64url")}`;
    }
    default: return rng.text(300);
  }
}

/** The WebSocket upgrade with `token`: resolves to the HTTP status and text of a refusal, or "open". */
function upgrade(url: string, token: string): Promise<{ status: number; text: string } | "open"> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/?${encodeURIComponent(token.toWellFormed())}`);
    ws.on("open", () => {
      ws.close();
      resolve("open");
    });
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    ws.on("error", (e) => {
      // a request line beyond the HTTP server's header limit (16 KiB) is cut by the HTTP layer, before the relay
      // reads it: a reset is that layer's refusal (documented in docs/TESTING.md), anything else is a finding
      if (/ECONNRESET|socket hang up/.test(e.message) && encodeURIComponent(token.toWellFormed()).length > 16 * 1024) {
        resolve({ status: 431, text: `request line of ${token.length} characters over the HTTP header limit: connection reset` });
      } else reject(new Error(`upgrade failed without an HTTP answer: ${e.message} (a token of ${token.length} characters)`));
    });
  });
}

export const relaySurface: Surface = {
  name: "rmb-relay",
  what: "envelopes posted to the relay's federation endpoint (3 in 4) and JWTs at its WebSocket upgrade (1 in 4)",
  async start(): Promise<Target> {
    const twins = new InMemoryTwins();
    const relay: RunningRelay = await startRelayWith(twins, { limits: LIMITS });
    const host = relay.url.replace("ws://", "");
    const http = relay.url.replace("ws://", "http://");
    await twin(twins, 1, "other-relay.example"); // federates in
    await twin(twins, 2, host); // ours, offline: federated envelopes for it are queued
    const own = await twin(twins, 6, host, "sr25519");
    const valid = encodeEnvelope({
      uid: "6f1c7c3e-0000-4000-8000-000000000001", timestamp: now(), expiration: 3600, source: { twin: 1 }, destination: { twin: 2 },
      message: { kind: "request", command: "zos.system.version" }, schema: JSON_SCHEMA, plain: new Uint8Array(8), relays: [],
    });
    let queuedByAccepted = 0;
    const metric = (m: string) => relay.relay.metrics.value(m);
    return {
      async feed(rng, i): Promise<Verdict> {
        if (i % 4 === 3) {
          const r = await upgrade(relay.url, await jwtText(rng, own, 6));
          if (r === "open") return { accepted: true };
          if (r.status >= 500) throw new Error(`HTTP ${r.status}: ${r.text}`);
          return { refused: `${r.status} ${r.text}` };
        }
        const before = metric("rmb_relay_queue_envelopes");
        const res = await fetch(`${http}/`, { method: "POST", body: envelopeBytes(rng, valid, 1, 2) as Uint8Array<ArrayBuffer> });
        const text = await res.text();
        if (res.status >= 500) throw new Error(`HTTP ${res.status}: ${text}`);
        if (res.status < 300) {
          queuedByAccepted += metric("rmb_relay_queue_envelopes") - before;
          return { accepted: true };
        }
        return { refused: `${res.status} ${text}` };
      },
      async state() {
        for (let k = 0; k < 100 && metric("rmb_relay_sessions") > 0; k++) await new Promise((r) => setTimeout(r, 20));
        return JSON.stringify({ queuedByRefused: metric("rmb_relay_queue_envelopes") - queuedByAccepted, sessions: metric("rmb_relay_sessions") });
      },
      async alive() {
        if ((await upgrade(relay.url, await createJwt(own, 6))) !== "open") throw new Error("a valid JWT is refused");
      },
      stop: () => relay.stop(),
    };
  },
};

/** A twin's raw session on the relay: sends frames, collects what comes back by uid. */
async function rawSession(url: string, signer: Signer, id: number, sid: string) {
  const ws = new WebSocket(`${url}/?${await createJwt(signer, id, { sid, ttlS: 24 * 3600 })}`);
  const waiting = new Map<string, (e: Envelope) => void>();
  const got = new Map<string, Envelope>();
  ws.on("message", (d: Buffer) => {
    const e = decodeEnvelope(new Uint8Array(d));
    const w = waiting.get(e.uid);
    if (w) {
      waiting.delete(e.uid);
      w(e);
    } else got.set(e.uid, e);
  });
  await new Promise<void>((res, rej) => {
    ws.once("open", () => res());
    ws.once("error", rej);
  });
  return {
    ws,
    send: (b: Uint8Array) => ws.send(b),
    /** the reply for `uid`, or null after `ms` */
    reply(uid: string, ms: number): Promise<Envelope | null> {
      const have = got.get(uid);
      if (have) {
        got.delete(uid);
        return Promise.resolve(have);
      }
      return new Promise((res) => {
        const t = setTimeout(() => {
          waiting.delete(uid);
          res(null);
        }, ms);
        waiting.set(uid, (e) => {
          clearTimeout(t);
          res(e);
        });
      });
    },
    forget: () => got.clear(),
  };
}

export const nodeRmbSurface: Surface = {
  name: "rmb-node",
  what: "envelopes a connected twin sends the node's RMB peer through the relay, each followed by a good request",
  async start(): Promise<Target> {
    const twins = new InMemoryTwins();
    const relay = await startRelayWith(twins, { limits: LIMITS });
    const host = relay.url.replace("ws://", "");
    const nodeSigner = await twin(twins, 11, host);
    const user = await twin(twins, 12, host, "sr25519");
    let served = 0;
    let acceptedServed = 0;
    const peer = new RmbPeer({ relayUrls: [relay.url], twinId: 11, signer: nodeSigner, twins, replay: { maxPerTwin: 1_000_000, maxTotal: 1_000_000 }, maxInFlightPerTwin: 1000 });
    peer.handle("zos.deployment.list", () => {
      served++;
      return [{ contract_id: 7 }];
    });
    peer.handle("zos.system.version", () => ({ zos: "fuzz", zinit: "fuzz" }));
    await peer.start();
    const s = await rawSession(relay.url, user, 12, "fz");
    const request = (uid: string, command: string) =>
      signEnvelope({ uid, timestamp: now(), expiration: 60, source: { twin: 12, connection: "fz" }, destination: { twin: 11 }, message: { kind: "request", command }, schema: JSON_SCHEMA, plain: new TextEncoder().encode("null"), relays: [] }, user);
    const barrier = async (i: number) => {
      const b = await request(`barrier-${i}-${crypto.randomUUID()}`, "zos.system.version");
      s.send(encodeEnvelope(b));
      const r = await s.reply(b.uid, 10_000);
      if (r?.message?.kind !== "response") throw new Error(`the node did not answer a good request after input ${i}: ${JSON.stringify(r?.message ?? null)}`);
    };
    return {
      async feed(rng, i): Promise<Verdict> {
        const valid = encodeEnvelope(await request(`fz-${i}-${rng.int(1e9)}`, "zos.deployment.list"));
        const bytes = envelopeBytes(rng, valid, 12, 11);
        let uid: string | null = null;
        try {
          uid = decodeEnvelope(bytes).uid;
        } catch { /* undecodable: the relay refuses it and nothing reaches the node */ }
        const before = served;
        s.send(bytes);
        const reply = uid === null ? null : await s.reply(uid, 300);
        await barrier(i);
        if (served > before) {
          acceptedServed += served - before;
          return { accepted: true };
        }
        const m = reply?.message;
        if (m?.kind === "error") return { refused: m.message };
        if (m?.kind === "response") throw new Error(`a response without the handler running: ${uid}`);
        s.forget();
        return { refused: "dropped without a reply" };
      },
      state: () => Promise.resolve(JSON.stringify({ servedForRefused: served - acceptedServed })),
      alive: () => barrier(-1),
      async stop() {
        s.ws.close();
        await peer.close();
        await relay.stop();
      },
    };
  },
};
