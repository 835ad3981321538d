// One Cap'n Proto RPC connection (rpc.capnp, level 1) over a byte transport, built on capnp-es serialization.
// It keeps the four tables of the protocol — questions (our calls), answers (the peer's calls), exports (our
// objects the peer holds) and imports (the peer's objects we hold) — and speaks through capnp-es's $.Client
// abstraction, so generated X$Client / X$Server classes work on top of it unchanged.
//
// Everything the peer sends is untrusted: every id and index is looked up and bounds-checked, and any
// malformed frame or protocol violation aborts this connection (Abort sent when possible) — it never throws
// out of the process. Errors thrown by local method implementations become exceptions returned to the peer.
import * as $ from "capnp-es";
import * as R from "capnp-es/capnp/rpc";
import { setImmediate } from "node:timers";
import { asCapnpPipelineClient, ImportClient, type ImportEntry, type ImportOwner, LocalRef, PipelinedClient } from "./clients.ts";
import { defaultFrameLimits, FrameError, FrameReader } from "./framing.ts";
import { LocalAnswer, structOf } from "./local-answer.ts";
import { Question, type QuestionOwner } from "./question.ts";
import type { Transport } from "./transport.ts";
import { copyPointer } from "./copy.ts";
import { type Answer, AnyStruct, disconnectedError, FailedAnswer, FailedClient, RpcError } from "./types.ts";
import {
  asError,
  capTableOf,
  closeQuietly,
  errorFromException,
  fieldsToOps,
  IdAllocator,
  finishFrame,
  frameOf,
  newMessage,
  opsToFields,
  ProtocolError,
  readMessage,
  readTransform,
  releaseFrame,
  writeException,
  writePromisedAnswer,
} from "./wire.ts";

/** Longest a Finish waits for another frame to ride along with (see sendFinishFrame). */
const FINISH_DELAY_MS = 2;

export interface ConnectOptions {
  /** The object we export as our bootstrap capability (usually an X$Server). Not closed by the connection. */
  bootstrap?: $.Client;
  /** Used in error messages. */
  name?: string;
  /** Calls from the peer running at once; more are answered with an "overloaded" exception. Default 256. */
  maxIncomingCalls?: number;
  /**
   * Calls refused as overloaded whose Finish has not come yet (ids only, a few bytes each). A peer beyond
   * this never finishes its questions at all: a protocol violation. Default 65536.
   */
  maxRefusedUnfinished?: number;
  /** Largest frame accepted from the peer. Default 8 MiB. */
  maxFrameBytes?: number;
  /** Largest segment count accepted in a frame. Default 512. */
  maxSegments?: number;
  /** Answers the peer has not finished yet (returned but no Finish); above this the peer is aborted. Default 4096. */
  maxAnswers?: number;
  /** Distinct objects imported from the peer; above this the peer is aborted. Default 65536. */
  maxImports?: number;
  /** Bytes we may have queued towards a peer that does not read; above this it is aborted. Default 64 MiB. */
  maxOutgoingBytes?: number;
}

export interface ConnectionStats {
  framesIn: number;
  /** Frames from the peer with more than one segment (C++ writes those for large messages). */
  multiSegmentFramesIn: number;
  framesOut: number;
  callsIn: number;
  callsOut: number;
  returnsIn: number;
  /** Peer calls running now. */
  running: number;
  questions: number;
  answers: number;
  exports: number;
  imports: number;
}


type ClientCtor<C> = new (client: $.Client) => C;
type InterfaceLike<C> = ClientCtor<C> | { Client: ClientCtor<C> };

interface ExportEntry {
  id: number;
  client: $.Client;
  refs: number;
  /** The connection closes the client when the peer releases it (false for the bootstrap object). */
  owned: boolean;
}

interface AnswerEntry {
  id: number;
  running: boolean;
  /** The local answer while running (pipelined calls queue on it). */
  local: Answer<$.Struct> | null;
  result: $.Pointer | null;
  error: Error | null;
  bootstrap: $.Client | null;
  /** Export ids referenced by our Return (released if the peer's Finish says releaseResultCaps). */
  resultExports: number[];
  /** The peer sent Finish before we returned: the call is canceled. */
  canceled: boolean;
  /** sendResultsTo.yourself: results stay here for a later Return.takeFromOtherQuestion from the peer. */
  redirected: boolean;
  /** Fast path for local X$Server targets: the Return message the results are built in directly. */
  prepared: { msg: $.Message; payload: R.Payload; results: $.Struct } | null;
}


/** Answers queued for a peer beyond which its calls are read no more until it has taken most of them. */
const BACKLOG_PAUSE_BYTES = 1 << 20;
const BACKLOG_RESUME_BYTES = 1 << 18;

export class Connection implements ImportOwner, QuestionOwner {
  readonly name: string;
  /** Resolves when the connection ends: undefined after close(), else the reason (message starts "disconnected"). */
  readonly closed: Promise<Error | undefined>;

