// The gateway driver: the node's public :443 for gateway workloads (Zero-OS runs traefik for this). It owns
// one proxy process (proxy.ts, started by PID inside the public namespace when the node has one, killed
// on stop) and the node's internal CA, and exposes `gateway` (capabilities/schema/gateway.capnp).
// Args: <state dir> <listen HOST:PORT> <netns pin file | "-"> <deno binary>.
// Grant restrictions: {} (full) or {"readOnly": true} (list/info only); unknown keys are refused.
// Linux capabilities (manifest): CAP_NET_BIND_SERVICE for :443; CAP_SYS_ADMIN only for nsenter into the
// public namespace (the proxy process inherits both, nothing else).
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import { join } from "node:path";
import process from "node:process";
import { startProcess } from "../lib/guest/process.ts";
import { Gateway$Server } from "../schema/gen/gateway.ts";
import { parseListen } from "../zdb/listen-address.ts";
import { ProxyProcess } from "./proxy-process.ts";
import { GatewayService } from "./service.ts";

const [stateDir, listenText, nsArg, deno] = process.argv.slice(2);
if (!stateDir || !listenText || !nsArg || !deno) {
  console.error("gateway: usage: gateway/main.ts <state dir> <HOST:PORT> <netns pin file | -> <deno binary>");
  process.exit(2);
}
const listen = parseListen(listenText);
const proxy = new ProxyProcess({
  deno,
  netns: nsArg === "-" ? null : nsArg,
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
const service = new GatewayService(stateDir, proxy);
let ready = false;

function server(readOnly: boolean): Gateway$Server {
  const deny = (what: string) => {
    if (readOnly) throw new Error(`denied: gateway: ${what} needs a grant without readOnly`);
  };
  return new Gateway$Server({
    async setRoute(p, r) {
      deny("setRoute");
      r.json = JSON.stringify(await service.setRoute(p.json));
    },
    async deleteRoute(p, r) {
      deny("deleteRoute");
      r.existed = await service.deleteRoute(p.id);
    },
    list(_p, r) {
      r.json = JSON.stringify(service.list());
      return Promise.resolve();
    },
    info(_p, r) {
      r.json = JSON.stringify({ listen: service.listenText(), ca: service.caPem, routes: service.list().length });
      return Promise.resolve();
    },
  });
}

startProcess({
  provide: {
    gateway: (r) => {
      const unknown = Object.keys(r).filter((k) => k !== "readOnly");
      if (unknown.length) throw new Error(`denied: gateway: unknown restriction ${unknown.join(", ")} (known: readOnly)`);
      if (r.readOnly !== undefined && typeof r.readOnly !== "boolean") throw new Error("denied: gateway: readOnly is true or false");
      return server(r.readOnly === true);
    },
  },
  health: () => ({ ready: ready && !proxy.exited, detail: proxy.exited ? `the proxy process ${proxy.exited}` : ready ? "" : "starting the proxy" }),
  onShutdown: () => proxy.stop(),
});

try {
  const l = await service.start(listen.host, listen.port);
  ready = true;
  console.error(`gateway: proxy pid ${proxy.pid} listening on ${service.listenText()}${nsArg === "-" ? "" : ` in ${nsArg}`}, ${service.list().length} routes (port ${l.port})`);
} catch (err) {
  console.error(`gateway: cannot listen on ${listenText}: ${(err as Error).message}`);
  await proxy.stop();
  process.exit(1);
}
