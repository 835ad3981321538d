// The dev LAN's own services, run by `npm start` (root, access node) inside the `lan` namespace — the
// "internet" side of the dev underlay — with Deno's --allow-net plus its one unix socket:
//   - the host's way in to the access node's public :443: it accepts on a unix socket (unix sockets are
//     files, reachable from the host's namespace) and pipes each connection to PUBLIC:443 on the LAN. The
//     dev grid listens on the host's 127.0.0.1 and pipes into this socket; nothing is added to the host's
//     own network (no address, no route).
//   - the demo backends the gateway examples point at: HTTP on 198.18.0.250:8080 answering
//     "demo backend <addr> <path> host=<Host>", and HTTPS on 198.18.0.251:8443 with its own certificate for
//     app.example.test (a CA of its own, not the gateway's), answering "passthrough app.example.test".
// Arg: a JSON file {socket, forward: "IP:PORT", http: ["IP:PORT"], tls: [{listen, cert, key, name}]} (a file, so
// the TLS key is not in the world-readable command line). Prints "ready" once every listener is open; runs
// until its stdin closes or it is killed by its PID.
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { readFileSync, rmSync } from "node:fs";
import process from "node:process";

interface LanServices {
  socket: string;
  forward: string;
  http: string[];
  tls: { listen: string; cert: string; key: string; name: string }[];
}

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8")) as LanServices;
const split = (a: string) => {
  const i = a.lastIndexOf(":");
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
};
const opened: Promise<void>[] = [];
const listen = (s: net.Server, port: number, host: string) =>
  opened.push(new Promise((resolve, reject) => {
    s.once("error", reject);
    s.listen(port, host, () => resolve());
  }));

for (const a of cfg.http) {
  const s = http.createServer((req, res) => res.end(`demo backend ${a} ${req.url} host=${req.headers.host}`));
  const { host, port } = split(a);
  listen(s, port, host);
}
for (const t of cfg.tls) {
  const s = https.createServer({ cert: t.cert, key: t.key }, (_req, res) => res.end(`passthrough ${t.name}`));
  const { host, port } = split(t.listen);
  listen(s, port, host);
}

const target = split(cfg.forward);
rmSync(cfg.socket, { force: true });
const forwarder = net.createServer((client) => {
  const up = net.connect(target.port, target.host);
  client.pipe(up).pipe(client);
  const end = () => {
    client.destroy();
    up.destroy();
  };
  client.on("error", end);
  up.on("error", end);
  client.on("close", end);
  up.on("close", end);
});
opened.push(new Promise((resolve, reject) => {
  forwarder.once("error", reject);
  forwarder.listen(cfg.socket, () => resolve());
}));

try {
  await Promise.all(opened);
} catch (err) {
  console.error(`lan services: ${(err as Error).message}`);
  process.exit(1);
}
console.log("ready");
// the dev grid ends us by closing stdin (or SIGKILL by PID)
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
