// The network side of the 0-db server: RESP over TCP and over a unix socket, one Session per connection.
// Requests that arrive together (pipelining) are answered with one write; the records they append reach the
// data files in one write() before they are acknowledged.
import { Buffer } from "node:buffer";
import { rmSync } from "node:fs";
import net from "node:net";
import process from "node:process";
import type { CommandServer } from "./commands.ts";
import { encode, RespParser, RespProtocolError } from "./lib/resp.ts";

export interface ListenOptions {
  host?: string;
  /** 0 = any free port */
  port?: number;
  /** a unix socket path (removed first when a stale one is left) */
  socket?: string;
}

export interface Listening {
  host: string | null;
  port: number | null;
  socket: string | null;
  close(): Promise<void>;
}

/**
 * Write before acknowledge: replies that acknowledge writes go out only after the records appended for them
 * reached the data files (one write() per namespace for all requests of one read). Replies of a connection
 * keep their order (one that has replies waiting queues the next ones behind them).
 */
class Committer {
  private waiting: { conn: net.Socket; out: Buffer[]; end: () => void }[] = [];
  private queued = new Set<net.Socket>();
  private srv: CommandServer;

  constructor(srv: CommandServer) {
    this.srv = srv;
  }

  send(conn: net.Socket, out: Buffer[], end: () => void): void {
    if (!this.srv.store.hasPending() && !this.queued.has(conn)) {
      write(conn, out);
      end();
      return;
    }
    this.waiting.push({ conn, out, end });
    this.queued.add(conn);
    // at once, not at the end of the event-loop turn: a setImmediate per batch made pipelined SET 1.4–3×
    // slower here (bench/zdb.ts, interleaved A/B) for no fewer writes — the records of one read go out in one
    // write() either way, as 0-db's C server writes each SET before it answers
    this.commit();
  }

  private commit(): void {
    try {
      this.srv.store.flush();
    } catch (err) {
      // the index is ahead of the data files now: stop before acknowledging anything; the restart replays
      // the files, which hold exactly what was written
      console.error(`zdb: cannot write the data file (${(err as Error).message}); exiting so the restart replays the files`);
      process.exit(1);
    }
    const w = this.waiting;
    this.waiting = [];
    this.queued.clear();
    for (const x of w) {
      write(x.conn, x.out);
      x.end();
    }
  }
}

function write(conn: net.Socket, out: Buffer[]): void {
  if (conn.destroyed) return;
  if (out.length === 1) conn.write(out[0]);
  else if (out.length > 1) conn.write(Buffer.concat(out));
}

function handle(srv: CommandServer, committer: Committer, conn: net.Socket, open: Set<net.Socket>): void {
  open.add(conn);
  conn.setNoDelay(true);
  const parser = new RespParser();
  const session = srv.session();
  let closing = false;
  const end = () => {
    if (!session.close || conn.destroyed) return;
    conn.end();
    setTimeout(() => conn.destroy(), 5000).unref();
  };
  conn.on("data", (chunk: Buffer) => {
    // after a protocol error the rest of the request is read and dropped, so the error reply is not lost to
    // a TCP reset (closing a socket with unread input resets it); the client then sees the connection end
    if (closing) return;
    parser.push(chunk);
    const out: Buffer[] = [];
    try {
      for (;;) {
        const req = parser.next();
        if (!req) break;
        let reply;
        try {
          reply = session.execute(req);
        } catch (err) {
          // an I/O failure inside a command: the client gets an error, the server keeps running
          console.error(`zdb: ${(err as Error).message}`);
          reply = { t: "error" as const, s: "Internal Error" };
        }
        encode(reply, out);
        if (session.close) break;
      }
    } catch (err) {
      if (!(err instanceof RespProtocolError)) throw err;
      out.push(Buffer.from(`-${err.message}\r\n`));
      session.close = true;
    }
    if (session.close) closing = true;
    committer.send(conn, out, end);
  });
  conn.on("error", () => conn.destroy());
  conn.on("close", () => open.delete(conn));
}

function listen(server: net.Server, arg: { host: string; port: number } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const done = () => {
      server.off("error", reject);
      resolve();
    };
    if ("path" in arg) server.listen(arg.path, done);
    else server.listen(arg.port, arg.host, done);
  });
}

/** Starts listening on TCP and/or a unix socket; resolves once both accept connections. */
export async function serve(srv: CommandServer, o: ListenOptions): Promise<Listening> {
  const open = new Set<net.Socket>();
  const committer = new Committer(srv);
  const servers: net.Server[] = [];
  let port: number | null = null;
  if (o.host !== undefined || o.port !== undefined) {
    const tcp = net.createServer((c) => handle(srv, committer, c, open));
    await listen(tcp, { host: o.host ?? "127.0.0.1", port: o.port ?? 9900 });
    port = (tcp.address() as net.AddressInfo).port;
    servers.push(tcp);
  }
  if (o.socket) {
    rmSync(o.socket, { force: true });
    const unix = net.createServer((c) => handle(srv, committer, c, open));
    try {
      await listen(unix, { path: o.socket });
    } catch (err) {
      for (const s of servers) s.close();
      throw err;
    }
    servers.push(unix);
  }
  return {
    host: o.host ?? (port !== null ? "127.0.0.1" : null),
    port,
    socket: o.socket ?? null,
    async close() {
      for (const c of open) c.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      if (o.socket) rmSync(o.socket, { force: true });
    },
  };
}
