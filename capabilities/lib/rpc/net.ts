// Connections over node:net sockets (unix and TCP), on Deno and Node.
import net from "node:net";
import { connect, type ConnectOptions, type Connection } from "./connection.ts";
import { socketTransport } from "./transport.ts";

export type Address = { path: string } | { host: string; port: number };

/** Dials a unix socket or TCP address; resolves once connected. */
export function dial(addr: Address, opts: ConnectOptions = {}): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const sock = "path" in addr ? net.createConnection(addr.path) : net.createConnection(addr.port, addr.host);
    const fail = (e: Error) => reject(new Error(`cannot connect to ${describe(addr)}: ${e.message}`));
    sock.once("error", fail);
    sock.once("connect", () => {
      sock.off("error", fail);
      resolve(connect(socketTransport(sock), { name: describe(addr), ...opts }));
    });
  });
}

export interface Listener {
  server: net.Server;
  /** Bound address (port filled in when 0 was asked). */
  address: Address;
  /** Stops accepting and closes every connection it accepted. */
  close(): Promise<void>;
}

/** Listens on a unix socket path or TCP host:port; each accepted socket becomes a Connection. */
export function listen(
  addr: Address,
  optsFor: () => ConnectOptions,
  onConnection: (conn: Connection) => void = () => {},
): Promise<Listener> {
  const conns = new Set<Connection>();
  const server = net.createServer((sock) => {
    const conn = connect(socketTransport(sock), { name: "peer", ...optsFor() });
    conns.add(conn);
    void conn.closed.then(() => conns.delete(conn));
    onConnection(conn);
  });
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`cannot listen on ${describe(addr)}: ${e.message}`)));
    const ready = () => {
      const a = server.address();
      const bound: Address = "path" in addr ? addr : { host: addr.host, port: typeof a === "object" && a ? a.port : addr.port };
      resolve({
        server,
        address: bound,
        close: () =>
          new Promise<void>((res) => {
            for (const c of conns) c.close();
            server.close(() => res());
          }),
      });
    };
    if ("path" in addr) server.listen(addr.path, ready);
    else server.listen(addr.port, addr.host, ready);
  });
}

function describe(addr: Address): string {
  return "path" in addr ? `unix:${addr.path}` : `${addr.host}:${addr.port}`;
}
