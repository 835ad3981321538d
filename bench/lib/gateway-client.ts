// Benchmark helper: an HTTPS/HTTP client run inside a namespace (`ip netns exec`), driven by JSON lines on
// stdin, answering one JSON line each on stdout:
//   {"op":"first", "url", "ca"?, "servername"?}  → {"ms"}  polls (new connection each try) until a 200
//   {"op":"load", "url", "ca"?, "servername"?, "n", "keepAlive"} → {"lat": [ms…]}  n sequential requests
import http from "node:http";
import https from "node:https";
import process from "node:process";

interface Req {
  op: string;
  url: string;
  ca?: string;
  servername?: string;
  n?: number;
  keepAlive?: boolean;
}

/** `agent` false = a new connection (and TLS handshake) for this request: Node's global agent keeps them alive. */
function get(url: URL, o: Req, agent: http.Agent | https.Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === "https:" ? https : http;
    const r = lib.get(url, { agent, ca: o.ca, servername: o.servername, headers: o.servername ? { host: o.servername } : {} } as https.RequestOptions, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    r.on("error", reject);
    r.setTimeout(5000, () => r.destroy(new Error("timeout")));
  });
}

async function answer(o: Req): Promise<unknown> {
  const url = new URL(o.url);
  if (o.op === "first") {
    const t0 = performance.now();
    for (;;) {
      const ok = await get(url, o, false).then((s) => s === 200, () => false);
      if (ok) return { ms: performance.now() - t0 };
      if (performance.now() - t0 > 10_000) throw new Error("no good response within 10 s");
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  const agent = o.keepAlive ? new (url.protocol === "https:" ? https : http).Agent({ keepAlive: true, maxSockets: 1 }) : false;
  const lat: number[] = [];
  for (let i = 0; i < (o.n ?? 100); i++) {
    const t0 = performance.now();
    const s = await get(url, o, agent);
    if (s !== 200) throw new Error(`status ${s}`);
    lat.push(performance.now() - t0);
  }
  if (agent) agent.destroy();
  return { lat };
}

let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", async (c: string) => {
  buf += c;
  let nl: number;
  while ((nl = buf.indexOf("\n")) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    const o = JSON.parse(line) as Req;
    try {
      process.stdout.write(JSON.stringify(await answer(o)) + "\n");
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: (e as Error).message }) + "\n");
    }
  }
});
console.log(JSON.stringify({ ready: true }));
