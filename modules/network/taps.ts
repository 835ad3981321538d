// VM taps (the `vm-tap` verb of the network module, CONTRACTS "Taps"): a persistent tap named for the VM
// (capabilities/lib/vm-names.ts) on its NR's bridge in the node's host namespace, owned by the hypervisor
// driver's uid so QEMU attaches it without any Linux capability. Only the twin's own NR is reachable:
// the NR is looked up by networkId(twin, name), so naming another twin's network finds nothing.
import { tapName } from "../../capabilities/lib/vm-names.ts";
import { networkId } from "../lib/gridtypes/names.ts";
import { gateway, type Layout, names, WorkloadInputError } from "./nr.ts";

export const TAP_PREFIX = "t-";

export interface TapRequest {
  twin: number;
  /** the VM's workload id */
  workloadId: string;
  /** the NR's name in the twin's deployments */
  name: string;
  data: { slot?: number; user?: number };
}

export interface TapInfo {
  tap: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ip_range: string;
}

export function tapRequest(req: TapRequest): { slot: number; user: number | undefined } {
  const slot = req.data?.slot ?? 0;
  const user = req.data?.user;
  if (!Number.isInteger(slot) || slot < 0 || slot > 3) throw new WorkloadInputError(`vm-tap: slot must be 0–3, got ${slot}`);
  if (user !== undefined && (!Number.isInteger(user) || user < 0)) throw new WorkloadInputError("vm-tap: user must be a uid");
  return { slot, user };
}

export function tapOps(l: Layout, req: TapRequest, nr: { netId: string; subnet: string; ipRange: string } | undefined): { ops: Record<string, unknown>[]; info: TapInfo } {
  if (!nr) throw new WorkloadInputError(`network "${req.name}" of twin ${req.twin} does not exist on this node; deploy the network workload first`);
  const { slot, user } = tapRequest(req);
  const tap = tapName(TAP_PREFIX, req.workloadId, slot);
  const n = names(nr.netId);
  return {
    ops: [{ op: "tap.add", ns: l.host, name: tap, master: n.bridge, ...(user === undefined ? {} : { user }) }],
    info: { tap, bridge: n.bridge, subnet: nr.subnet, gateway: gateway(nr.subnet).split("/")[0], ip_range: nr.ipRange },
  };
}

export function untapOps(l: Layout, req: TapRequest, present: Set<string>): Record<string, unknown>[] {
  const { slot } = tapRequest(req);
  const tap = tapName(TAP_PREFIX, req.workloadId, slot);
  return present.has(tap) ? [{ op: "link.del", ns: l.host, name: tap }] : [];
}

export { networkId };
