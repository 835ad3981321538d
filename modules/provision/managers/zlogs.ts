// The `zlogs` workload manager (zosbase pkg/primitives/zlogs): streams the console of a zmachine of the same
// deployment to the `output` URL (redis, ws, wss), from inside that VM's NR namespace as Zero-OS's
// tailstream does, through the hypervisor driver (which owns the console logs). No capacity; the result
// has no data. Delete stops the stream.
import { type Workload, workloadData } from "../../lib/gridtypes/mod.ts";
import type { ZMachineData } from "../../lib/gridtypes/workloads/zmachine.ts";
import { networkId } from "../../lib/gridtypes/names.ts";
import type { WorkloadContext, WorkloadManager } from "../interfaces.ts";
import type { HypervisorPort } from "./zmachine.ts";

interface ZlogsData {
  zmachine: string;
  output: string;
}

function target(ctx: WorkloadContext, wl: Workload): { vm: string; url: string; netns: string } {
  const d = workloadData(wl) as ZlogsData;
  const vm = ctx.deployment.workloads.find((w) => w.name === d.zmachine && w.type === "zmachine");
  if (!vm) throw new Error(`zmachine: "${d.zmachine}" is not a zmachine of this deployment`);
  const net = (workloadData(vm) as ZMachineData).network.interfaces[0]?.network;
  return { vm: `${ctx.twin}-${ctx.contract}-${d.zmachine}`, url: d.output, netns: net ? `n-${networkId(ctx.twin, net)}` : "" };
}

export function zlogsManager(hv: HypervisorPort): WorkloadManager {
  const run = async (ctx: WorkloadContext, wl: Workload) => {
    const t = target(ctx, wl);
    if (!(await hv.info(t.vm))) throw new Error(`zmachine ${t.vm} is not running on this node`);
    await hv.stream(t.vm, t.url, t.netns);
    return null;
  };
  return {
    provision: run,
    update: run,
    async deprovision(ctx, wl) {
      const t = target(ctx, wl);
      if (await hv.info(t.vm)) await hv.unstream(t.vm, t.url);
    },
  };
}
