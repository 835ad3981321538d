// The RMB relay (spec/RMB.md §2, §7): authenticates WebSocket peers with their twin's JWT, keeps one
// session per (twin, sid), answers envelope pings, routes envelopes by destination, queues for
// briefly-offline twins of this relay, and answers undeliverable requests with unsigned error
// envelopes. It never decrypts nor checks envelope signatures — peers do that.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import {
  type Address,
  decodeEnvelope,
  describeAddress,
  encodeEnvelope,
  type Envelope,
  sameAddress,
} from "../../capabilities/rmb/envelope.ts";
import { JwtError, verifyJwt } from "../../capabilities/rmb/jwt.ts";
import { KeepAliveClock } from "../../capabilities/rmb/keepalive.ts";
import type { TwinLookup } from "../../capabilities/rmb/twins.ts";
import { DEFAULT_LIMITS, type RateLimits, TokenBucket } from "./limits.ts";
import { Metrics } from "./metrics.ts";
import { OfflineQueue, type QueueLimits } from "./queue.ts";

export interface RelayOptions {
  twins: TwinLookup;
  host?: string;
  port?: number;
  /** extra relay names twins may carry in their `relay` field to be queued here while offline */
  domains?: string[];
  limits?: Partial<RateLimits>;
  /** offline-queue bounds (per session and in total, by count and bytes) */
  queue?: Partial<QueueLimits>;
  /** frames above this close the connection (1009); between maxEnvelopeBytes and this get an error envelope */
  maxFrameBytes?: number;
  /** WS keep-alive: ping period; a peer silent for 2 periods is dropped */
  keepAliveMs?: number;
  log?: (line: string) => void;
}

interface Session {
  key: string;
  address: Address;
  ws: WebSocket;
  messages: TokenBucket;
  bytes: TokenBucket;
  alive: boolean;
  /** keep-alive periods in a row without a pong or a frame (ticks that came late do not count) */
  missed: number;
}

const sessionKey = (twin: number, sid: string | undefined) => `${twin}/${sid ?? ""}`;

/** Strips the forms different clients store in a twin's relay field down to host[:port]. */
export function normaliseRelayName(name: string): string {
  return name.trim().replace(/^wss?:\/\/?/, "").replace(/\/.*$/, "").toLowerCase();
}

export class Relay {
  readonly metrics = new Metrics();
  private opts: RelayOptions;
  private limits: RateLimits;
  private server: http.Server;
  private wss: WebSocketServer;
  private sessions = new Map<string, Session>();
  private queue: OfflineQueue;
  private connectBuckets = new Map<string, TokenBucket>();
  /** federation in: per source twin (the sending relay answers for its twins), and over all of it */
  private federationBuckets = new Map<number, { messages: TokenBucket; bytes: TokenBucket }>();
  private federationTotal: { messages: TokenBucket; bytes: TokenBucket };
  private domains = new Set<string>();
  private timers: ReturnType<typeof setInterval>[] = [];
  private log: (line: string) => void;
  private m: Record<string, (labels?: Record<string, string>, by?: number) => void>;
  url = "";

