// RmbPeer: a twin's presence on one or more relays. Connects with a fresh JWT, keeps the socket alive,
// reconnects with backoff; serves registered commands (verifying, decrypting, de-duplicating every
// request) and sends requests correlated by uid with a timeout. The node's api module serves zos.* on it.
import { randomUUID } from "node:crypto";
import { WebSocket } from "ws";
import { challenge } from "./challenge.ts";
import { type E2eKey, open, seal } from "./e2e.ts";
import {
  type Address,
  decodeEnvelope,
  encodeEnvelope,
  type Envelope,
  isExpired,
  JSON_SCHEMA,
} from "./envelope.ts";
import { PeerErrorCode, RmbError } from "./errors.ts";
import { FairGate, type Release } from "./fair-gate.ts";
import { KeepAliveClock } from "./keepalive.ts";
import { DEFAULT_REPLAY_LIMITS, type ReplayLimits, ReplayCache } from "./replay.ts";
import { asRmbSigner, type RmbSigner } from "./rmb-signer.ts";
import type { Signer } from "../lib/signer.ts";
import { verifyPrefixed } from "./signature.ts";
import type { Twin, TwinLookup } from "./twins.ts";

export interface RequestContext {
  /** the caller's twin id (signature verified) — use it for authorization */
  twin: number;
  connection?: string;
  uid: string;
  command: string;
  /** the body as received (after decryption) */
  raw: Uint8Array;
  envelope: Envelope;
}

export type Handler = (payload: unknown, ctx: RequestContext) => unknown | Promise<unknown>;

export interface RmbPeerOptions {
  relayUrls: string[];
  twinId: number;
  /** an attenuated RmbSigner (the node's, from the identity driver) or an in-memory key (tools, tests) */
  signer: Signer | RmbSigner;
  /** twin records of senders (signature keys and e2e pks) */
  twins: TwinLookup;
  /** own e2e key; without it, bodies are sent and accepted only in plain */
  e2e?: E2eKey;
  /** session id; unset = the twin's null session (what a node uses) */
  session?: string;
  requestTimeoutMs?: number;
  /** WS ping period; a link silent for two periods is dropped and redialled */
  keepAliveMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  jwtTtlS?: number;
  /** lifetime we put on replies */
  replyExpirationS?: number;
  /** replay-cache bounds: clock skew, longest expiration, remembered requests per twin and in total */
  replay?: Partial<ReplayLimits>;
  /** requests handled at once, over all senders (default 16) */
  maxConcurrentRequests?: number;
  /** requests one sender twin may have in flight (running or waiting); more are answered "busy" (default 16) */
  maxInFlightPerTwin?: number;
  /** signatures requested from the signer at once (default 16; below the kernel's per-grant limit of 64) */
  maxConcurrentSignatures?: number;
  /** replies one destination twin may have waiting for a signature; beyond it they are dropped and counted */
  maxPendingRepliesPerTwin?: number;
  /**
   * sender twin records looked up at once (default 16): a node's lookups are calls to the chain driver
   * through a kernel grant (64 in flight), so 100 new twins arriving together must queue, not overflow it
   */
  maxConcurrentLookups?: number;
  log?: (line: string) => void;
}

/** Error code of the "busy" reply (the HTTP status it means). */
export const BUSY_CODE = 429;

export interface PeerStats {
  requestsServed: number;
  requestsRejected: number;
  framesDropped: number;
  reconnects: number;
  /** requests answered "busy" because their twin had too many in flight */
  requestsBusy: number;
  /** requests refused by the replay cache (replayed, future, too long, expired, full) */
  requestsReplayRefused: number;
  /** replies (or error replies) that could not be signed or sent; each is also logged */
  repliesFailed: number;
  /** requests that failed inside the peer itself (e.g. the sender's twin record could not be read); each got an error reply */
  requestsFailed: number;
  /** replies the relay refused (too large, rate limit); each requester got a short error reply instead */
  repliesRefused: number;
}

