// The flist driver: downloads flists from the hubs it was started with (http only to those host:ports;
// its Deno net permission says the same), checks each `.md5`, reads both formats, verifies every block,
// and keeps read-only roots (shared per flist md5) and per-VM writable roots in its own state dir.
// No Linux capabilities: it writes only files it owns; set-id bits never reach the host copy.
// Args: <state dir> <hubs: host:port,… ("-" = none)> <legacy block store URL for .flist files ("-" = none)>
// [<the pools' mount root>: writable roots in storage volumes].
// Grant: flist {"owners"?: [twin ids], "hubs"?: ["host:port"]} (see service.ts).
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import process from "node:process";
import { startProcess } from "../lib/guest/process.ts";
import { FlistCache } from "./cache.ts";
import { HubPolicy } from "./policy.ts";
import { flistServer } from "./service.ts";

const [stateDir, hubsArg, legacyArg, volumesArg] = process.argv.slice(2);
if (!stateDir || !hubsArg) {
  console.error("flist: usage: flist/main.ts <state dir> <hubs host:port,…|-> [<legacy store URL>|-] [<pools' mount root>]");
  process.exit(2);
}
const hubs = new HubPolicy(hubsArg === "-" ? [] : hubsArg.split(","));
const cache = new FlistCache({
  dir: stateDir,
  legacyStore: legacyArg && legacyArg !== "-" ? legacyArg : undefined,
  // writable roots may fill a quota-limited storage volume under the pools' mount root (vm group, 2770)
  volumes: volumesArg && volumesArg !== "-" ? volumesArg : undefined,
  log: (l) => console.error(l),
});

startProcess({
  provide: { flist: (r, grantee) => flistServer(cache, hubs, r, grantee) },
  health: () => ({ ready: true, detail: "" }),
});
console.error(`flist: ready; hubs ${[...hubs.hosts].join(", ") || "none"}; ${cache.list().length} roots cached`);
