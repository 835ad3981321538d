// The gateway's data path: one process the gateway driver starts (by PID) and stops. It owns the public
// :443 and sends every connection, by the server name in its ClientHello, either straight to a backend
// (`tls_passthrough`: the client sees the backend's own certificate) or to the route's TLS terminator, a
// listener on this namespace's loopback holding the route's certificate, which forwards the plain stream
// to the backend. Routes change at run time one at a time; the others keep serving and connections in
// flight are never cut. Driven by JSON lines on stdin (one answer line on stdout per request, same `n`);
// it validates nothing about who may route what — the driver does that before sending a route here.
// Deno permissions: --allow-net (backends are whatever the driver accepted), --allow-sys=networkInterfaces. Runs under Deno only.
import { networkInterfaces } from "node:os";
import process from "node:process";
import { type Conn, deno, type Listener, type TlsConn } from "./deno-net.ts";
import { MAX_HELLO, parseClientHello } from "./sni.ts";

export interface Dial {
  hostname: string;
  port: number;
}

export interface ProxyRoute {
  id: string;
  host: string;
  passthrough: boolean;
  backends: Dial[];
  /** PEM certificate and key of a terminated route */
  certPem?: string;
  keyPem?: string;
}

interface Live {
  route: ProxyRoute;
  terminator: Listener<TlsConn> | null;
  next: number;
}

const HELLO_TIMEOUT_MS = 5_000;
const byHost = new Map<string, Live>();
const byId = new Map<string, Live>();
const counters = { accepted: 0, routed: 0, refused: 0 };

async function writeAll(w: Conn, b: Uint8Array): Promise<void> {
  for (let off = 0; off < b.length;) off += await w.write(b.subarray(off));
}

/** Copies until EOF, then half-closes the writer so the other side sees the end too. */
async function copy(from: Conn, to: Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === null) break;
      await writeAll(to, buf.subarray(0, n));
    }
    await to.closeWrite().catch(() => {});
  } catch {
    try {
      to.close();
    } catch { /* already closed */ }
  }
}

async function splice(a: Conn, b: Conn, first: Uint8Array): Promise<void> {
  try {
    if (first.length) await writeAll(b, first);
    await Promise.all([copy(a, b), copy(b, a)]);
  } finally {
    for (const c of [a, b]) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
  }
}

/** Tries the route's backends round robin from the next one; the first that accepts wins. */
async function dialBackend(live: Live): Promise<Conn> {
  const list = live.route.backends;
  let last: unknown = null;
  for (let i = 0; i < list.length; i++) {
    const d = list[(live.next + i) % list.length];
    try {
      const c = await deno.connect({ hostname: d.hostname, port: d.port });
      live.next = (live.next + i + 1) % list.length;
      return c;
    } catch (err) {
      last = err;
    }
  }
  throw last ?? new Error("no backend");
}

async function readHello(conn: Conn): Promise<{ name: string | null; bytes: Uint8Array }> {
  const buf = new Uint8Array(MAX_HELLO);
  let n = 0;
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, HELLO_TIMEOUT_MS);
  try {
    for (;;) {
      const got = await conn.read(buf.subarray(n));
      if (got === null) return { name: null, bytes: buf.subarray(0, n) };
      n += got;
      const r = parseClientHello(buf.subarray(0, n));
      if (r.kind === "more") continue;
      return { name: r.kind === "sni" ? r.name : null, bytes: buf.subarray(0, n) };
    }
  } finally {
    clearTimeout(timer);
  }
}

async function handlePublic(conn: Conn): Promise<void> {
  counters.accepted++;
  let upstream: Conn | null = null;
  try {
    const hello = await readHello(conn);
    const live = hello.name === null ? undefined : byHost.get(hello.name);
    if (!live) {
      counters.refused++;
      conn.close();
      return;
    }
    upstream = live.terminator
      ? await deno.connect({ hostname: "127.0.0.1", port: live.terminator.addr.port })
      : await dialBackend(live);
    counters.routed++;
    await splice(conn, upstream, hello.bytes);
  } catch {
    for (const c of [conn, upstream]) {
      try {
        c?.close();
      } catch { /* closed */ }
    }
  }
}

async function handleTerminated(live: Live, tls: TlsConn): Promise<void> {
  let upstream: Conn | null = null;
  try {
    await tls.handshake();
    upstream = await dialBackend(live);
    await splice(tls, upstream, new Uint8Array());
  } catch {
    for (const c of [tls, upstream]) {
      try {
        c?.close();
      } catch { /* closed */ }
    }
  }
}

async function acceptLoop<C extends Conn>(l: Listener<C>, on: (c: C) => Promise<void>): Promise<void> {
  try {
    for await (const c of l) on(c).catch(() => {});
  } catch { /* listener closed */ }
}

function removeRoute(id: string): boolean {
  const live = byId.get(id);
  if (!live) return false;
  byId.delete(id);
  if (byHost.get(live.route.host) === live) byHost.delete(live.route.host);
  try {
    live.terminator?.close();
  } catch { /* closed */ }
  return true;
}

function setRoute(route: ProxyRoute): void {
  let terminator: Listener<TlsConn> | null = null;
  if (!route.passthrough) {
    if (!route.certPem || !route.keyPem) throw new Error(`route ${route.id}: a terminated route needs its certificate and key`);
    terminator = deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: route.certPem, key: route.keyPem });
  }
  const live: Live = { route, terminator, next: 0 };
  // the new route is in place before the old one goes, so its host never has a gap
  const old = byId.get(route.id);
  byId.set(route.id, live);
  byHost.set(route.host, live);
  if (old) {
    if (old.route.host !== route.host && byHost.get(old.route.host) === old) byHost.delete(old.route.host);
    try {
      old.terminator?.close();
    } catch { /* closed */ }
  }
  if (terminator) acceptLoop(terminator, (c) => handleTerminated(live, c));
}

let publicListener: Listener | null = null;

interface Request {
  n: number;
  op: string;
  [k: string]: unknown;
}

function answer(req: Request): Record<string, unknown> {
  switch (req.op) {
    case "listen": {
      if (publicListener) throw new Error("already listening");
      publicListener = deno.listen({ hostname: String(req.host), port: Number(req.port), transport: "tcp" });
      acceptLoop(publicListener, handlePublic);
      return { port: publicListener.addr.port };
    }
    case "set":
      setRoute(req.route as ProxyRoute);
      return {};
    case "del":
      return { existed: removeRoute(String(req.id)) };
    case "addresses":
      // the namespace's own addresses: a backend there would loop back into the node
      return { addresses: Object.values(networkInterfaces()).flat().map((i) => i!.address.toLowerCase()) };
    case "stats":
      return { ...counters, routes: byId.size };
    default:
      throw new Error(`unknown op "${req.op}"`);
  }
}

const reply = (o: unknown) => process.stdout.write(JSON.stringify(o) + "\n");

function onLine(line: string): void {
  if (!line.trim()) return;
  let req: Request;
  try {
    req = JSON.parse(line);
  } catch {
    reply({ n: -1, ok: false, error: "not JSON" });
    return;
  }
  try {
    reply({ n: req.n, ok: true, ...answer(req) });
  } catch (err) {
    reply({ n: req.n, ok: false, error: (err as Error).message });
  }
}

let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  pending += chunk;
  let nl: number;
  while ((nl = pending.indexOf("\n")) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    onLine(line);
  }
});
// stdin closed: the driver is gone, so is the gateway
process.stdin.on("end", () => process.exit(0));