/** How long a sent reply is remembered, so a relay's refusal of it can still be turned into an error reply. */
const SENT_REPLY_MEMORY_MS = 60_000;
/** How long a reply waits for a relay link when every link is down (redialling) before it counts as failed. */
const REPLY_WAIT_FOR_LINK_MS = 30_000;
/** Bound on remembered replies (uid and requester address each). */
const SENT_REPLY_MAX = 20_000;

interface Pending {
  dst: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface Link {
  url: string;
  ws: WebSocket | null;
  open: boolean;
  lastError: string;
  wake: (() => void) | null;
}

export class RmbPeer {
  readonly twinId: number;
  readonly stats: PeerStats = {
    requestsServed: 0,
    requestsRejected: 0,
    framesDropped: 0,
    reconnects: 0,
    requestsBusy: 0,
    requestsReplayRefused: 0,
    repliesFailed: 0,
    requestsFailed: 0,
    repliesRefused: 0,
  };
  private opts: RmbPeerOptions;
  private handlers = new Map<string, Handler>();
  private pending = new Map<string, Pending>();
  private replay: ReplayCache;
  private requestGate: FairGate<number>;
  private signGate: FairGate<number>;
  private lookupGate: FairGate<number>;
  /** uid → requester of responses sent in the last minute (insertion order = age) */
  private sentReplies = new Map<string, { to: Address; at: number }>();
  private signer: RmbSigner;
  private links: Link[];
  private closed = false;
  private openWaiters: (() => void)[] = [];
  private log: (line: string) => void;
  private me: Address;
  /** open links that went down, and why the last one did (a timed-out request says so) */
  private linkDrops = 0;
  private lastDrop = "";

  constructor(opts: RmbPeerOptions) {
    if (!opts.relayUrls.length) throw new Error("RmbPeer needs at least one relay URL");
    this.opts = opts;
    this.twinId = opts.twinId;
    this.me = opts.session ? { twin: opts.twinId, connection: opts.session } : { twin: opts.twinId };
    this.links = opts.relayUrls.map((url) => ({ url, ws: null, open: false, lastError: "", wake: null }));
    this.log = opts.log ?? (() => {});
    this.signer = asRmbSigner(opts.signer);
    this.replay = new ReplayCache({ ...DEFAULT_REPLAY_LIMITS, ...opts.replay });
    const perTwin = opts.maxInFlightPerTwin ?? 16;
    this.requestGate = new FairGate({ concurrency: opts.maxConcurrentRequests ?? 16, perKey: perTwin });
    // a twin's replies (and its "busy" errors) wait their turn for the signer; one flooding twin cannot
    // hold the signature slots every other twin's replies need
    this.signGate = new FairGate({
      concurrency: opts.maxConcurrentSignatures ?? 16,
      perKey: opts.maxPendingRepliesPerTwin ?? 4096,
    });
    // lookups of one twin are few (a cache shares them), so the per-key bound only has to be generous
    this.lookupGate = new FairGate({ concurrency: opts.maxConcurrentLookups ?? 16, perKey: 4096 });
  }

  /** Unexpired requests the replay cache remembers (bounded; for tests and metrics). */
  replayCacheSize(): number {
    return this.replay.size();
  }

  /** Registers the handler for `command` (replacing any earlier one). */
  handle(command: string, handler: Handler): this {
    this.handlers.set(command, handler);
    return this;
  }

  /** Starts dialling every relay; resolves once one link is open, rejects with the last dial error after waitMs. */
  async start(waitMs = 10_000): Promise<void> {
    for (const link of this.links) void this.runLink(link);
    await this.waitOpen(waitMs);
  }

