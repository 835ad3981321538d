// A TCP relay between the node and a grid service (the chain, the relay) that the fault suite can cut: down()
// closes every connection and stops listening, so the node sees exactly what an unreachable service gives it
// (connection refused, dropped WebSockets); up() listens again on the same port. Loopback only.
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface FaultProxy {
  /** ws://127.0.0.1:PORT (the proxied service's scheme and path kept) */
  url: string;
  port: number;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
  /** connections accepted so far (the node reconnecting shows here) */
  accepted(): number;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const t = new URL(target);
  const targetPort = Number(t.port || (t.protocol === "wss:" || t.protocol === "https:" ? 443 : 80));
  const sockets = new Set<Socket>();
  let accepted = 0;
  let server: Server | null = null;
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer((client) => {
        accepted++;
        const upstream = createConnection({ host: t.hostname, port: targetPort });
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on("close", () => sockets.delete(sock));
          sock.on("error", () => {}); // a reset is what the fault is made of
        }
        client.pipe(upstream);
        upstream.pipe(client);
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
  server = await listen(0);
  const port = (server.address() as { port: number }).port;
  const close = async () => {
    const s = server;
    server = null;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  return {
    url: `${t.protocol}//127.0.0.1:${port}${t.pathname === "/" ? "" : t.pathname}`,
    port,
    down: close,
    async up() {
      if (server) return;
      // the port was ours a moment ago; another listener taking it meanwhile is a real failure of the run
      server = await listen(port);
    },
    stop: close,
    accepted: () => accepted,
  };
}
