// The 0-db driver: the node's own 0-db-compatible server (no package provides one). It holds two raw
// resources — a listening address and its data folder — and exposes `zdb` (capabilities/schema/zdb.capnp),
// the admin path the zdb workload manager uses. Clients reach namespaces over RESP on the TCP address and
// the unix socket `<state>/zdb.sock`; the admin password is random per start and never leaves this process,
// so RESP admin commands (NSNEW, NSSET, …) are not reachable from outside (Zero-OS runs 0-db with --protect
// and an admin secret of its own the same way).
// Args: <state dir> <HOST:PORT> [<pools mount root: where the storage module's volumes are; a namespace of a
// zdb workload lives in the volume the storage module made and handed to this driver (zdb on HDD pools)>].
// Grant: zdb {} (no restrictions; unknown keys are refused).
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import process from "node:process";
import { startProcess } from "../lib/guest/process.ts";
import { CommandServer } from "./commands.ts";
import { zdbControl } from "./control.ts";
import { parseListen } from "./listen-address.ts";
import { type Listening, serve } from "./server.ts";
import { Store } from "./store.ts";

const stateDir = process.argv[2];
const listenText = process.argv[3];
const volumes = process.argv[4] && process.argv[4] !== "-" ? process.argv[4] : undefined;
if (!stateDir || !listenText) {
  console.error("zdb: usage: zdb/main.ts <state dir> <HOST:PORT>");
  process.exit(2);
}
const listen = parseListen(listenText);
// sun_path holds 107 bytes: a deeper state dir serves TCP only and says so
const socketPath = join(stateDir, "zdb.sock");
const socket = Buffer.byteLength(socketPath) <= 107 ? socketPath : undefined;
if (!socket) console.error(`zdb: no unix socket: "${socketPath}" is longer than 107 bytes`);

const store = new Store(join(stateDir, "data"), { log: (l) => console.error(l), volumes });
const server = new CommandServer({ store, admin: randomBytes(24).toString("hex"), protect: true });
let listening: Listening | null = null;
const control = zdbControl(store, () => ({
  host: listen.host,
  port: listening?.port ?? 0,
  socket: listening?.socket ?? "",
}));

startProcess({
  provide: {
    zdb: (r) => {
      const keys = Object.keys(r);
      if (keys.length) throw new Error(`denied: zdb: "zdb" takes no restrictions (got ${keys.join(", ")})`);
      return control;
    },
  },
  health: () => ({ ready: listening !== null, detail: listening ? "" : "opening the listeners" }),
  onShutdown: async () => {
    await listening?.close();
    store.close();
  },
});

listening = await serve(server, { host: listen.host, port: listen.port, socket });
console.error(`zdb: listening on ${listen.host}:${listening.port}${socket ? ` and ${socket}` : ""}, ${store.names().length} namespaces`);
