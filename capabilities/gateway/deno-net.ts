// The few Deno networking APIs the proxy process uses (it runs under Deno only: node:tls in Deno cannot
// hold a certificate per listener as cheaply). Typed here because the repository typechecks against
// node's types; the shapes are Deno 2's own.
export interface Addr {
  hostname: string;
  port: number;
}

export interface Conn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
}

export interface TlsConn extends Conn {
  handshake(): Promise<unknown>;
}

export interface Listener<C extends Conn = Conn> extends AsyncIterable<C> {
  readonly addr: Addr;
  close(): void;
}

interface DenoNet {
  listen(o: { hostname: string; port: number; transport: "tcp" }): Listener;
  listenTls(o: { hostname: string; port: number; cert: string; key: string }): Listener<TlsConn>;
  connect(o: { hostname: string; port: number }): Promise<Conn>;
}

export const deno = (globalThis as unknown as { Deno: DenoNet }).Deno;
