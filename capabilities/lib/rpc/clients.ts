// The $.Client implementations a connection hands out: imports (peer-hosted objects), pipelined promises
// (a capability inside an answer that has not returned yet) and non-owning local references.
import * as $ from "capnp-es";
import { FailedAnswer, type Answer, type PipelineOp } from "./types.ts";

/** One row of the import table: an object the peer hosts and has sent us `remoteRefs` times. */
export interface ImportEntry {
  readonly id: number;
  /** How many times the peer sent us this id (the count our Release must carry). */
  remoteRefs: number;
  /** Live ImportClient objects on this entry; Release is sent when it drops to 0. */
  localRefs: number;
  /** False once released (a later descriptor with the same id makes a new entry). */
  live: boolean;
}

/** What an ImportClient needs from its connection (kept narrow so clients.ts does not import connection.ts). */
export interface ImportOwner {
  callImport<P extends $.Struct, R extends $.Struct>(entry: ImportEntry, call: $.Call<P, R>): Answer<R>;
  dropImportRef(entry: ImportEntry): void;
}

interface Held {
  owner: ImportOwner;
  entry: ImportEntry;
}

// A client that is garbage collected without close() still releases its reference, so a peer's object is not
// kept alive forever by a dropped message.
const finalizer = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<Held>((h) => h.owner.dropImportRef(h.entry))
  : null;

/** A reference to an object the peer hosts. close() drops this reference; the last one sends Release. */
export class ImportClient implements $.Client {
  readonly owner: ImportOwner;
  readonly entry: ImportEntry;
  private released = false;

  constructor(owner: ImportOwner, entry: ImportEntry) {
    this.owner = owner;
    this.entry = entry;
    entry.localRefs++;
    finalizer?.register(this, { owner, entry }, this);
  }

  get closed(): boolean {
    return this.released;
  }

  call<P extends $.Struct, R extends $.Struct>(call: $.Call<P, R>): Answer<R> {
    if (this.released) return new FailedAnswer<R>(new Error("capability was released (close() called on it)"));
    return this.owner.callImport(this.entry, call);
  }

  /** Another independent reference to the same remote object (each must be closed). */
  dup(): ImportClient {
    return new ImportClient(this.owner, this.entry);
  }

  close(): void {
    if (this.released) return;
    this.released = true;
    finalizer?.unregister(this);
    this.owner.dropImportRef(this.entry);
  }
}

/** A capability at `transform` inside an answer: calls are pipelined onto the answer until it resolves. */
export class PipelinedClient implements $.Client {
  readonly answer: Answer<$.Struct>;
  readonly transform: PipelineOp[];
  constructor(answer: Answer<$.Struct>, transform: PipelineOp[]) {
    this.answer = answer;
    this.transform = transform;
  }
  call<P extends $.Struct, R extends $.Struct>(call: $.Call<P, R>): Answer<R> {
    return this.answer.pipelineCall(this.transform, call);
  }
  close(): void {
    this.answer.pipelineClose(this.transform);
  }
}

/** The peer handed one of our own exports back: calls go straight to it, close() does not dispose it. */
export class LocalRef implements $.Client {
  readonly target: $.Client;
  constructor(target: $.Client) {
    this.target = target;
  }
  call<P extends $.Struct, R extends $.Struct>(call: $.Call<P, R>): Answer<R> {
    return this.target.call(call) as Answer<R>;
  }
  close(): void {}
}

/** capnp-es's own PipelineClient (from generated getX() on a result promise) is not exported: recognise it. */
export function asCapnpPipelineClient(c: $.Client): { answer: unknown; transform: PipelineOp[] } | null {
  const p = (c as { pipeline?: { answer?: unknown; transform?: () => PipelineOp[] } }).pipeline;
  if (p && typeof p.transform === "function" && p.answer) return { answer: p.answer, transform: p.transform() };
  return null;
}
