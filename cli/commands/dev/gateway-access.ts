// The access node's gateway under `npm start` (root): its proxy listens on :443 of the node's `public`
// namespace, and a client on this host reaches it at https://127.0.0.1:<port>.
//   - The namespace: the node's namespaces are pinned under its netlink driver's state dir, which the gateway
//     driver's uid cannot open. In the dev grid the `public` namespace is made by this (root) process before
//     the node starts (dev/underlay.ts) and pinned there; ${gatewayns} = "public" and the netlink driver shares
//     that pin with the gateway through its grant `netns` (`{"share": ["public"]}`), as in the image.
//   - The way in: 127.0.0.1:<port> on the host (remembered across starts) → a unix socket → the dev LAN's
//     services process (dev/lan-services.ts, in the `lan` namespace) → <public IP>:443. Nothing is added to
//     the host's own network.
//   - Demo backends on the dev LAN (198.18.0.250:8080 HTTP, 198.18.0.251:8443 TLS for app.example.test),
//     which examples/gateway-name.json and gateway-fqdn.json point at, so both serve as they are.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../../../capabilities/lib/fs/atomic.ts";
import { issueLeaf, makeRoot } from "../../../capabilities/gateway/x509.ts";
import { denoBinary } from "../../../kernel/sandbox.ts";

export const DEMO_HTTP = "198.18.0.250:8080";
export const DEMO_TLS = "198.18.0.251:8443";
export const DEMO_TLS_NAME = "app.example.test";

export interface GatewayAccess {
  /** https://127.0.0.1:<port>: the access node's :443 seen from this host */
  url: string;
  host_port: number;
  /** where the proxy really listens: the node's public IPv4 on the dev LAN, port 443 */
  public_address: string;
  domain: string;
  /** the node's internal CA (terminated routes' certificates) */
  ca_pem: string;
  demo_backends: { http: string; tls: string; tls_name: string; ca_pem: string };
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!existsSync(path)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${path} did not appear within ${timeoutMs / 1000} s (is the gateway driver running?)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function listenLoopback(port: number | undefined, onConn: (s: net.Socket) => void): Promise<net.Server> {
  const tryPort = (p: number) =>
    new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer(onConn);
      s.once("error", reject);
      s.listen(p, "127.0.0.1", () => resolve(s));
    });
  return port ? tryPort(port).catch(() => tryPort(0)) : tryPort(0);
}

/**
 * Starts the LAN services process and the host's loopback listener for the access node at `publicIp`.
 * `nodeDir` is the access node's state dir (its gateway's ca.pem is copied next to endpoints.json).
 */
export async function startGatewayAccess(o: {
  stateDir: string;
  nodeDir: string;
  lanNetns: string;
  publicIp: string;
  domain: string;
  /** the port of the last start, tried first */
  port?: number;
  /** the LAN namespace's link the demo backends' addresses go on (default "lan", dev/underlay.ts) */
  lanLink?: string;
  /** the node's gateway CA through its kernel (starting the on-demand gateway); default: wait for its ca.pem */
  gatewayCa?: () => Promise<string>;
  log: (l: string) => void;
}): Promise<{ access: GatewayAccess; stop: () => Promise<void> }> {
  const lanNs = (...args: string[]) => execFileSync("nsenter", [`--net=${o.lanNetns}`, "--", "ip", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  // `replace`: a start after a kill -9 finds the LAN namespace with these addresses still on it
  for (const a of [DEMO_HTTP, DEMO_TLS]) lanNs("addr", "replace", `${a.split(":")[0]}/24`, "dev", o.lanLink ?? "lan");
  const demoDir = join(o.stateDir, "demo-backends");
  mkdirSync(demoDir, { recursive: true, mode: 0o755 });
  const demoCa = makeRoot();
  const leaf = issueLeaf(demoCa, DEMO_TLS_NAME, 30);
  writeFileAtomic(join(demoDir, "ca.pem"), demoCa.certPem, { mode: 0o644 });
  const socket = join(o.stateDir, "lan", "gateway.sock");
  mkdirSync(join(o.stateDir, "lan"), { recursive: true, mode: 0o700 });
  const cfg = { socket, forward: `${o.publicIp}:443`, http: [DEMO_HTTP], tls: [{ listen: DEMO_TLS, cert: leaf.certPem, key: leaf.keyPem, name: DEMO_TLS_NAME }] };
  const cfgFile = join(o.stateDir, "lan", "services.json");
  writeFileAtomic(cfgFile, JSON.stringify(cfg), { mode: 0o600 });
  const entry = fileURLToPath(new URL("./lan-services.ts", import.meta.url));
  const child: ChildProcess = spawn("nsenter", [
    `--net=${o.lanNetns}`, "--", denoBinary(), "run", "--quiet", "--no-lock", "--no-prompt",
    "--allow-net", `--allow-read=${socket},${cfgFile}`, `--allow-write=${socket}`, entry, cfgFile,
  ], { stdio: ["pipe", "pipe", "pipe"] });
  child.stderr!.on("data", (d) => o.log(`[lan] ${String(d).trimEnd()}`));
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.stdin!.end();
    const t = setTimeout(() => child.kill("SIGKILL"), 2_000);
    await gone;
    clearTimeout(t);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d) => String(d).includes("ready") && resolve());
      child.once("exit", (c) => reject(new Error(`the dev LAN services process exited (${c})`)));
      child.once("error", reject);
    });
  } catch (err) {
    await stopChild();
    throw err;
  }
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  try {
    server = await listenLoopback(o.port, (client) => {
      const up = net.connect({ path: socket });
      sockets.add(client).add(up);
      client.pipe(up).pipe(client);
      const end = () => {
        client.destroy();
        up.destroy();
        sockets.delete(client);
        sockets.delete(up);
      };
      for (const s of [client, up]) {
        s.on("error", end);
        s.on("close", end);
      }
    });
    // the node starts its gateway on demand: asking it for its CA starts it (and its proxy in `public`)
    let caPem: string;
    if (o.gatewayCa) caPem = await o.gatewayCa();
    else {
      const ca = join(o.nodeDir, "gateway", "ca.pem");
      await waitForFile(ca, 60_000);
      caPem = readFileSync(ca, "utf8");
    }
    writeFileAtomic(join(o.stateDir, "gateway-ca.pem"), caPem, { mode: 0o644 });
  } catch (err) {
    await stopChild();
    throw err;
  }
  const port = (server.address() as net.AddressInfo).port;
  return {
    access: {
      url: `https://127.0.0.1:${port}`,
      host_port: port,
      public_address: `${o.publicIp}:443`,
      domain: o.domain,
      ca_pem: join(o.stateDir, "gateway-ca.pem"),
      demo_backends: { http: `http://${DEMO_HTTP}`, tls: DEMO_TLS, tls_name: DEMO_TLS_NAME, ca_pem: join(demoDir, "ca.pem") },
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await stopChild();
    },
  };
}
