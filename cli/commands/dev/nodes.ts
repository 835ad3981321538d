// `zos dev --nodes N`: the first node is started by grid.ts as before (DIR/node); this adds the underlay
// joining every node's public namespace (root only, dev/underlay.ts) before any node starts, and starts
// nodes 2…N (DIR/node2 …) in the same farm once the first is registered. Their stops run before the
// underlay's, which removes whatever namespaces are left.
import { join } from "node:path";
import type { Kernel } from "../../../kernel/kernel.ts";
import { prepareUnderlay } from "./underlay.ts";

export function nodeDirs(stateDir: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => join(stateDir, i === 0 ? "node" : `node${i + 1}`));
}

interface NodeStart {
  chainUrl: string;
  relayUrl: string;
  farmId: number;
  faucetMnemonic: string;
  hubUrl?: string;
  log: (l: string) => void;
}

/** `accessIndex` (0-based, -1 = none): the node that gets the farmer's public config on chain. */
export async function startMoreNodes(stateDir: string, count: number, o: NodeStart, stops: (() => Promise<unknown>)[], accessIndex = -1) {
  const dirs = nodeDirs(stateDir, count);
  // one node (plain `npm start`) needs no underlay unless it is an access node: its network namespaces
  // appear with the first network workload
  const underlay = count > 1 || accessIndex >= 0 ? prepareUnderlay(stateDir, dirs, accessIndex) : null;
  if (underlay) stops.push(() => Promise.resolve(underlay.stop()));
  // the access node's gateway proxy listens on :443 of its public namespace (dev/gateway-access.ts), which
  // the underlay pinned in its netlink driver's folder: the driver shares that pin with the gateway (grant netns)
  const gatewayOf = (i: number): { listen: string; ns: string } | undefined =>
    underlay && i === accessIndex ? { listen: "0.0.0.0:443", ns: "public" } : undefined;
  const publicIp = (i: number): string | null => underlay?.publicIps[i] ?? null;
  const kernels = new Map<number, Kernel>();
  return {
    publicIp,
    gatewayOf,
    /** node i's kernel once started here (nodes 2…N; grid.ts holds node 1's) */
    kernelOf: (i: number): Kernel | undefined => kernels.get(i),
    dirs,
    lanNetns: underlay?.lanNetns ?? null,
    async startOthers(): Promise<{ node_id: number; twin_id: number; public_ip: string | null }[]> {
      const out: { node_id: number; twin_id: number; public_ip: string | null }[] = [];
      const { startNode } = await import("../../../modules/node.ts");
      for (let i = 1; i < count; i++) {
        const n = await startNode({
          stateDir: dirs[i], chainUrl: o.chainUrl, relayUrl: o.relayUrl, farmId: o.farmId, faucetMnemonic: o.faucetMnemonic, hubUrl: o.hubUrl,
          gatewayListen: gatewayOf(i)?.listen, gatewayNs: gatewayOf(i)?.ns,
          onEvent: (e) => o.log(`[kernel node${i + 1}] ${JSON.stringify(e)}`),
        });
        stops.push(() => n.stop());
        kernels.set(i, n.kernel);
        out.push({ node_id: n.nodeId, twin_id: n.twinId, public_ip: publicIp(i) });
      }
      return out;
    },
  };
}
