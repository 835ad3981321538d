// Byte transports for an RPC connection: a duplex made of a readable (web ReadableStream or node Readable)
// and a writable (web WritableStream or node Writable). Covers a child's stdin/stdout, process.stdin/stdout in
// the child, and node:net sockets (TCP, unix) on Deno and Node alike.

export interface TransportSink {
  data(chunk: Uint8Array): void;
  /** Called once when the readable side ends (err undefined for a clean end of stream). */
  end(err?: Error): void;
}

export interface Transport {
  /** Starts reading; the sink receives every chunk, then one end(). */
  start(sink: TransportSink): void;
  /** Queues bytes for writing; never throws (write errors end the transport through the sink). */
  write(bytes: Uint8Array): void;
  /** Flushes what was written, then closes both directions. Idempotent. */
  close(): void;
  /** Bytes written but not yet taken by the OS (lets a connection refuse a peer that stopped reading). */
  bufferedBytes?(): number;
  /** Stops delivering data until resume() (backpressure: the peer reads our answers slower than it calls). */
  pause?(): void;
  resume?(): void;
}

/** Minimal node Readable surface we use (process.stdin, child.stdout, net.Socket). */
export interface NodeReadableLike {
  on(event: "data", fn: (chunk: Uint8Array | string) => void): unknown;
  on(event: "end" | "close", fn: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  on(event: string, fn: (...args: never[]) => void): unknown;
  destroy?(err?: Error): unknown;
  pause?(): unknown;
  resume?(): unknown;
}

/** Minimal node Writable surface we use (process.stdout, child.stdin, net.Socket). */
export interface NodeWritableLike {
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  end(cb?: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  on(event: string, fn: (...args: never[]) => void): unknown;
  destroyed?: boolean;
  writableEnded?: boolean;
  writableLength?: number;
}

export type AnyReadable = ReadableStream<Uint8Array> | NodeReadableLike;
export type AnyWritable = WritableStream<Uint8Array> | NodeWritableLike;

function isWebReadable(r: AnyReadable): r is ReadableStream<Uint8Array> {
  return typeof (r as ReadableStream<Uint8Array>).getReader === "function";
}

function isWebWritable(w: AnyWritable): w is WritableStream<Uint8Array> {
  return typeof (w as WritableStream<Uint8Array>).getWriter === "function";
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

const encoder = new TextEncoder();

export interface StreamTransportOptions {
  /** Called by close() after the writable is ended (e.g. destroy a socket). */
  onClose?: () => void;
}

export function streamTransport(readable: AnyReadable, writable: AnyWritable, opts: StreamTransportOptions = {}): Transport {
  let sink: TransportSink | null = null;
  let ended = false;
  let closed = false;
  const finish = (err?: Error): void => {
    if (ended) return;
    ended = true;
    sink?.end(err);
  };

  let webWriter: WritableStreamDefaultWriter<Uint8Array> | null = null;
  let webPending = 0;
  let webReader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let resumeWeb: (() => void) | null = null;
  let webPaused: Promise<void> | null = null;
  if (isWebWritable(writable)) webWriter = writable.getWriter();
  else writable.on("error", (e) => finish(asError(e)));

  return {
    start(s: TransportSink): void {
      if (sink) throw new Error("transport already started");
      sink = s;
      if (isWebReadable(readable)) {
        const reader = readable.getReader();
        webReader = reader;
        void (async () => {
          try {
            for (;;) {
              if (webPaused) await webPaused;
              const { value, done } = await reader.read();
              if (done) break;
              if (value && !ended) s.data(value);
            }
            finish();
          } catch (e) {
            finish(closed ? undefined : asError(e));
          }
        })();
      } else {
        readable.on("data", (chunk) => {
          if (!ended) s.data(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
        });
        readable.on("end", () => finish());
        readable.on("close", () => finish());
        readable.on("error", (e) => finish(closed ? undefined : asError(e)));
      }
    },
    write(bytes: Uint8Array): void {
      if (closed || ended) return;
      if (webWriter) {
        webPending += bytes.byteLength;
        webWriter.write(bytes).then(() => (webPending -= bytes.byteLength), (e) => finish(asError(e)));
      } else {
        const w = writable as NodeWritableLike;
        if (w.destroyed || w.writableEnded) return;
        try {
          w.write(bytes, (err) => {
            if (err) finish(asError(err));
          });
        } catch (e) {
          finish(asError(e));
        }
      }
    },
    pause(): void {
      if (isWebReadable(readable)) webPaused ??= new Promise((r) => (resumeWeb = r));
      else readable.pause?.();
    },
    resume(): void {
      if (isWebReadable(readable)) {
        resumeWeb?.();
        resumeWeb = null;
        webPaused = null;
      } else readable.resume?.();
    },
    bufferedBytes(): number {
      return webWriter ? webPending : ((writable as NodeWritableLike).writableLength ?? 0);
    },
    close(): void {
      if (closed) return;
      closed = true;
      if (webWriter) {
        webWriter.close().catch(() => {});
      } else {
        const w = writable as NodeWritableLike;
        try {
          if (!w.writableEnded) w.end();
        } catch { /* already gone */ }
      }
      resumeWeb?.();
      if (webReader) webReader.cancel().catch(() => {});
      opts.onClose?.();
      finish();
    },
  };
}

/** Minimal node:net Socket surface. */
export type SocketLike = NodeReadableLike & NodeWritableLike & {
  destroy(err?: Error): unknown;
  setNoDelay?(noDelay?: boolean): unknown;
};

/** A TCP or unix socket from node:net (connected). close() ends the socket and destroys it once flushed. */
export function socketTransport(socket: SocketLike): Transport {
  socket.setNoDelay?.(true);
  return streamTransport(socket, socket, {
    onClose: () => {
      // end() flushes; destroy shortly after so a peer that never closes its side cannot keep us open.
      const t = setTimeout(() => socket.destroy(), 1000);
      (t as { unref?: () => void }).unref?.();
    },
  });
}
