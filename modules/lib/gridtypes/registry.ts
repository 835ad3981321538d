// Every workload type the node knows, with the facts the engine needs about each.
import type { TypeHandler } from "./handler.ts";
import { networkHandler, networkLightHandler } from "./workloads/network.ts";
import { zmachineHandler, zmachineLightHandler } from "./workloads/zmachine.ts";
import { qsfsHandler, volumeHandler, zdbHandler, zmountHandler } from "./workloads/storage.ts";
import { gatewayFqdnHandler, gatewayNameHandler, ipHandler, ipv4Handler, zlogsHandler } from "./workloads/misc.ts";

// deno-lint-ignore no-explicit-any
export const HANDLERS: ReadonlyMap<string, TypeHandler<any>> = new Map<string, TypeHandler<any>>([
  ["network", networkHandler],
  ["network-light", networkLightHandler],
  ["ip", ipHandler],
  ["ipv4", ipv4Handler],
  ["zmount", zmountHandler],
  ["volume", volumeHandler],
  ["zmachine", zmachineHandler],
  ["zmachine-light", zmachineLightHandler],
  ["zdb", zdbHandler],
  ["qsfs", qsfsHandler],
  ["zlogs", zlogsHandler],
  ["gateway-name-proxy", gatewayNameHandler],
  ["gateway-fqdn-proxy", gatewayFqdnHandler],
]);

export const WORKLOAD_TYPES: readonly string[] = [...HANDLERS.keys()];

/** Types whose manager on the node supports update (others make the whole update fail). */
export const UPDATABLE_TYPES: ReadonlySet<string> = new Set(["zmount", "volume", "network", "network-light", "zdb", "qsfs"]);

/** Types other deployments of the same twin refer to by name. */
export const SHARABLE_TYPES: ReadonlySet<string> = new Set(["network", "network-light"]);

/**
 * Install order by type. The node fixes the first eight and leaves the rest in Go map order
 * (unspecified); we fix that tail so replays are deterministic.
 */
export const INSTALL_ORDER: readonly string[] = [
  "zmount",
  "volume",
  "qsfs",
  "network",
  "ipv4",
  "ip",
  "zmachine",
  "zlogs",
  "zdb",
  "gateway-name-proxy",
  "gateway-fqdn-proxy",
  "network-light",
  "zmachine-light",
];