  private readonly transport: Transport;
  private readonly bootstrapClient: $.Client | null;
  private readonly maxIncomingCalls: number;
  private readonly maxAnswers: number;
  private readonly maxImports: number;
  private readonly maxOutgoingBytes: number;
  private readonly reader: FrameReader;

  private readonly questions = new Map<number, Question>();
  private readonly questionIds = new IdAllocator();
  private readonly answers = new Map<number, AnswerEntry>();
  /** Calls refused before they ran (overloaded): only their ids are kept, until the peer's Finish. */
  private readonly refused = new Set<number>();
  private readonly maxRefused: number;
  /** Reading from the peer is paused while our answers to it pile up unread (backpressure). */
  private pausedForBacklog: ReturnType<typeof setInterval> | null = null;
  private readonly exports = new Map<number, ExportEntry>();
  private readonly exportIds = new IdAllocator();
  private readonly exportByClient = new Map<$.Client, ExportEntry>();
  private readonly imports = new Map<number, ImportEntry>();
  private readonly embargoes = new Map<number, Question>();
  private nextEmbargoId = 0;

  private closedError: Error | null = null;
  private resolveClosed!: (e: Error | undefined) => void;
  private outQueue: Uint8Array[] = [];
  private flushScheduled = false;
  private lazyScheduled = false;
  /** Timer that sends Finish frames still queued when no other write took them along. */
  private finishTimer: ReturnType<typeof setTimeout> | null = null;
  /** Writes so far (lets the Finish timer tell whether the queue was emptied since it was armed). */
  private flushes = 0;
  private finishArmedAt = 0;
  private running = 0;
  private readonly counters = { framesIn: 0, multiSegmentFramesIn: 0, framesOut: 0, callsIn: 0, callsOut: 0, returnsIn: 0 };

  constructor(transport: Transport, opts: ConnectOptions = {}) {
    this.transport = transport;
    this.name = opts.name ?? "rpc";
    this.bootstrapClient = opts.bootstrap ?? null;
    this.maxIncomingCalls = opts.maxIncomingCalls ?? 256;
    this.maxAnswers = opts.maxAnswers ?? 4096;
    this.maxRefused = opts.maxRefusedUnfinished ?? 65536;
    this.maxImports = opts.maxImports ?? 65536;
    this.maxOutgoingBytes = opts.maxOutgoingBytes ?? 64 * 1024 * 1024;
    this.reader = new FrameReader({
      maxFrameBytes: opts.maxFrameBytes ?? defaultFrameLimits.maxFrameBytes,
      maxSegments: opts.maxSegments ?? defaultFrameLimits.maxSegments,
    });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    transport.start({
      data: (chunk) => this.onData(chunk),
      end: (err) => this.disconnect(disconnectedError(`${this.name}: ${err ? err.message : "peer closed the connection"}`)),
    });
  }

  /** The peer's bootstrap capability as a typed client (usable at once: calls are pipelined until it resolves). */
  bootstrap<C>(iface: { readonly Client: ClientCtor<C> }): C;
  bootstrap<C>(iface: ClientCtor<C>): C;
  bootstrap<C>(iface: InterfaceLike<C>): C {
    const Ctor: ClientCtor<C> = "Client" in iface ? iface.Client : iface;
    return new Ctor(this.bootstrapClientRaw());
  }

  /** The peer's bootstrap capability as an untyped $.Client. */
  bootstrapClientRaw(): $.Client {
    if (this.closedError) return new FailedClient(this.closedError);
    const q = new Question(this, this.questionIds.alloc());
    this.questions.set(q.id, q);
    const out = newMessage();
    out.initRoot(R.Message)._initBootstrap().questionId = q.id;
    this.send(out);
    return new PipelinedClient(q, []);
  }

  /** Ends the connection: every outstanding call and capability rejects with "disconnected: ...". */
  close(): void {
    this.disconnect(disconnectedError(`${this.name}: connection closed`), true);
  }

  get isClosed(): boolean {
    return this.closedError !== null;
  }

  stats(): ConnectionStats {
    return {
      ...this.counters,
      running: this.running,
      questions: this.questions.size,
      answers: this.answers.size,
      exports: this.exports.size,
      imports: this.imports.size,
    };
  }

  // ---- outgoing -------------------------------------------------------------------------------------------

