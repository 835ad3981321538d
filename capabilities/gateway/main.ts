// The gateway driver: the node's public :443 for gateway workloads (Zero-OS runs traefik for this). It owns
// one proxy process (proxy.ts, started by PID inside the public namespace when the node has one, killed
// on stop) and the node's internal CA, and exposes `gateway` (capabilities/schema/gateway.capnp).
// Args: <state dir> <listen HOST:PORT> <namespace> <deno binary>; <namespace> is a name the netlink driver
// shares with this driver through its grant `netns` (`{"share": ["public"]}`: the node's public namespace,
// as Zero-OS runs traefik there; the driver hands out a pin only a holder told its path can open), or a pin
// file made by the caller (a test's own namespace), or "-" (the driver's own namespace).
// Grant restrictions: {} (full) or {"readOnly": true} (list/info only); unknown keys are refused.
// Linux capabilities (manifest): CAP_NET_BIND_SERVICE for :443; CAP_SYS_ADMIN only for nsenter into the
// public namespace (the proxy process inherits both, nothing else).
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import { join } from "node:path";
import process from "node:process";
import { startProcess } from "../lib/guest/process.ts";
import { Gateway$Server } from "../schema/gen/gateway.ts";
import { Netlink$Client } from "../schema/gen/network.ts";
import { parseListen } from "../zdb/listen-address.ts";
import { ProxyProcess } from "./proxy-process.ts";
import { GatewayService } from "./service.ts";

const [stateDir, listenText, nsArg, deno] = process.argv.slice(2);
if (!stateDir || !listenText || !nsArg || !deno) {
  console.error("gateway: usage: gateway/main.ts <state dir> <HOST:PORT> <namespace name | pin file | -> <deno binary>");
  process.exit(2);
}
const listen = parseListen(listenText);
let proxy: ProxyProcess | null = null;
let service: GatewayService | null = null;
let ready = false;

/** The service, once the proxy runs (the kernel hands out grants only after the first ready health answer). */
function running(): GatewayService {
  if (!service) throw new Error("failed: gateway: the proxy is not running yet");
  return service;
}

function server(readOnly: boolean): Gateway$Server {
  const deny = (what: string) => {
    if (readOnly) throw new Error(`denied: gateway: ${what} needs a grant without readOnly`);
  };
  return new Gateway$Server({
    async setRoute(p, r) {
      deny("setRoute");
      r.json = JSON.stringify(await running().setRoute(p.json));
    },
    async deleteRoute(p, r) {
      deny("deleteRoute");
      r.existed = await running().deleteRoute(p.id);
    },
    list(_p, r) {
      r.json = JSON.stringify(running().list());
      return Promise.resolve();
    },
    info(_p, r) {
      const sv = running();
      r.json = JSON.stringify({ listen: sv.listenText(), ca: sv.caPem, routes: sv.list().length });
      return Promise.resolve();
    },
  });
}

const guest = startProcess({
  provide: {
    gateway: (r) => {
      const unknown = Object.keys(r).filter((k) => k !== "readOnly");
      if (unknown.length) throw new Error(`denied: gateway: unknown restriction ${unknown.join(", ")} (known: readOnly)`);
      if (r.readOnly !== undefined && typeof r.readOnly !== "boolean") throw new Error("denied: gateway: readOnly is true or false");
      return server(r.readOnly === true);
    },
  },
  health: () => {
    const exited = proxy?.exited;
    return { ready: ready && !exited, detail: exited ? `the proxy process ${exited}` : ready ? "" : "starting the proxy" };
  },
  onShutdown: () => proxy?.stop() ?? Promise.resolve(),
});

/** The pin the proxy enters: the netlink driver's shared pin of the named namespace, a caller's pin file, or none. */
async function namespacePin(arg: string): Promise<string | null> {
  if (arg === "-") return null;
  if (arg.startsWith("/")) return arg;
  const cap = await guest.session.get("netns");
  try {
    const out = JSON.parse((await new Netlink$Client(cap).apply((p) => (p.ops = JSON.stringify([{ op: "ns.share", name: arg }]))).promise()).json);
    return String(out[0].pin);
  } finally {
    cap.close();
  }
}

let netns: string | null;
try {
  netns = await namespacePin(nsArg);
} catch (err) {
  console.error(`gateway: cannot enter the ${nsArg} namespace (grant netns of the netlink driver): ${(err as Error).message}`);
  process.exit(1);
}
proxy = new ProxyProcess({
  deno,
  netns,
  cacheDir: join(stateDir, "deno-cache"),
  log: (l) => console.error(l),
  // Every route lives in the proxy: without it the driver serves nothing. Ending the driver lets the kernel
  // restart it, and the new driver starts a proxy and sets the stored routes again (the fault suite's kill -9
  // of the proxy left every gateway down while the driver still answered its callers).
  onUnexpectedExit: (why) => {
    console.error(`gateway: the proxy process ${why}; exiting so the kernel restarts the driver with a new proxy`);
    process.exit(1);
  },
});
service = new GatewayService(stateDir, proxy);

try {
  const l = await service.start(listen.host, listen.port);
  ready = true;
  console.error(`gateway: proxy pid ${proxy.pid} listening on ${service.listenText()}${netns ? ` in ${nsArg === netns ? netns : `the ${nsArg} namespace`}` : ""}, ${service.list().length} routes (port ${l.port})`);
} catch (err) {
  console.error(`gateway: cannot listen on ${listenText}: ${(err as Error).message}`);
  await proxy.stop();
  process.exit(1);
}