  constructor(opts: RelayOptions) {
    this.opts = opts;
    this.limits = { ...DEFAULT_LIMITS };
    for (const [k, v] of Object.entries(opts.limits ?? {})) {
      if (typeof v === "number") (this.limits as unknown as Record<string, number>)[k] = v;
    }
    this.log = opts.log ?? (() => {});
    this.queue = new OfflineQueue(opts.queue);
    this.federationTotal = {
      messages: new TokenBucket(this.limits.messagesPerSecond * 4),
      bytes: new TokenBucket(this.limits.bytesPerSecond * 4),
    };
    const maxFrame = opts.maxFrameBytes ?? Math.max(8 * 1024 * 1024, this.limits.maxEnvelopeBytes * 4);
    this.server = http.createServer((req, res) => this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: maxFrame, perMessageDeflate: false });
    this.server.on("upgrade", (req, socket, head) => {
      this.onUpgrade(req, socket, head).catch((err) => {
        this.log(`relay: upgrade failed: ${(err as Error).message}`);
        rejectUpgrade(socket, 500, "internal error");
      });
    });
    const mm = this.metrics;
    this.m = {
      connections: mm.counter("rmb_relay_connections_total", "WebSocket sessions accepted"),
      sessionsDropped: mm.counter("rmb_relay_sessions_dropped_total", "Sessions the relay ended, by reason (keepalive: silent for two periods)"),
      authFail: mm.counter("rmb_relay_auth_failures_total", "Connection attempts refused, by reason"),
      received: mm.counter("rmb_relay_envelopes_received_total", "Binary frames received from sessions"),
      receivedBytes: mm.counter("rmb_relay_received_bytes_total", "Bytes received from sessions"),
      forwarded: mm.counter("rmb_relay_envelopes_forwarded_total", "Envelopes delivered to a live session"),
      queued: mm.counter("rmb_relay_envelopes_queued_total", "Envelopes queued for an offline session"),
      pings: mm.counter("rmb_relay_pings_total", "Envelope pings answered with a pong"),
      errors: mm.counter("rmb_relay_error_envelopes_total", "Error envelopes sent back, by reason"),
      dropped: mm.counter(
        "rmb_relay_envelopes_dropped_total",
        "Envelopes dropped without an error reply, by reason",
      ),
      federation: mm.counter(
        "rmb_relay_federation_in_total",
        "Envelopes received over POST / (federation), by result",
      ),
    };
    mm.gauge("rmb_relay_sessions", "Live sessions", () => this.sessions.size);
    mm.gauge("rmb_relay_queue_envelopes", "Envelopes waiting for offline sessions", () => this.queue.size());
    mm.gauge("rmb_relay_queue_bytes", "Bytes waiting for offline sessions", () => this.queue.byteSize());
  }

  async listen(): Promise<string> {
    const host = this.opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port ?? 0, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const port = (this.server.address() as AddressInfo).port;
    const hostPart = host.includes(":") ? `[${host}]` : host;
    this.url = `ws://${hostPart}:${port}`;
    for (const d of [`${hostPart}:${port}`, `localhost:${port}`, ...(this.opts.domains ?? [])]) {
      this.domains.add(normaliseRelayName(d));
    }
    if (host === "127.0.0.1" || host === "0.0.0.0") this.domains.add(`127.0.0.1:${port}`);
    const keepAlive = new KeepAliveClock(this.opts.keepAliveMs ?? 30_000);
    this.timers.push(setInterval(() => this.keepAlive(keepAlive.onTime()), keepAlive.periodMs));
    this.timers.push(setInterval(() => this.queue.sweep(), 60_000));
    return this.url;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sessions.values()) s.ws.terminate();
    this.sessions.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Drops sessions silent for two periods. A late tick (this process was busy) judges no one: what the
   * peers sent meanwhile may still be unread, and dropping them would lose it.
   */
  private keepAlive(onTime: boolean): void {
    for (const s of this.sessions.values()) {
      if (s.alive) s.missed = 0;
      else if (onTime) s.missed++;
      if (s.missed >= 2) {
        this.m.sessionsDropped({ reason: "keepalive" });
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(this.metrics.render());
      return;
    }
    if (req.method === "POST" && path === "/") {
      this.onFederation(req, res);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found: this relay serves WebSocket upgrades (/?<jwt>), POST / and GET /metrics\n");
  }

  /** Federation in: another relay hands us an envelope for one of our sessions. */
  private onFederation(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > this.limits.maxEnvelopeBytes && !refused) {
        refused = true;
        this.m.federation({ result: "too-large" });
        res.writeHead(413, { "content-type": "text/plain" });
        res.end(`envelope larger than ${this.limits.maxEnvelopeBytes} bytes\n`);
        req.destroy();
      }
      if (!refused) chunks.push(c);
    });
    req.on("end", () => {
      if (refused) return;
      this.acceptFederated(new Uint8Array(Buffer.concat(chunks))).then(
        ([status, result, text]) => {
          this.m.federation({ result });
          res.writeHead(status, { "content-type": "text/plain" });
          res.end(text ? text + "\n" : undefined);
        },
        (err) => {
          this.m.federation({ result: "lookup-failed" });
          res.writeHead(503, { "content-type": "text/plain" });
          res.end(`cannot look up twins right now (${(err as Error).message}); retry later\n`);
        },
      );
    });
  }

  /**
   * Accepts a federated envelope only as rmb-relay federates (spec/RMB.md §7): another relay forwards
   * an envelope of one of *its* twins to a twin whose relay is *this* one. So the destination twin must
   * name this relay, and the source twin must exist and name another relay — a twin of this relay talks
   * over its authenticated session, where the source-equals-session check and its rate limits apply.
   * Federated traffic is rate-limited per source twin and in total, and queued within the queue bounds.
   * Answers [HTTP status, metric result, message]; 4xx are permanent for the sending relay.
   */
  private async acceptFederated(frame: Uint8Array): Promise<[number, string, string]> {
    let env: Envelope;
    try {
      env = decodeEnvelope(frame);
    } catch (err) {
      return [400, "malformed", `malformed envelope: ${(err as Error).message}`];
    }
    const dst = env.destination;
    const src = env.source;
    if (!dst?.twin) return [400, "no-destination", "envelope has no destination twin"];
    if (!src?.twin) return [400, "no-source", "envelope has no source twin"];
    const kind = env.message?.kind;
    if (kind === "ping" || kind === "pong" || !kind) return [400, "not-routable", `a ${kind ?? "message-less"} envelope is not federated`];
    if (env.timestamp + env.expiration <= Math.floor(Date.now() / 1000)) return [400, "expired", "envelope already expired"];
    const [dstTwin, srcTwin] = await Promise.all([this.opts.twins.get(dst.twin), this.opts.twins.get(src.twin)]);
    if (!dstTwin || !this.isOurs(dstTwin.relay)) {
      return [403, "not-ours", `destination twin ${dst.twin} ${dstTwin ? "does not use this relay" : "does not exist"}; federate to its own relay`];
    }
    if (!srcTwin) return [403, "unknown-source", `source twin ${src.twin} does not exist`];
    const srcRelays = (srcTwin.relay ?? "").split("_").filter(Boolean).map(normaliseRelayName);
    if (!srcRelays.length || srcRelays.some((r) => this.domains.has(r))) {
      return [403, "wrong-source", `source twin ${src.twin} ${srcRelays.length ? "uses this relay: send over your session" : "names no relay, so no relay federates for it"}`];
    }
    let b = this.federationBuckets.get(src.twin);
    if (!b) {
      if (this.federationBuckets.size > 10_000) this.federationBuckets.clear();
      b = { messages: new TokenBucket(this.limits.messagesPerSecond), bytes: new TokenBucket(this.limits.bytesPerSecond) };
      this.federationBuckets.set(src.twin, b);
    }
    if (!b.messages.take(1) || !b.bytes.take(frame.length) || !this.federationTotal.messages.take(1) || !this.federationTotal.bytes.take(frame.length)) {
      return [429, "rate-limited", `federation rate limit exceeded for twin ${src.twin}; slow down and retry`];
    }
    const key = sessionKey(dst.twin, dst.connection);
    const target = this.sessions.get(key);
    if (target && target.ws.readyState === WebSocket.OPEN) {
      target.ws.send(frame);
      this.m.forwarded();
      return [202, "accepted", ""];
    }
    const pushed = this.queue.push(key, frame, (env.timestamp + env.expiration) * 1000);
    if (pushed !== "queued") return [429, "queue-full", `destination ${describeAddress(dst)} offline and ${pushed === "session-full" ? "its" : "this relay's"} queue is full`];
    this.m.queued();
    return [202, "accepted", ""];
  }

  private isOurs(relayField: string | null): boolean {
    return (relayField ?? "").split("_").some((r) => r && this.domains.has(normaliseRelayName(r)));
  }

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const from = req.socket.remoteAddress ?? "?";
    let bucket = this.connectBuckets.get(from);
    if (!bucket) {
      if (this.connectBuckets.size > 10_000) this.connectBuckets.clear();
      this.connectBuckets.set(from, bucket = new TokenBucket(this.limits.connectsPerSecondPerAddress));
    }
    if (!bucket.take(1)) {
      this.m.authFail({ reason: "too-many-connects" });
      rejectUpgrade(socket, 429, `too many connection attempts from ${from}; retry in a second`);
      return;
    }
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const token = q >= 0 ? decodeURIComponent(url.slice(q + 1)) : "";
    if (!token) {
      this.m.authFail({ reason: "missing" });
      rejectUpgrade(socket, 400, "missing jwt: connect to ws://relay/?<JWT>");
      return;
    }
    let claims;
    try {
      claims = await verifyJwt(token, async (twin) => (await this.opts.twins.get(twin))?.accountId ?? null);
    } catch (err) {
      if (!(err instanceof JwtError)) {
        this.m.authFail({ reason: "lookup-failed" });
        rejectUpgrade(
          socket,
          503,
          `cannot look up the twin right now (${(err as Error).message}); retry later`,
        );
        return;
      }
      this.m.authFail({ reason: err.reason });
      rejectUpgrade(socket, err.reason === "malformed" ? 400 : 401, `${err.reason}: ${err.message}`);
      return;
    }
    const key = sessionKey(claims.sub, claims.sid);
    if (!this.sessions.has(key)) {
      let held = 0;
      for (const s of this.sessions.values()) if (s.address.twin === claims.sub) held++;
      if (held >= this.limits.maxSessionsPerTwin) {
        this.m.authFail({ reason: "too-many-sessions" });
        rejectUpgrade(
          socket,
          429,
          `twin ${claims.sub} already holds ${held} sessions (limit ${this.limits.maxSessionsPerTwin})`,
        );
        return;
      }
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onSession(ws, claims.sub, claims.sid));
  }

  private onSession(ws: WebSocket, twin: number, sid: string | undefined): void {
    const key = sessionKey(twin, sid);
    const old = this.sessions.get(key);
    if (old) {
      this.m.sessionsDropped({ reason: "replaced" });
      old.ws.close(4000, "replaced by a newer connection of the same twin and session");
    }
    const session: Session = {
      key,
      address: sid ? { twin, connection: sid } : { twin },
      ws,
      messages: new TokenBucket(this.limits.messagesPerSecond),
      bytes: new TokenBucket(this.limits.bytesPerSecond),
      alive: true,
      missed: 0,
    };
    this.sessions.set(key, session);
    this.m.connections();
    this.log(`relay: session ${key} connected`);
    ws.on("pong", () => session.alive = true);
    ws.on("message", (data, isBinary) => {
      session.alive = true;
      this.onFrame(session, toBytes(data), isBinary);
    });
    ws.on("close", () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
      this.log(`relay: session ${key} closed`);
    });
    ws.on("error", () => {});
    for (const frame of this.queue.drain(key)) {
      ws.send(frame);
      this.m.forwarded();
    }
  }

  private replyError(s: Session, uid: string, reason: string, message: string): void {
    const env: Envelope = {
      uid,
      timestamp: Math.floor(Date.now() / 1000),
      expiration: 300,
      destination: s.address,
      message: { kind: "error", code: 0, message },
      relays: [],
    };
    this.m.errors({ reason });
    if (s.ws.readyState === WebSocket.OPEN) s.ws.send(encodeEnvelope(env));
  }

  private onFrame(s: Session, frame: Uint8Array, isBinary: boolean): void {
    this.m.received();
    this.m.receivedBytes({}, frame.length);
    if (!isBinary) {
      this.replyError(s, "", "text-frame", "text frames are not accepted: send binary protobuf envelopes");
      return;
    }
    let env: Envelope;
    try {
      env = decodeEnvelope(frame);
    } catch (err) {
      this.replyError(s, "", "malformed", `malformed envelope: ${(err as Error).message}`);
      return;
    }
    if (frame.length > this.limits.maxEnvelopeBytes) {
      this.replyError(
        s,
        env.uid,
        "too-large",
        `envelope is ${frame.length} bytes, over this relay's limit of ${this.limits.maxEnvelopeBytes} bytes`,
      );
      return;
    }
    if (!s.messages.take(1) || !s.bytes.take(frame.length)) {
      this.replyError(
        s,
        env.uid,
        "rate-limited",
        `rate limit exceeded for twin ${
          describeAddress(s.address)
        } (${this.limits.messagesPerSecond} envelopes/s, ` +
          `${this.limits.bytesPerSecond} bytes/s); slow down and retry`,
      );
      return;
    }
    if (!sameAddress(env.source, s.address)) {
      this.replyError(
        s,
        env.uid,
        "wrong-source",
        `message wrong source: envelope says ${describeAddress(env.source)}, session is ${
          describeAddress(s.address)
        }`,
      );
      return;
    }
    if (env.message?.kind === "ping") {
      const plain = new Uint8Array([...(env.plain ?? []), ...new TextEncoder().encode("hello world")]);
      const pong: Envelope = {
        ...env,
        source: env.destination ?? { twin: 0 },
        destination: env.source,
        message: { kind: "pong" },
        plain,
        cipher: undefined,
      };
      delete pong.cipher;
      this.m.pings();
      s.ws.send(encodeEnvelope(pong));
      return;
    }
    const dst = env.destination;
    if (!dst?.twin) {
      this.replyError(
        s,
        env.uid,
        "no-destination",
        "missing destination: envelope destination twin is 0 or unset",
      );
      return;
    }
    const target = this.sessions.get(sessionKey(dst.twin, dst.connection));
    if (target && target.ws.readyState === WebSocket.OPEN) {
      target.ws.send(frame);
      this.m.forwarded();
      return;
    }
    this.routeOffline(s, env, frame).catch((err) => {
      this.replyError(
        s,
        env.uid,
        "lookup-failed",
        `cannot route to twin ${dst.twin}: ${(err as Error).message}`,
      );
    });
  }

  private async routeOffline(s: Session, env: Envelope, frame: Uint8Array): Promise<void> {
    const dst = env.destination!;
    const isRequest = env.message?.kind === "request";
    const fail = (reason: string, message: string) => {
      if (isRequest) this.replyError(s, env.uid, reason, message);
      else this.m.dropped({ reason });
    };
    const twin = await this.opts.twins.get(dst.twin);
    // The session may have connected while we looked the twin up.
    const target = this.sessions.get(sessionKey(dst.twin, dst.connection));
    if (target && target.ws.readyState === WebSocket.OPEN) {
      target.ws.send(frame);
      this.m.forwarded();
      return;
    }
    if (!twin) return fail("unknown-twin", `destination twin ${dst.twin} does not exist`);
    const tags = (env.tags ?? "").split(/[\s,]+/);
    const ours = this.isOurs(twin.relay);
    if (!ours || tags.includes("fail-fast")) {
      return fail(
        "offline",
        `destination ${describeAddress(dst)} offline` +
          (ours ? "" : " (not connected to this relay, and this relay does not federate)"),
      );
    }
    const until = (env.timestamp + env.expiration) * 1000;
    const pushed = this.queue.push(sessionKey(dst.twin, dst.connection), frame, until);
    if (pushed !== "queued") {
      return fail("queue-full", `destination ${describeAddress(dst)} offline and ${pushed === "session-full" ? "its" : "this relay's"} queue is full`);
    }
    this.m.queued();
  }
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data as Buffer[]));
  return new Uint8Array(data as ArrayBuffer);
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const text = http.STATUS_CODES[status] ?? "Error";
  const body = message + "\n";
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${
      Buffer.byteLength(body)
    }\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}
