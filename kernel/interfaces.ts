// Interface names a manifest may use in `exposes`, mapped to their Cap'n Proto ids. The membrane refuses
// calls on a granted reference whose interface id is not the granted interface. Names not listed here
// (drivers added later) are routed without that check until they are registered.
import {
  Clock$Client, Counter$Client, Echo$Client, Greeter$Client, Kv$Client, Log$Client, ProcessControl$Client, Session$Client,
} from "../capabilities/schema/gen/kernel.ts";
import { Identity$Client, Signer$Client } from "../capabilities/schema/gen/identity.ts";
import { ChainReader$Client, ChainSubmitter$Client } from "../capabilities/schema/gen/chain.ts";
import {
  Activator$Client, DeploymentEngine$Client, HostFacts$Client, Rmb$Client, StatusReport$Client,
} from "../capabilities/schema/gen/node.ts";
import { BlockDev$Client, Storage$Client } from "../capabilities/schema/gen/storage.ts";
import { Netlink$Client, NetworkManager$Client } from "../capabilities/schema/gen/network.ts";
import { Zdb$Client } from "../capabilities/schema/gen/zdb.ts";
import { Flist$Client } from "../capabilities/schema/gen/flist.ts";
import { Gateway$Client } from "../capabilities/schema/gen/gateway.ts";
import { ProcessMemory$Client } from "../capabilities/schema/gen/system.ts";
import { Hypervisor$Client } from "../capabilities/schema/gen/hypervisor.ts";
import { Upgrade$Client } from "../capabilities/schema/gen/upgrade.ts";

const registry = new Map<string, bigint>([
  ["Session", Session$Client.interfaceId],
  ["ProcessControl", ProcessControl$Client.interfaceId],
  ["Kv", Kv$Client.interfaceId],
  ["Log", Log$Client.interfaceId],
  ["Clock", Clock$Client.interfaceId],
  ["Counter", Counter$Client.interfaceId],
  ["Greeter", Greeter$Client.interfaceId],
  ["Echo", Echo$Client.interfaceId],
  // the node's drivers and modules (manifests/node.json)
  ["Identity", Identity$Client.interfaceId],
  ["Signer", Signer$Client.interfaceId],
  ["ChainReader", ChainReader$Client.interfaceId],
  ["ChainSubmitter", ChainSubmitter$Client.interfaceId],
  ["Activator", Activator$Client.interfaceId],
  ["Rmb", Rmb$Client.interfaceId],
  ["HostFacts", HostFacts$Client.interfaceId],
  ["DeploymentEngine", DeploymentEngine$Client.interfaceId],
  ["StatusReport", StatusReport$Client.interfaceId],
  ["BlockDev", BlockDev$Client.interfaceId],
  ["Storage", Storage$Client.interfaceId],
  ["Netlink", Netlink$Client.interfaceId],
  ["NetworkManager", NetworkManager$Client.interfaceId],
  ["Zdb", Zdb$Client.interfaceId],
  ["Flist", Flist$Client.interfaceId],
  ["Gateway", Gateway$Client.interfaceId],
  ["ProcessMemory", ProcessMemory$Client.interfaceId],
  ["Hypervisor", Hypervisor$Client.interfaceId],
  ["Upgrade", Upgrade$Client.interfaceId],
]);

export function interfaceId(name: string): bigint | undefined {
  return registry.get(name);
}

/** Lets other schemas (drivers added by later issues) register their interfaces with the kernel. */
export function registerInterface(name: string, id: bigint): void {
  registry.set(name, id);
}