  private send(msg: $.Message): void {
    if (this.closedError) return;
    this.outQueue.push(frameOf(msg));
    this.counters.framesOut++;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Frames produced in one turn go out in one write (fewer syscalls under load).
      queueMicrotask(() => this.flush());
    }
  }

  /**
   * Queues a message that nobody waits for (Finish, Release): it rides along with the next write, or goes out
   * after the current I/O turn. Saves a write and a peer wake-up per call.
   */
  private sendLazy(frame: Uint8Array): void {
    if (this.closedError) return;
    this.outQueue.push(frame);
    this.counters.framesOut++;
    if (!this.flushScheduled && !this.lazyScheduled) {
      this.lazyScheduled = true;
      setImmediate(() => {
        this.lazyScheduled = false;
        if (!this.closedError) this.flush();
      });
    }
  }

  /**
   * Queues a Finish. A Finish frees the peer's answer entry and nothing waits for it, so it is not worth a write
   * (and a wake-up of the peer) of its own: on a busy connection it rides along with the next Call; on a quiet
   * one it leaves within FINISH_DELAY_MS (2 × at most). A proxy answering a call on another connection would
   * otherwise wake the callee once more per call just for the Finish.
   */
  private sendFinishFrame(frame: Uint8Array): void {
    if (this.closedError) return;
    this.outQueue.push(frame);
    this.counters.framesOut++;
    if (!this.flushScheduled && !this.lazyScheduled && !this.finishTimer) this.armFinishTimer();
  }

  private armFinishTimer(): void {
    this.finishArmedAt = this.flushes;
    const t = setTimeout(() => {
      this.finishTimer = null;
      if (this.closedError || this.outQueue.length === 0) return;
      // A write since the timer was armed took the older frames; what is queued now is younger than the delay.
      if (this.flushes !== this.finishArmedAt) this.armFinishTimer();
      else this.flush();
    }, FINISH_DELAY_MS);
    (t as { unref?: () => void }).unref?.();
    this.finishTimer = t;
  }

  private flush(): void {
    this.flushScheduled = false;
    const q = this.outQueue;
    if (q.length === 0) return;
    this.outQueue = [];
    this.flushes++;
    if (q.length === 1) {
      this.write(q[0]);
      return;
    }
    let n = 0;
    for (const b of q) n += b.byteLength;
    const all = new Uint8Array(n);
    let off = 0;
    for (const b of q) {
      all.set(b, off);
      off += b.byteLength;
    }
    this.write(all);
  }

  private write(bytes: Uint8Array): void {
    try {
      this.transport.write(bytes);
    } catch {
      // Transports report write failures through their sink (end); a throw here must not escape a callback.
    }
    const backlog = this.transport.bufferedBytes?.() ?? 0;
    if (backlog > this.maxOutgoingBytes && !this.closedError) {
      // The peer stopped reading: holding more for it would grow our memory without bound.
      this.disconnect(disconnectedError(`${this.name}: peer does not read (${backlog} bytes queued)`));
    } else if (backlog > BACKLOG_PAUSE_BYTES && !this.pausedForBacklog && this.transport.pause && this.transport.resume) {
      // Backpressure: a peer that calls faster than it reads our answers gets its calls read slower.
      this.transport.pause();
      const t = setInterval(() => {
        if (!this.closedError && (this.transport.bufferedBytes?.() ?? 0) > BACKLOG_RESUME_BYTES) return;
        clearInterval(t);
        this.pausedForBacklog = null;
        if (!this.closedError) this.transport.resume!();
      }, 5);
      (t as { unref?: () => void }).unref?.();
      this.pausedForBacklog = t;
    }
  }

  /** Sends a Call to an import or to a promised answer; returns its question. */
  sendCall<P extends $.Struct, Res extends $.Struct>(
    target: { importId: number } | { questionId: number; transform: number[] },
    call: $.Call<P, Res>,
  ): Answer<Res> {
    if (this.closedError) return new FailedAnswer<Res>(this.closedError);
    const q = new Question(this, this.questionIds.alloc());
    const out = newMessage();
    const c = out.initRoot(R.Message)._initCall();
    c.questionId = q.id;
    const t = c._initTarget();
    if ("importId" in target) t.importedCap = target.importId;
    else writePromisedAnswer(t._initPromisedAnswer(), target.questionId, target.transform);
    c.interfaceId = call.method.interfaceId;
    c.methodId = call.method.methodId;
    const payload = c._initParams();
    try {
      if ($.isDataCall(call)) copyPointer(call.params, payload.content);
      else $.placeParams(call, payload.content);
      q.paramExports = this.writeCapTable(payload, out);
    } catch (e) {
      this.questionIds.release(q.id);
      return new FailedAnswer<Res>(e instanceof Error ? e : new Error(String(e)));
    }
    this.questions.set(q.id, q);
    this.counters.callsOut++;
    this.send(out);
    return q as unknown as Answer<Res>;
  }

  callImport<P extends $.Struct, Res extends $.Struct>(entry: ImportEntry, call: $.Call<P, Res>): Answer<Res> {
    if (this.closedError) return new FailedAnswer<Res>(this.closedError);
    if (!entry.live) return new FailedAnswer<Res>(new Error("capability was released"));
    return this.sendCall({ importId: entry.id }, call);
  }

  dropImportRef(entry: ImportEntry): void {
    if (!entry.live) return;
    entry.localRefs--;
    if (entry.localRefs > 0) return;
    entry.live = false;
    if (this.imports.get(entry.id) === entry) this.imports.delete(entry.id);
    if (this.closedError) return;
    this.sendLazy(releaseFrame(entry.id, entry.remoteRefs));
  }

  /** Writes the payload's cap table from the message's capnp-es cap table; returns the export ids it used. */
  private writeCapTable(payload: R.Payload, out: $.Message): number[] {
    const caps = capTableOf(out);
    const exported: number[] = [];
    if (caps.length === 0) return exported;
    const list = payload._initCapTable(caps.length);
    for (let i = 0; i < caps.length; i++) this.describeCap(caps[i], list.get(i), exported);
    return exported;
  }

  private describeCap(client: $.Client | null, d: R.CapDescriptor, exported: number[]): void {
    for (let hops = 0; client && hops < 64; hops++) {
      if (client instanceof LocalRef) {
        client = client.target;
        continue;
      }
      if (client instanceof ImportClient && client.owner === this && !client.closed && client.entry.live) {
        d.receiverHosted = client.entry.id;
        return;
      }
      const pipe = client instanceof PipelinedClient
        ? { answer: client.answer as unknown, transform: client.transform }
        : asCapnpPipelineClient(client);
      if (pipe && pipe.answer instanceof Question && pipe.answer.conn === this) {
        const q = pipe.answer;
        if (!q.finishSent && !q.error) {
          writePromisedAnswer(d._initReceiverAnswer(), q.id, opsToFields(pipe.transform));
          return;
        }
        client = q.resolvedCap(pipe.transform);
        continue;
      }
      break;
    }
    if (!client) {
      d.none = true;
      return;
    }
    let e = this.exportByClient.get(client);
    if (!e) {
      e = { id: this.exportIds.alloc(), client, refs: 0, owned: client !== this.bootstrapClient };
      this.exports.set(e.id, e);
      this.exportByClient.set(client, e);
    }
    e.refs++;
    d.senderHosted = e.id;
    exported.push(e.id);
  }

  private releaseExport(id: number, count: number): void {
    const e = this.exports.get(id);
    if (!e) throw new ProtocolError(`Release of unknown export id ${id}`);
    if (count > e.refs) throw new ProtocolError(`Release of export ${id} by ${count} but only ${e.refs} held`);
    e.refs -= count;
    if (e.refs > 0) return;
    this.exports.delete(id);
    this.exportByClient.delete(e.client);
    this.exportIds.release(id);
    if (e.owned) closeQuietly(e.client);
  }

  /** Called by a question when its Return arrived and no embargo is pending. */
  sendFinish(q: Question): void {
    if (q.finishSent) return;
    q.finishSent = true;
    this.questions.delete(q.id);
    if (this.closedError) return;
    this.sendFinishFrame(finishFrame(q.id));
    this.questionIds.release(q.id);
  }

  /** Disembargo (senderLoopback) on a pipelined capability that resolved back to us. */
  sendEmbargo(q: Question, fields: number[]): void {
    const id = this.nextEmbargoId++ >>> 0;
    this.embargoes.set(id, q);
    const out = newMessage();
    const d = out.initRoot(R.Message)._initDisembargo();
    writePromisedAnswer(d._initTarget()._initPromisedAnswer(), q.id, fields);
    d._initContext().senderLoopback = id;
    this.send(out);
  }

  isImportOf(c: $.Client): boolean {
    return c instanceof ImportClient && c.owner === this;
  }

  /** The client at `transform` inside a results pointer (capnp-es cap table of that message). */
  capAt(root: $.Pointer, fields: number[]): $.Client {
    try {
      let p = root;
      for (const f of fields) {
        if ($.utils.isNull(p)) return new FailedClient(new Error("null capability in pipelined result"));
        if ($.utils.getTargetPointerType(p) !== $.PointerType.STRUCT) {
          return new FailedClient(new Error("pipelined transform goes through a non-struct pointer"));
        }
        const st = new $.Struct(p.segment, p.byteOffset, p._capnp.depthLimit);
        $.utils.checkPointerBounds(f, st);
        p = $.utils.getPointer(f, st);
      }
      if ($.utils.isNull(p)) return new FailedClient(new Error("null capability in result"));
      if ($.utils.getPointerType(p) !== $.PointerType.OTHER) return new FailedClient(new Error("not a capability"));
      const id = $.utils.getInterfacePointer(p);
      const table = capTableOf(p.segment.message);
      const c = id < table.length ? table[id] : null;
      return c ?? new FailedClient(new Error("capability index out of range"));
    } catch (e) {
      return new FailedClient(e instanceof Error ? e : new Error(String(e)));
    }
  }

  // ---- incoming -------------------------------------------------------------------------------------------

  private onData(chunk: Uint8Array): void {
    if (this.closedError) return;
    let frames: Uint8Array[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.abort(e instanceof FrameError ? e.message : String(e));
      return;
    }
    for (const f of frames) {
      if (this.closedError) return;
      this.counters.framesIn++;
      if (f[0] !== 0 || f[1] !== 0 || f[2] !== 0 || f[3] !== 0) this.counters.multiSegmentFramesIn++;
      try {
        this.handleFrame(f);
      } catch (e) {
        const why = e instanceof ProtocolError ? e.message : `malformed message: ${(e as Error)?.message ?? e}`;
        this.abort(why);
        return;
      }
    }
  }

  private handleFrame(frame: Uint8Array): void {
    const msg = readMessage(frame);
    const root = msg.getRoot(R.Message);
    switch (root.which()) {
      case R.Message.CALL:
        return this.onCall(msg, root.call);
      case R.Message.RETURN:
        return this.onReturn(msg, root.return);
      case R.Message.FINISH:
        return this.onFinish(root.finish);
      case R.Message.BOOTSTRAP:
        return this.onBootstrap(root.bootstrap);
      case R.Message.RELEASE:
        return this.releaseExport(root.release.id, root.release.referenceCount);
      case R.Message.RESOLVE:
        return this.onResolve(root.resolve);
      case R.Message.DISEMBARGO:
        return this.onDisembargo(root, root.disembargo);
      case R.Message.ABORT: {
        const reason = root.abort.reason;
        this.disconnect(disconnectedError(`${this.name}: peer aborted: ${reason}`));
        return;
      }
      case R.Message.UNIMPLEMENTED:
        return this.onUnimplemented(root.unimplemented);
      default: {
        // Level 2+ messages (provide, accept, join, obsolete save/delete): echo back as unimplemented.
        const out = newMessage();
        out.initRoot(R.Message).unimplemented = root;
        this.send(out);
      }
    }
  }

  private newImport(id: number): ImportClient {
    let e = this.imports.get(id);
    if (!e) {
      if (this.imports.size >= this.maxImports) throw new ProtocolError(`more than ${this.maxImports} imports`);
      e = { id, remoteRefs: 0, localRefs: 0, live: true };
      this.imports.set(id, e);
    }
    e.remoteRefs++;
    return new ImportClient(this, e);
  }

  /** Turns the peer's cap descriptors into clients and installs them as the message's capnp-es cap table. */
  private readCapTable(msg: $.Message, payload: R.Payload): void {
    const table = capTableOf(msg);
    if (!payload._hasCapTable()) return;
    const list = payload.capTable;
    const n = list.length;
    for (let i = 0; i < n; i++) table.push(this.readCapDescriptor(list.get(i)));
  }

  private readCapDescriptor(d: R.CapDescriptor): $.Client | null {
    switch (d.which()) {
      case R.CapDescriptor.NONE:
        return null;
      case R.CapDescriptor.SENDER_HOSTED:
        return this.newImport(d.senderHosted);
      case R.CapDescriptor.SENDER_PROMISE:
        // Level 1 simplification: calls keep going to the promise; the peer forwards them once resolved.
        return this.newImport(d.senderPromise);
      case R.CapDescriptor.RECEIVER_HOSTED: {
        const e = this.exports.get(d.receiverHosted);
        if (!e) throw new ProtocolError(`receiverHosted names unknown export ${d.receiverHosted}`);
        return new LocalRef(e.client);
      }
      case R.CapDescriptor.RECEIVER_ANSWER: {
        const pa = d.receiverAnswer;
        return new LocalRef(this.answerCap(pa.questionId, readTransform(pa)));
      }
      case R.CapDescriptor.THIRD_PARTY_HOSTED:
        // Level 3 is not implemented; the spec lets level 1 use the vine (a senderHosted export).
        return this.newImport(d.thirdPartyHosted.vineId);
      default:
        throw new ProtocolError("unknown CapDescriptor kind");
    }
  }

  private answerCap(questionId: number, fields: number[]): $.Client {
    const a = this.answers.get(questionId);
    if (!a) throw new ProtocolError(`promisedAnswer names unknown question ${questionId}`);
    if (a.bootstrap) {
      return fields.length === 0 ? a.bootstrap : new FailedClient(new Error("transform on the bootstrap cap"));
    }
    if (a.running && a.local) return new PipelinedClient(a.local, fieldsToOps(fields));
    if (a.error) return new FailedClient(a.error);
    if (a.result) return this.capAt(a.result, fields);
    return new FailedClient(new Error("answer has no result"));
  }

  private targetClient(t: R.MessageTarget): $.Client {
    const which = t.which();
    if (which === R.MessageTarget.IMPORTED_CAP) {
      const id = t.importedCap;
      const e = this.exports.get(id);
      if (!e) throw new ProtocolError(`call to unknown export id ${id}`);
      return e.client;
    }
    if (which === R.MessageTarget.PROMISED_ANSWER) {
      const pa = t.promisedAnswer;
      return this.answerCap(pa.questionId, readTransform(pa));
    }
    throw new ProtocolError("unknown MessageTarget kind");
  }

  private newAnswer(id: number): AnswerEntry {
    if (this.answers.has(id)) throw new ProtocolError(`question id ${id} reused before Finish`);
    if (this.answers.size >= this.maxAnswers) throw new ProtocolError(`more than ${this.maxAnswers} unfinished answers`);
    const a: AnswerEntry = {
      id,
      running: false,
      local: null,
      result: null,
      error: null,
      bootstrap: null,
      resultExports: [],
      canceled: false,
      redirected: false,
      prepared: null,
    };
    this.answers.set(id, a);
    return a;
  }

  private onBootstrap(b: R.Bootstrap): void {
    const a = this.newAnswer(b.questionId);
    const out = newMessage();
    const ret = out.initRoot(R.Message)._initReturn();
    ret.answerId = a.id;
    ret.releaseParamCaps = false;
    if (!this.bootstrapClient) {
      a.error = new RpcError("failed", `${this.name} exports no bootstrap capability`);
      writeException(ret._initException(), a.error);
    } else {
      a.bootstrap = this.bootstrapClient;
      const p = ret._initResults();
      $.utils.setInterfacePointer(out.addCap(this.bootstrapClient), p.content);
      a.resultExports = this.writeCapTable(p, out);
    }
    this.send(out);
  }

  private onCall(msg: $.Message, c: R.Call): void {
    this.counters.callsIn++;
    if (this.refused.has(c.questionId)) throw new ProtocolError(`question id ${c.questionId} reused before Finish`);
    if (this.running >= this.maxIncomingCalls || this.answers.size >= this.maxAnswers) {
      // Overload is not a violation: the call is answered `overloaded` and costs us only its id until Finish.
      this.targetClient(c.target); // a forged target still is one
      if (this.answers.has(c.questionId)) throw new ProtocolError(`question id ${c.questionId} reused before Finish`);
      if (this.refused.size >= this.maxRefused) {
        throw new ProtocolError(`more than ${this.maxRefused} refused calls never finished (the peer sends no Finish)`);
      }
      for (const cap of capTableOf(msg)) if (cap) closeQuietly(cap);
      this.refused.add(c.questionId);
      const busy = this.running >= this.maxIncomingCalls ? `${this.maxIncomingCalls} calls in progress` : `${this.maxAnswers} answers not yet finished by the peer`;
      this.returnError({ id: c.questionId } as AnswerEntry, new RpcError("overloaded", `${this.name}: more than ${busy}`));
      return;
    }
    const a = this.newAnswer(c.questionId);
    const target = this.targetClient(c.target);
    const payload = c.params;
    this.readCapTable(msg, payload);
    let refused: RpcError | null = null;
    const to = c.sendResultsTo.which();
    if (to === R.Call_SendResultsTo.YOURSELF) a.redirected = true;
    else if (to !== R.Call_SendResultsTo.CALLER) {
      refused = new RpcError("unimplemented", "sendResultsTo thirdParty (level 3) is not supported");
    }
    if (refused) {
      for (const cap of capTableOf(msg)) if (cap) closeQuietly(cap);
      this.returnError(a, refused);
      return;
    }
    const local = this.dispatch(a, target, c.interfaceId, c.methodId, payload.content);
    a.local = local;
    a.running = true;
    this.running++;
    structOf(local).then(
      (res) => this.guard(() => this.completeAnswer(a, res, null)),
      (err) => this.guard(() => this.completeAnswer(a, null, asError(err))),
    );
  }

  /** Delivers a call to a local client; typed params when the interface's generated code is loaded. */
  private dispatch(
    a: AnswerEntry,
    client: $.Client,
    interfaceId: bigint,
    methodId: number,
    content: $.Pointer,
  ): Answer<$.Struct> {
    try {
      let method: $.Method<$.Struct, $.Struct> | undefined;
      let server: $.Server | null = null;
      if (client instanceof $.Server) {
        const m = client.methods[methodId];
        if (!m || m.interfaceId !== interfaceId) {
          return new FailedAnswer(new RpcError("unimplemented", `method @${methodId} of interface 0x${interfaceId.toString(16)} not implemented`));
        }
        method = m;
        server = client;
      } else {
        const cls = ($.Registry as unknown as { lookup(id: bigint): { methods?: $.Method<$.Struct, $.Struct>[] } | undefined })
          .lookup(interfaceId);
        method = cls?.methods?.[methodId];
        method ??= { interfaceId, methodId, ParamsClass: AnyStruct, ResultsClass: AnyStruct };
      }
      let params: $.Struct;
      if ($.utils.isNull(content)) params = newMessage().initRoot(method.ParamsClass);
      else if ($.utils.getTargetPointerType(content) !== $.PointerType.STRUCT) {
        return new FailedAnswer(new RpcError("failed", "call params are not a struct"));
      } else params = new method.ParamsClass(content.segment, content.byteOffset, content._capnp.depthLimit);
      if (server) {
        // Call the implementation ourselves with results allocated inside the Return message: no separate
        // results message, no copy, no capnp-es Fulfiller.
        const msg = newMessage();
        const ret = msg.initRoot(R.Message)._initReturn();
        ret.answerId = a.id;
        ret.releaseParamCaps = false;
        const payload = ret._initResults();
        const content = payload.content;
        const results = new method.ResultsClass(content.segment, content.byteOffset, content._capnp.depthLimit);
        $.utils.initStruct(method.ResultsClass._capnp.size, results);
        a.prepared = { msg, payload, results };
        const local = new LocalAnswer((root, t) => this.capAt(root, opsToFields(t)));
        const impl = server.methods[methodId].impl;
        try {
          impl.call(server.target, params, results).then(() => local.resolve(results), (e: unknown) => local.reject(asError(e)));
        } catch (e) {
          local.reject(asError(e));
        }
        return local;
      }
      const answer = client.call({ method, params }) as Answer<$.Struct>;
      return answer;
    } catch (e) {
      return new FailedAnswer(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private completeAnswer(a: AnswerEntry, res: $.Struct | null, err: Error | null): void {
    this.running--;
    a.running = false;
    a.local = null;
    // Results nobody will receive: release the capabilities they carry (a call that returns a new object on a
    // connection that died meanwhile would otherwise keep that object alive for good; found by `npm run fuzz`).
    if (this.closedError) return dropResults(res);
    if (a.canceled) {
      dropResults(res);
      this.answers.delete(a.id);
      const out = newMessage();
      const ret = out.initRoot(R.Message)._initReturn();
      ret.answerId = a.id;
      ret.releaseParamCaps = false;
      ret.canceled = true;
      this.send(out);
      return;
    }
    if (a.redirected) {
      // Tail call: the results stay with us; the peer will point one of our questions at them.
      a.result = res;
      a.error = err ?? (res ? null : new Error("no result"));
      const out = newMessage();
      const ret = out.initRoot(R.Message)._initReturn();
      ret.answerId = a.id;
      ret.releaseParamCaps = false;
      ret.resultsSentElsewhere = true;
      this.send(out);
      return;
    }
    if (err || !res) {
      this.returnError(a, err ?? new Error("no result"));
      return;
    }
    a.result = res;
    const prepared = a.prepared;
    a.prepared = null;
    if (prepared && prepared.results === res) {
      try {
        a.resultExports = this.writeCapTable(prepared.payload, prepared.msg);
      } catch (e) {
        this.returnError(a, asError(e));
        return;
      }
      this.send(prepared.msg);
      return;
    }
    const out = newMessage();
    const ret = out.initRoot(R.Message)._initReturn();
    ret.answerId = a.id;
    ret.releaseParamCaps = false;
    const p = ret._initResults();
    try {
      copyPointer(res, p.content);
      a.resultExports = this.writeCapTable(p, out);
    } catch (e) {
      this.returnError(a, e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.send(out);
  }

  private returnError(a: AnswerEntry, err: Error): void {
    a.error = err;
    const out = newMessage();
    const ret = out.initRoot(R.Message)._initReturn();
    ret.answerId = a.id;
    ret.releaseParamCaps = false;
    writeException(ret._initException(), err);
    this.send(out);
  }

  private onReturn(msg: $.Message, ret: R.Return): void {
    this.counters.returnsIn++;
    const q = this.questions.get(ret.answerId);
    if (!q || q.returned) throw new ProtocolError(`Return for unknown question ${ret.answerId}`);
    if (q.paramExports.length > 0 && ret.releaseParamCaps) {
      for (const id of q.paramExports) if (this.exports.has(id)) this.releaseExport(id, 1);
    }
    q.paramExports = [];
    switch (ret.which()) {
      case R.Return.RESULTS: {
        const payload = ret.results;
        this.readCapTable(msg, payload);
        q.resolve(payload.content);
        return;
      }
      case R.Return.EXCEPTION:
        q.reject(errorFromException(ret.exception));
        return;
      case R.Return.CANCELED:
        q.reject(new RpcError("failed", "call was canceled"));
        return;
      case R.Return.TAKE_FROM_OTHER_QUESTION: {
        // The peer forwarded our call back to us (sendResultsTo.yourself): its results are our results.
        const a = this.answers.get(ret.takeFromOtherQuestion);
        if (!a || !a.redirected) {
          throw new ProtocolError(`takeFromOtherQuestion names unknown redirected answer ${ret.takeFromOtherQuestion}`);
        }
        if (a.running && a.local) {
          structOf(a.local).then(
            (res) => this.guard(() => q.resolve(res, true)),
            (e) => this.guard(() => q.reject(asError(e))),
          );
        } else if (a.result) q.resolve(a.result, true);
        else q.reject(a.error ?? new Error("redirected call has no result"));
        q.returned = true;
        return;
      }
      case R.Return.RESULTS_SENT_ELSEWHERE:
        throw new ProtocolError("resultsSentElsewhere for a call that did not ask for it");
      default:
        throw new ProtocolError("Return kind of level 3 (third-party / tail calls) was never requested");
    }
  }

  private onFinish(f: R.Finish): void {
    if (this.refused.delete(f.questionId)) return;
    const a = this.answers.get(f.questionId);
    if (!a) throw new ProtocolError(`Finish for unknown question ${f.questionId}`);
    if (a.running) {
      a.canceled = true;
      return;
    }
    this.answers.delete(a.id);
    if (f.releaseResultCaps) for (const id of a.resultExports) if (this.exports.has(id)) this.releaseExport(id, 1);
  }

  private onResolve(r: R.Resolve): void {
    // We keep calling the promise itself (the peer forwards), so the resolution is only accounted and dropped.
    if (r.which() === R.Resolve.CAP) {
      const c = this.readCapDescriptor(r.cap);
      if (c) closeQuietly(c);
    }
  }

  private onDisembargo(root: R.Message, d: R.Disembargo): void {
    const ctx = d.context;
    switch (ctx.which()) {
      case R.Disembargo_Context.SENDER_LOOPBACK: {
        let c: $.Client = this.targetClient(d.target);
        while (c instanceof LocalRef) c = c.target;
        if (!(c instanceof ImportClient) || c.owner !== this) {
          throw new ProtocolError("senderLoopback Disembargo on a capability that does not point back to the sender");
        }
        const importId = c.entry.id;
        const embargoId = ctx.senderLoopback;
        // Let calls already queued towards that capability leave first (they precede the echo on the wire).
        setTimeout(() =>
          this.guard(() => {
            if (this.closedError) return;
            const out = newMessage();
            const r = out.initRoot(R.Message)._initDisembargo();
            r._initTarget().importedCap = importId;
            r._initContext().receiverLoopback = embargoId;
            this.send(out);
          }), 0);
        return;
      }
      case R.Disembargo_Context.RECEIVER_LOOPBACK: {
        const q = this.embargoes.get(ctx.receiverLoopback);
        if (!q) throw new ProtocolError(`Disembargo echo for unknown embargo ${ctx.receiverLoopback}`);
        this.embargoes.delete(ctx.receiverLoopback);
        q.embargoLifted();
        return;
      }
      default: {
        const out = newMessage();
        out.initRoot(R.Message).unimplemented = root;
        this.send(out);
      }
    }
  }

  private onUnimplemented(m: R.Message): void {
    const which = m.which();
    if (which === R.Message.CALL || which === R.Message.BOOTSTRAP) {
      const id = which === R.Message.CALL ? m.call.questionId : m.bootstrap.questionId;
      const q = this.questions.get(id);
      if (!q || q.returned) throw new ProtocolError(`Unimplemented echo for unknown question ${id}`);
      for (const e of q.paramExports) if (this.exports.has(e)) this.releaseExport(e, 1);
      q.paramExports = [];
      q.reject(new RpcError("unimplemented", "peer does not implement this message"));
      return;
    }
    if (which === R.Message.DISEMBARGO) {
      // The peer cannot echo embargoes: finish the questions waiting for one rather than hang.
      for (const [id, q] of this.embargoes) {
        this.embargoes.delete(id);
        q.embargoLifted();
      }
    }
  }

  // ---- ending ---------------------------------------------------------------------------------------------

  /** Runs work from a callback (not under onData's try): a failure aborts this connection, never the process. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.abort(`internal error: ${asError(e).message}`);
    }
  }

  private abort(reason: string): void {
    if (this.closedError) return;
    const out = newMessage();
    const e = out.initRoot(R.Message)._initAbort();
    e.type = 0;
    e.reason = reason;
    this.send(out);
    this.disconnect(disconnectedError(`${this.name}: protocol error: ${reason}`));
  }

  private disconnect(err: Error, byUs = false): void {
    if (this.closedError) return;
    this.closedError = err;
    this.flush(); // what was queued (e.g. an Abort) still goes out
    if (this.finishTimer) clearTimeout(this.finishTimer);
    this.finishTimer = null;
    for (const q of this.questions.values()) q.reject(err);
    this.questions.clear();
    this.embargoes.clear();
    for (const e of this.exports.values()) if (e.owned) closeQuietly(e.client);
    this.exports.clear();
    this.exportByClient.clear();
    for (const e of this.imports.values()) e.live = false;
    this.imports.clear();
    this.answers.clear();
    try {
      this.transport.close();
    } catch { /* transport already gone */ }
    this.resolveClosed(byUs ? undefined : err);
  }

  get error(): Error | null {
    return this.closedError;
  }
}


function dropResults(res: $.Struct | null): void {
  if (res) for (const cap of capTableOf(res.segment.message)) if (cap) closeQuietly(cap);
}

/** Starts an RPC connection over a transport. */
export function connect(transport: Transport, opts: ConnectOptions = {}): Connection {
  return new Connection(transport, opts);
}
