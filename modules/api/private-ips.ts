// zos.network.list_private_ips: as Zero-OS answers it, the private IPs the caller's running VMs hold in one of
// its networks — every okay zmachine / zmachine-light of the twin's deployments, each interface on that network.
// grid_client asks it before every VM deployment to pick a free IP, so "not supported" fails every VM deploy.
import type { DeploymentJson } from "./ports.ts";

const VM_TYPES = new Set(["zmachine", "zmachine-light"]);

type Interface = { network?: unknown; ip?: unknown };

export function privateIpsIn(deployments: DeploymentJson[], networkName: string): string[] {
  const ips: string[] = [];
  for (const d of deployments) {
    const workloads = Array.isArray(d.workloads) ? d.workloads as Record<string, unknown>[] : [];
    for (const w of workloads) {
      if (!VM_TYPES.has(String(w.type))) continue;
      const state = (w.result as { state?: unknown } | undefined)?.state;
      if (state !== "ok") continue;
      const data = (typeof w.data === "string" ? JSON.parse(w.data) : w.data) as { network?: { interfaces?: Interface[] } } | undefined;
      for (const i of data?.network?.interfaces ?? []) {
        if (i.network === networkName && typeof i.ip === "string" && i.ip !== "") ips.push(i.ip);
      }
    }
  }
  return ips;
}
