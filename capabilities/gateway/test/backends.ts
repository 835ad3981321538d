// Test helper: the workload backends a gateway forwards to, run inside the test's own namespace
// (`ip netns exec`): an HTTP server answering "backend <addr> <path> host=<Host header>" on each `http`
// address, and an HTTPS server with its own certificate (a CA of its own, not the gateway's) on each `tls`
// address, answering "passthrough <name>". Args: JSON {http: ["IP:PORT"], tls: [{listen, cert, key, name}]}.
// Prints "ready" once every listener is open; runs until killed by its PID.
import http from "node:http";
import https from "node:https";
import process from "node:process";

const cfg = JSON.parse(process.argv[2]) as { http: string[]; tls: { listen: string; cert: string; key: string; name: string }[] };
const split = (a: string) => {
  const i = a.lastIndexOf(":");
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
};
const opened: Promise<void>[] = [];
for (const a of cfg.http) {
  const s = http.createServer((req, res) => res.end(`backend ${a} ${req.url} host=${req.headers.host}`));
  const { host, port } = split(a);
  opened.push(new Promise((r) => s.listen(port, host, () => r())));
}
for (const t of cfg.tls) {
  const s = https.createServer({ cert: t.cert, key: t.key }, (_req, res) => res.end(`passthrough ${t.name}`));
  const { host, port } = split(t.listen);
  opened.push(new Promise((r) => s.listen(port, host, () => r())));
}
await Promise.all(opened);
console.log("ready");
