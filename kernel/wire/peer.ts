// One end of a kernel-wire connection: a small object-capability protocol whose every message is a
// Cap'n Proto `Frame` (capabilities/schema/kernel.capnp). Each side keeps an export table (capabilities it
// serves, id 0 = its bootstrap) and an import table (references to the other side's exports). A reference
// can only be used by naming an id the other side issued on this connection, so ids cannot be forged into
// anything but an "unknown capability" error.
import * as $ from "capnp-es";
import { Frame } from "../../capabilities/schema/gen/kernel.ts";
import { RpcError, parseErrorType, toRpcError } from "./errors.ts";
import { FrameSplitter, FramingError } from "./framing.ts";

export interface Payload {
  bytes: Uint8Array;
  caps: Cap[];
}

/** A capability reference: local object or remote import, the same to its user. */
export interface Cap {
  call(interfaceId: bigint, methodId: number, params: Payload): Promise<Payload>;
  /** Drops this reference; later calls fail with `disconnected`. */
  release(): void;
}

export interface Transport {
  send(bytes: Uint8Array): void;
  close(): void;
}

export interface PeerOptions {
  /** Calls the other side may have in flight on us before we answer `overloaded`. */
  maxInflight?: number;
  name?: string;
}

interface Question {
  resolve(p: Payload): void;
  reject(e: RpcError): void;
}

const EMPTY = new Uint8Array(0);

/** One row of the import table: how often the peer sent the id, and how many local holders remain. */
interface ImportEntry {
  id: number;
  remoteRefs: number;
  localRefs: number;
}

/** A reference to a capability the other side serves. Each holder gets its own object; release() drops
 * only that holder's reference, and the last one tells the other side. */
export class RemoteCap implements Cap {
  readonly peer: Peer;
  readonly importId: number;
  released = false;
  constructor(peer: Peer, importId: number) {
    this.peer = peer;
    this.importId = importId;
  }
  call(interfaceId: bigint, methodId: number, params: Payload): Promise<Payload> {
    if (this.released) return Promise.reject(new RpcError("disconnected", `reference ${this.importId} was released`));
    return this.peer.sendCall(this.importId, interfaceId, methodId, params);
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.peer.dropImport(this);
  }
}

export class Peer {
  readonly name: string;
  private readonly transport: Transport;
  private readonly splitter = new FrameSplitter();
  private readonly exports = new Map<number, { cap: Cap; refs: number }>();
  private readonly exportIds = new Map<Cap, number>();
  private readonly imports = new Map<number, ImportEntry>();
  private readonly holders = new Set<RemoteCap>();
  private readonly questions = new Map<number, Question>();
  private nextExport = 1;
  private nextQuestion = 1;
  private inflight = 0;
  private readonly maxInflight: number;
  private closeReason: string | null = null;
  private readonly closeListeners: ((reason: string) => void)[] = [];
  /** Counters for observers (kernel events, tests). */
  readonly stats = { callsIn: 0, callsOut: 0, rejectedOverload: 0, unknownTarget: 0 };

  constructor(transport: Transport, bootstrap: Cap | null, opts: PeerOptions = {}) {
    this.transport = transport;
    this.name = opts.name ?? "peer";
    this.maxInflight = opts.maxInflight ?? 1024;
    if (bootstrap) this.exports.set(0, { cap: bootstrap, refs: 1 });
  }

  /** The other side's bootstrap capability. */
  bootstrap(): RemoteCap {
    return this.importCap(0, false);
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  onClose(fn: (reason: string) => void): void {
    if (this.closeReason !== null) fn(this.closeReason);
    else this.closeListeners.push(fn);
  }

  /** Feeds bytes read from the transport. */
  receive(chunk: Uint8Array): void {
    if (this.closeReason !== null) return;
    let messages: Uint8Array[];
    try {
      messages = this.splitter.push(chunk);
    } catch (err) {
      this.protocolError(err instanceof FramingError ? err.message : String(err));
      return;
    }
    for (const m of messages) {
      if (this.closeReason !== null) return;
      try {
        this.handle(m);
      } catch (err) {
        this.protocolError(`malformed frame: ${(err as Error).message}`);
        return;
      }
    }
  }

  /** The transport ended (EOF, process exit): every pending call fails with `disconnected`. */
  close(reason: string): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    for (const q of this.questions.values()) q.reject(new RpcError("disconnected", `connection to ${this.name} closed: ${reason}`));
    this.questions.clear();
    for (const e of this.exports.values()) if (e.cap !== this.exports.get(0)?.cap) e.cap.release();
    this.exports.clear();
    this.exportIds.clear();
    for (const h of this.holders) h.released = true;
    this.holders.clear();
    this.imports.clear();
    try {
      this.transport.close();
    } catch { /* already closed */ }
    for (const fn of this.closeListeners.splice(0)) fn(reason);
  }

  private protocolError(reason: string): void {
    if (this.closeReason !== null) return;
    try {
      const m = new $.Message();
      const f = m.initRoot(Frame);
      f.abort = reason.slice(0, 500);
      this.transport.send(new Uint8Array(m.toArrayBuffer()));
    } catch { /* best effort */ }
    this.close(`protocol error: ${reason}`);
  }

  sendCall(target: number, interfaceId: bigint, methodId: number, params: Payload): Promise<Payload> {
    if (this.closeReason !== null) {
      return Promise.reject(new RpcError("disconnected", `connection to ${this.name} closed: ${this.closeReason}`));
    }
    const id = this.nextQuestion++;
    if (this.nextQuestion > 0xffffffff) this.nextQuestion = 1;
    const m = new $.Message();
    const f = m.initRoot(Frame);
    f.id = id;
    f.target = target;
    f.interfaceId = interfaceId;
    f.methodId = methodId;
    this.writePayload(f, params);
    f.call = true;
    this.stats.callsOut++;
    return new Promise<Payload>((resolve, reject) => {
      this.questions.set(id, { resolve, reject });
      this.transport.send(new Uint8Array(m.toArrayBuffer()));
    });
  }

