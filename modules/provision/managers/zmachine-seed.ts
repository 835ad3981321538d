// What a zmachine's cloud-init seed takes from its workload, as Zero-OS fills it: the host name (the workload
// name), the env, the SSH keys (one a line in env SSH_KEY) and the entrypoint (/corex with corex). Its own file so
// the cloud-init fuzz surface (tools/fuzz/surfaces/cloudinit.ts) checks the derivation the manager runs.
import { type Workload, workloadData } from "../../lib/gridtypes/mod.ts";
import type { ZMachineData } from "../../lib/gridtypes/workloads/zmachine.ts";

/**
 * A host name from a workload name ([A-Za-z0-9_]+): "_" is not allowed in host names, so it becomes "-", and a
 * name that would then start or end with "-" (e.g. "_vm") is trimmed; nothing left gives "vm".
 */
export function hostnameOf(name: string): string {
  const h = name.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 63).replace(/^-+|-+$/g, "");
  return h || "vm";
}

export function zmachineSeedIdentity(wl: Workload): { hostname: string; sshKeys: string[]; env: Record<string, string>; entrypoint: string } {
  const d = workloadData(wl) as ZMachineData;
  const env = Object.fromEntries(d.env);
  return {
    hostname: hostnameOf(wl.name),
    // one key a line; a CR (keys pasted from Windows) ends a line too
    sshKeys: (env.SSH_KEY ?? "").split(/[\r\n]+/).map((k) => k.trim()).filter(Boolean),
    env,
    entrypoint: d.corex ? "/corex" : d.entrypoint,
  };
}