  isConnected(): boolean {
    return this.links.some((l) => l.open);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RmbError("local", 0, "peer closed"));
    }
    this.pending.clear();
    const waits: Promise<void>[] = [];
    for (const link of this.links) {
      link.wake?.();
      const ws = link.ws;
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        waits.push(
          new Promise((resolve) => {
            ws.once("close", () => resolve());
            setTimeout(() => resolve(), 1000);
          }),
        );
        ws.close(1000, "peer closing");
      }
    }
    await Promise.all(waits);
  }

  /** Sends `command` to twin `dst` and resolves with the JSON-parsed reply. */
  async request(
    dst: number,
    command: string,
    payload: unknown,
    opts: { timeoutMs?: number; connection?: string } = {},
  ): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs ?? 20_000;
    const started = Date.now();
    const twin = await this.opts.twins.get(dst);
    if (!twin) {
      throw new RmbError("local", PeerErrorCode.unknownTwin, `destination twin ${dst} does not exist`);
    }
    const body = new TextEncoder().encode(JSON.stringify(payload ?? null));
    const env: Envelope = {
      uid: randomUUID(),
      timestamp: Math.floor(Date.now() / 1000),
      expiration: Math.max(1, Math.ceil(timeoutMs / 1000)),
      source: this.me,
      destination: opts.connection ? { twin: dst, connection: opts.connection } : { twin: dst },
      message: { kind: "request", command },
      schema: JSON_SCHEMA,
      relays: [],
    };
    await this.setBody(env, body, twin);
    env.signature = await this.signer.signEnvelope(env);
    const link = await this.openLink(Math.max(1, timeoutMs - (Date.now() - started)));
    const drops = this.linkDrops;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(env.uid);
        // a link that went down meanwhile can have taken the request or its reply with it: say so
        const dropped = this.linkDrops - drops;
        const why = dropped ? ` (the link to the relay went down ${dropped} time(s) meanwhile, last: ${this.lastDrop}; the request or its reply may have been lost with it)` : "";
        reject(new RmbError("timeout", 0, `no reply from twin ${dst} to ${command} within ${timeoutMs} ms${why}`));
      }, Math.max(1, timeoutMs - (Date.now() - started)));
      this.pending.set(env.uid, { dst, resolve, reject, timer });
      link.ws!.send(encodeEnvelope(env));
    });
  }

  /** Envelope ping through the relay; resolves with the round trip in ms. */
  async ping(timeoutMs = 10_000): Promise<number> {
    const link = await this.openLink(timeoutMs);
    const env: Envelope = {
      uid: randomUUID(),
      timestamp: Math.floor(Date.now() / 1000),
      expiration: Math.ceil(timeoutMs / 1000),
      source: this.me,
      destination: { twin: 0 },
      message: { kind: "ping" },
      relays: [],
    };
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(env.uid);
        reject(new RmbError("timeout", 0, `no pong from ${link.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(env.uid, { dst: 0, resolve, reject, timer });
      link.ws!.send(encodeEnvelope(env));
    });
    return performance.now() - t0;
  }

  // ---- connection management ----

  private async waitOpen(waitMs: number): Promise<void> {
    if (this.isConnected()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.openWaiters = this.openWaiters.filter((w) => w !== done);
        const why = this.links.map((l) => `${l.url}: ${l.lastError || "no answer"}`).join("; ");
        reject(new RmbError("local", 0, `not connected to any relay within ${waitMs} ms (${why})`));
      }, waitMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.openWaiters.push(done);
    });
  }

  private async openLink(waitMs: number): Promise<Link> {
    if (this.closed) throw new RmbError("local", 0, "peer closed");
    await this.waitOpen(waitMs);
    return this.links.find((l) => l.open)!;
  }

  private async runLink(link: Link): Promise<void> {
    const min = this.opts.reconnectMinMs ?? 250;
    const max = this.opts.reconnectMaxMs ?? 10_000;
    let attempt = 0;
    while (!this.closed) {
      const opened = await this.dialOnce(link);
      if (this.closed) break;
      if (opened) attempt = 0;
      this.stats.reconnects++;
      const delay = Math.min(max, min * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt = Math.min(attempt + 1, 20);
      this.log(`rmb: ${link.url} down (${link.lastError}); redial in ${Math.round(delay)} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        link.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      link.wake = null;
    }
  }

  /** One connection's life; resolves when it ends, true if it was ever open. */
  private async dialOnce(link: Link): Promise<boolean> {
    let token: string;
    try {
      const iat = Math.floor(Date.now() / 1000);
      token = await this.signer.signJwt({
        sub: this.twinId,
        iat,
        exp: iat + (this.opts.jwtTtlS ?? 60),
        ...(this.opts.session ? { sid: this.opts.session } : {}),
      });
    } catch (err) {
      link.lastError = `cannot sign JWT: ${(err as Error).message}`;
      return false;
    }
    const base = link.url.includes("?") ? link.url.slice(0, link.url.indexOf("?")) : link.url;
    const ws = new WebSocket(`${base.endsWith("/") ? base : base + "/"}?${token}`, {
      perMessageDeflate: false,
      // relays cap envelopes far below this; the cap only protects the peer from a misbehaving relay
      maxPayload: 16 * 1024 * 1024,
    });
    link.ws = ws;
    let opened = false;
    const keepAliveMs = this.opts.keepAliveMs ?? 20_000;
    let lastRead = Date.now();
    let ticker: ReturnType<typeof setInterval> | undefined;
    await new Promise<void>((resolve) => {
      ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (c: Buffer) => body += c.toString());
        res.on("end", () => {
          link.lastError = `relay refused: HTTP ${res.statusCode} ${body.trim()}`;
          ws.terminate();
        });
      });
      ws.on("open", () => {
        opened = true;
        link.open = true;
        link.lastError = "";
        this.log(`rmb: connected to ${link.url} as twin ${this.twinId}`);
        const clock = new KeepAliveClock(keepAliveMs);
        ticker = setInterval(() => {
          // a late tick: this process was busy, what the relay sent may still be unread — judge next time
          if (clock.onTime() && Date.now() - lastRead > 2 * keepAliveMs) {
            link.lastError = "no traffic for two keep-alive periods";
            ws.terminate();
          } else ws.ping();
        }, keepAliveMs);
        const waiters = this.openWaiters;
        this.openWaiters = [];
        for (const w of waiters) w();
      });
      ws.on("pong", () => lastRead = Date.now());
      ws.on("message", (data, isBinary) => {
        lastRead = Date.now();
        if (!isBinary) {
          this.stats.framesDropped++;
          return;
        }
        const bytes = data instanceof Uint8Array ? data : new Uint8Array(Buffer.concat(data as Buffer[]));
        this.onFrame(link, bytes).catch((err) => {
          this.stats.framesDropped++;
          this.log(`rmb: frame handling failed: ${(err as Error).message}`);
        });
      });
      ws.on("error", (err) => {
        if (!link.lastError) link.lastError = err.message;
      });
      ws.on("close", (code, reason) => {
        if (opened && !link.lastError) link.lastError = `closed ${code} ${reason.toString()}`;
        resolve();
      });
    });
    clearInterval(ticker);
    link.open = false;
    link.ws = null;
    if (opened) {
      this.linkDrops++;
      this.lastDrop = `${link.url}: ${link.lastError || "closed"}`;
    }
    return opened;
  }

  // ---- incoming ----

  private onFrame(link: Link, bytes: Uint8Array): Promise<void> {
    let env: Envelope;
    try {
      env = decodeEnvelope(bytes);
    } catch {
      this.stats.framesDropped++;
      return Promise.resolve();
    }
    const kind = env.message?.kind;
    if (kind === "request") return this.onRequest(link, env);
    if (kind === "response" || kind === "error" || kind === "pong") return this.onReply(link, env);
    this.stats.framesDropped++;
    return Promise.resolve();
  }

  private async onReply(link: Link, env: Envelope): Promise<void> {
    const p = this.pending.get(env.uid);
    if (!p) {
      if (!env.source?.twin && env.message?.kind === "error") return this.onReplyRefused(link, env);
      this.stats.framesDropped++;
      return;
    }
    const settle = (fn: () => void) => {
      this.pending.delete(env.uid);
      clearTimeout(p.timer);
      fn();
    };
    const m = env.message!;
    if (m.kind === "pong") return settle(() => p.resolve(null));
    if (!env.source?.twin) {
      // Relay-generated errors carry no source and no signature.
      if (m.kind === "error") {
        return settle(() => p.reject(new RmbError("relay", m.code, `relay: ${m.message}`)));
      }
      this.stats.framesDropped++;
      return;
    }
    if (env.source.twin !== p.dst) {
      this.stats.framesDropped++; // a reply for our uid from someone we did not ask: ignore it
      return;
    }
    const twin = await this.opts.twins.get(env.source.twin);
    if (!twin || !env.signature || !(await verifyPrefixed(challenge(env), env.signature, twin.accountId))) {
      return settle(() =>
        p.reject(
          new RmbError(
            "invalid-reply",
            PeerErrorCode.badSignature,
            `reply from twin ${env.source!.twin} has an invalid signature; discarded`,
          ),
        )
      );
    }
    if (m.kind === "error") return settle(() => p.reject(new RmbError("remote", m.code, m.message)));
    let body: Uint8Array;
    try {
      body = this.readBody(env, twin);
    } catch (err) {
      return settle(() =>
        p.reject(new RmbError("invalid-reply", PeerErrorCode.crypto, (err as Error).message))
      );
    }
    const text = new TextDecoder().decode(body);
    try {
      const value = text.length ? JSON.parse(text) : null;
      settle(() => p.resolve(value));
    } catch {
      settle(() =>
        p.reject(new RmbError("invalid-reply", PeerErrorCode.invalidPayload, "reply body is not JSON"))
      );
    }
  }

  /**
   * The relay refused a response we sent (larger than its envelope limit — a long zos.deployment.list —, or over
   * its rate limit): the requester would wait for its timeout, so it gets a short error reply saying why.
   */
  private async onReplyRefused(link: Link, env: Envelope): Promise<void> {
    const sent = this.sentReplies.get(env.uid);
    if (!sent) {
      this.stats.framesDropped++;
      return;
    }
    this.sentReplies.delete(env.uid);
    this.stats.repliesRefused++;
    const why = env.message?.kind === "error" ? env.message.message : "refused";
    const message = `the node's reply could not be delivered: the relay refused it (${why})`;
    this.log(`rmb: reply ${env.uid} to twin ${sent.to.twin}: ${message}`);
    await this.reply(link, { uid: env.uid, source: sent.to } as Envelope, { kind: "error", code: PeerErrorCode.other, message }, null, null);
  }

  private rememberReply(uid: string, to: Address): void {
    const now = Date.now();
    for (const [k, v] of this.sentReplies) {
      if (now - v.at < SENT_REPLY_MEMORY_MS && this.sentReplies.size < SENT_REPLY_MAX) break;
      this.sentReplies.delete(k);
    }
    this.sentReplies.set(uid, { to, at: now });
  }

  /**
   * Every request that reaches the peer gets a reply: a failure inside the peer itself (a twin lookup the
   * chain driver could not answer, a bug) is answered with an error instead of silence, so the caller
   * learns at once rather than at its timeout.
   */
  private async onRequest(link: Link, env: Envelope): Promise<void> {
    try {
      await this.onRequestChecked(link, env);
    } catch (err) {
      this.stats.requestsFailed++;
      const message = `the node could not process the request: ${(err as Error)?.message ?? String(err)}; retry`;
      this.log(`rmb: request ${env.uid} from twin ${env.source?.twin}: ${message}`);
      await this.reply(link, env, { kind: "error", code: PeerErrorCode.other, message }, null, null);
    }
  }

  private async onRequestChecked(link: Link, env: Envelope): Promise<void> {
    const src = env.source;
    if (!src?.twin) {
      this.stats.framesDropped++;
      return;
    }
    if (env.destination?.twin !== this.twinId) {
      this.stats.framesDropped++;
      return;
    }
    const reject = async (code: number, message: string, twin: Twin | null) => {
      this.stats.requestsRejected++;
      await this.reply(link, env, { kind: "error", code, message }, null, twin);
    };
    if (isExpired(env)) return reject(PeerErrorCode.expired, "request expired before it was processed", null);
    const twin = await this.lookup(src.twin);
    if (!twin) return reject(PeerErrorCode.unknownTwin, `sender twin ${src.twin} does not exist`, null);
    const digest = challenge(env);
    if (!env.signature || !(await verifyPrefixed(digest, env.signature, twin.accountId))) {
      return reject(
        PeerErrorCode.badSignature,
        `bad signature: envelope is not signed by twin ${src.twin}'s key`,
        twin,
      );
    }
    // keyed on the signed challenge: any change to any signed field is a different key, and no
    // unsigned field (there are none but the signature) can make a replay look new
    const admitted = this.replay.admit(src.twin, digest, env.timestamp, env.expiration);
    if (!admitted.ok) {
      this.stats.requestsReplayRefused++;
      const code = admitted.reason === "expired" ? PeerErrorCode.expired : PeerErrorCode.invalidMessage;
      return reject(code, admitted.message, twin);
    }
    const entered = this.requestGate.tryEnter(src.twin);
    if (!entered) {
      this.stats.requestsBusy++;
      return reject(
        BUSY_CODE,
        `busy: twin ${src.twin} already has ${this.requestGate.opts.perKey} requests in flight at this node; ` +
          "wait for their replies before sending more",
        twin,
      );
    }
    const release = await entered;
    try {
      await this.serve(link, env, twin, reject);
    } finally {
      release();
    }
  }

  private async serve(
    link: Link,
    env: Envelope,
    twinIn: Twin,
    reject: (code: number, message: string, twin: Twin | null) => Promise<void>,
  ): Promise<void> {
    let twin = twinIn;
    const src = env.source!;
    if (isExpired(env)) return reject(PeerErrorCode.expired, "request expired while waiting its turn", twin);
    if (env.schema !== JSON_SCHEMA) {
      return reject(
        PeerErrorCode.invalidMessage,
        `unsupported schema "${env.schema ?? ""}": use ${JSON_SCHEMA}`,
        twin,
      );
    }
    let raw: Uint8Array;
    try {
      [raw, twin] = await this.readBodyFresh(env, twin);
    } catch (err) {
      const code = env.cipher && !twin.pk ? PeerErrorCode.senderHasNoPk : PeerErrorCode.crypto;
      return reject(code, (err as Error).message, twin);
    }
    let payload: unknown = null;
    const text = new TextDecoder().decode(raw);
    if (text.trim().length) {
      try {
        payload = JSON.parse(text);
      } catch {
        return reject(PeerErrorCode.invalidPayload, "payload is not valid JSON", twin);
      }
    }
    const command = (env.message as { command: string }).command;
    const handler = this.handlers.get(command);
    if (!handler) return reject(PeerErrorCode.handler, "function is not found", twin);
    let result: unknown;
    try {
      result = await handler(payload, {
        twin: src.twin,
        connection: src.connection,
        uid: env.uid,
        command,
        raw,
        envelope: env,
      });
    } catch (err) {
      return reject(PeerErrorCode.handler, (err as Error)?.message ?? String(err), twin);
    }
    this.stats.requestsServed++;
    await this.reply(
      link,
      env,
      { kind: "response" },
      new TextEncoder().encode(JSON.stringify(result ?? null)),
      twin,
    );
  }

  private async reply(
    link: Link,
    req: Envelope,
    message: Envelope["message"],
    body: Uint8Array | null,
    twin: Twin | null,
  ): Promise<void> {
    const env: Envelope = {
      uid: req.uid,
      timestamp: Math.floor(Date.now() / 1000),
      expiration: this.opts.replyExpirationS ?? 300,
      source: this.me,
      destination: req.source,
      message,
      schema: JSON_SCHEMA,
      relays: [],
    };
    const to = req.source?.twin ?? 0;
    try {
      if (body) await this.setBody(env, body, twin);
      env.signature = await this.signFair(to, env);
    } catch (err) {
      this.stats.repliesFailed++;
      this.log(`rmb: reply ${req.uid} to twin ${to} not sent: ${(err as Error).message}`);
      return;
    }
    let ws = link.ws?.readyState === WebSocket.OPEN ? link.ws : this.links.find((l) => l.open)?.ws;
    if (!ws && !this.closed) {
      // every link is down (redialling): the reply waits for one rather than being lost with the link
      await this.waitOpen(REPLY_WAIT_FOR_LINK_MS).catch(() => {});
      ws = this.links.find((l) => l.open)?.ws;
    }
    if (!ws) {
      this.stats.repliesFailed++;
      this.log(`rmb: reply ${req.uid} to twin ${to} not sent: no relay link is open (waited ${REPLY_WAIT_FOR_LINK_MS / 1000} s)`);
      return;
    }
    if (message?.kind === "response" && req.source) this.rememberReply(req.uid, req.source);
    ws.send(encodeEnvelope(env));
  }

  /**
   * A sender's twin record, at most `maxConcurrentLookups` at once, retrying while the source is
   * momentarily unavailable (the kernel answers "overloaded" at a grant's in-flight limit).
   */
  private async lookup(id: number): Promise<Twin | null> {
    const release = await this.lookupGate.tryEnter(id);
    if (!release) throw new Error(`twin ${id} has too many lookups waiting`);
    try {
      return await this.retryTransient(() => this.opts.twins.get(id));
    } finally {
      release();
    }
  }

  /** Runs `fn`, retrying (with backoff, up to 8 attempts) while it fails with "overloaded" or "disconnected". */
  private async retryTransient<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const msg = (err as Error)?.message ?? "";
        const transient = /overloaded|disconnected/.test(msg);
        if (!transient || attempt >= 8 || this.closed) throw err;
        await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      }
    }
  }

  /**
   * Signs a reply in `twin`'s turn, retrying while the signer is momentarily unavailable (the kernel
   * answers "overloaded" when a grant has too many calls in flight, "disconnected" while the identity
   * driver restarts): a reply is delayed, never silently dropped.
   */
  private async signFair(twin: number, env: Envelope): Promise<Uint8Array> {
    const entered = this.signGate.tryEnter(twin);
    if (!entered) {
      throw new Error(`twin ${twin} has ${this.signGate.opts.perKey} replies waiting for a signature`);
    }
    const release: Release = await entered;
    try {
      return await this.retryTransient(() => this.signer.signEnvelope(env));
    } finally {
      release();
    }
  }

  /**
   * Encrypts for `twin` when both twins publish an e2e pk on chain (the rule of the official client:
   * a receiver can only decrypt when it finds our pk), else sends plain.
   */
  private async setBody(env: Envelope, body: Uint8Array, twin: Twin | null): Promise<void> {
    const e2e = this.opts.e2e;
    if (e2e && twin?.pk && (await this.ownPkPublished(e2e))) env.cipher = seal(e2e.sharedKey(twin.pk), body);
    else env.plain = body;
  }

  private async ownPkPublished(e2e: E2eKey): Promise<boolean> {
    const me = await this.opts.twins.get(this.twinId).catch(() => null);
    return Boolean(
      me?.pk && me.pk.length === e2e.publicKey.length && me.pk.every((b, i) => b === e2e.publicKey[i]),
    );
  }

  /**
   * readBody, but if a cached pk does not open the cipher, re-reads the twin once: the sender may have
   * just published a new pk (the official client updates its twin on connect).
   */
  private async readBodyFresh(env: Envelope, twin: Twin): Promise<[Uint8Array, Twin]> {
    try {
      return [this.readBody(env, twin), twin];
    } catch (err) {
      if (!env.cipher?.length || !this.opts.twins.invalidate) throw err;
      this.opts.twins.invalidate(twin.id);
      const fresh = await this.opts.twins.get(twin.id);
      if (!fresh) throw err;
      return [this.readBody(env, fresh), fresh];
    }
  }

  private readBody(env: Envelope, twin: Twin): Uint8Array {
    if (env.cipher && env.cipher.length) {
      if (!twin.pk) throw new Error(`sender twin ${twin.id} sent cipher but has no pk on chain`);
      if (!this.opts.e2e) throw new Error("this peer has no e2e key and cannot decrypt cipher payloads");
      return open(this.opts.e2e.sharedKey(twin.pk), env.cipher);
    }
    return env.plain ?? new Uint8Array(0);
  }
}