  dropImport(cap: RemoteCap): void {
    this.holders.delete(cap);
    const entry = this.imports.get(cap.importId);
    if (!entry || this.closeReason !== null) return;
    if (--entry.localRefs > 0) return;
    this.imports.delete(cap.importId);
    const m = new $.Message();
    const f = m.initRoot(Frame);
    f.target = cap.importId;
    f.count = entry.remoteRefs;
    f.release = true;
    this.transport.send(new Uint8Array(m.toArrayBuffer()));
  }

  private importCap(id: number, fromPeer = true): RemoteCap {
    let entry = this.imports.get(id);
    if (!entry) {
      entry = { id, remoteRefs: 0, localRefs: 0 };
      this.imports.set(id, entry);
    }
    if (fromPeer) entry.remoteRefs++;
    entry.localRefs++;
    const cap = new RemoteCap(this, id);
    this.holders.add(cap);
    return cap;
  }

  private exportCap(cap: Cap): number {
    const known = this.exportIds.get(cap);
    if (known !== undefined) {
      this.exports.get(known)!.refs++;
      return known;
    }
    const id = this.nextExport++;
    this.exports.set(id, { cap, refs: 1 });
    this.exportIds.set(cap, id);
    return id;
  }

  private writePayload(f: Frame, p: Payload): void {
    if (p.bytes.length) {
      const d = f._initPayload(p.bytes.length);
      d.copyBuffer(p.bytes);
    }
    if (p.caps.length) {
      const list = f._initCaps(p.caps.length);
      p.caps.forEach((cap, i) => {
        const d = list.get(i);
        if (cap instanceof RemoteCap && cap.peer === this && !cap.released) d.receiverHosted = cap.importId;
        else d.senderHosted = this.exportCap(cap);
      });
    }
  }

  private readPayload(f: Frame): Payload {
    const bytes = f._hasPayload() ? new Uint8Array(f.payload.toUint8Array()) : EMPTY;
    const caps: Cap[] = [];
    if (f._hasCaps()) {
      const list = f.caps;
      if (list.length > 64) throw new Error(`frame carries ${list.length} capabilities (limit 64)`);
      for (let i = 0; i < list.length; i++) {
        const d = list.get(i);
        if (d._isSenderHosted) caps.push(this.importCap(d.senderHosted));
        else {
          const e = this.exports.get(d.receiverHosted);
          if (!e) throw new Error(`frame names unknown export ${d.receiverHosted}`);
          caps.push(e.cap);
        }
      }
    }
    return { bytes, caps };
  }

  private handle(bytes: Uint8Array): void {
    const f = new $.Message(bytes, false).getRoot(Frame);
    switch (f.which()) {
      case Frame.CALL:
        this.handleCall(f);
        return;
      case Frame.RETURN: {
        const q = this.takeQuestion(f.id);
        q.resolve(this.readPayload(f));
        return;
      }
      case Frame.EXCEPTION: {
        const q = this.takeQuestion(f.id);
        const ex = f.exception;
        q.reject(new RpcError(parseErrorType(ex.type), ex.reason));
        return;
      }
      case Frame.RELEASE: {
        const e = this.exports.get(f.target);
        if (!e || f.target === 0) return; // releasing something unknown is harmless
        e.refs -= Math.max(1, f.count);
        if (e.refs <= 0) {
          this.exports.delete(f.target);
          this.exportIds.delete(e.cap);
          e.cap.release();
        }
        return;
      }
      case Frame.ABORT:
        this.close(`the other side aborted: ${f.abort.slice(0, 500)}`);
        return;
      default:
        throw new Error(`unknown frame kind ${f.which()}`);
    }
  }

  private takeQuestion(id: number): Question {
    const q = this.questions.get(id);
    if (!q) throw new Error(`answer to unknown question ${id}`);
    this.questions.delete(id);
    return q;
  }

  private handleCall(f: Frame): void {
    const id = f.id;
    const target = f.target;
    const interfaceId = f.interfaceId;
    const methodId = f.methodId;
    const params = this.readPayload(f);
    this.stats.callsIn++;
    const entry = this.exports.get(target);
    if (!entry) {
      this.stats.unknownTarget++;
      this.sendException(id, new RpcError("disconnected", `unknown capability id ${target}: never issued on this connection, or released`));
      return;
    }
    if (this.inflight >= this.maxInflight) {
      this.stats.rejectedOverload++;
      this.sendException(id, new RpcError("overloaded", `more than ${this.maxInflight} calls in flight from ${this.name}`));
      return;
    }
    this.inflight++;
    let p: Promise<Payload>;
    try {
      p = entry.cap.call(interfaceId, methodId, params);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (res) => {
        this.inflight--;
        if (this.closeReason !== null) return;
        const m = new $.Message();
        const r = m.initRoot(Frame);
        r.id = id;
        this.writePayload(r, res);
        r.return = true;
        this.transport.send(new Uint8Array(m.toArrayBuffer()));
      },
      (err) => {
        this.inflight--;
        this.sendException(id, toRpcError(err));
      },
    );
  }

  private sendException(id: number, err: RpcError): void {
    if (this.closeReason !== null) return;
    const m = new $.Message();
    const f = m.initRoot(Frame);
    f.id = id;
    const ex = f._initException();
    ex.type = err.type;
    ex.reason = err.reason.slice(0, 2000);
    this.transport.send(new Uint8Array(m.toArrayBuffer()));
  }
}
