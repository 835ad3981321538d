// The deployments of the fault suite: one workload each, cycling through every workload type this node runs
// (zmachine is left out: each one boots a VM under TCG from an flist a hub serves — too slow for 100 on 2 cores).
// Names carry the run's tag so two runs on one chain never share a gateway name or a network.
import { wgKeys } from "../../modules/network/test/lab.ts";

export const TYPES = ["network", "zmount", "volume", "zdb", "gateway-name-proxy", "gateway-fqdn-proxy"] as const;
export type FaultType = typeof TYPES[number];

const MiB = 1024 * 1024;

export interface Planned {
  index: number;
  type: FaultType;
  /** the workload's name (and the gateway name or fqdn it serves) */
  name: string;
  text: string;
}

function workload(type: FaultType, i: number, tag: string): { name: string; data: Record<string, unknown> } {
  switch (type) {
    case "network": {
      // each network its own /16 in 10.64.0.0/10 and its own listen port
      const b = 64 + (i % 60);
      const c = Math.floor(i / 60);
      return {
        name: `n${tag}${i}`,
        data: {
          ip_range: `10.${b}.0.0/16`,
          subnet: `10.${b}.${c + 2}.0/24`,
          wireguard_private_key: wgKeys().priv,
          wireguard_listen_port: 20000 + i,
          peers: [],
        },
      };
    }
    case "zmount":
      return { name: `d${tag}${i}`, data: { size: 64 * MiB } };
    case "volume":
      return { name: `v${tag}${i}`, data: { size: 64 * MiB } };
    case "zdb":
      return { name: `z${tag}${i}`, data: { size: 64 * MiB, mode: "user", password: `pw-${tag}-${i}`, public: false } };
    case "gateway-name-proxy":
      return { name: `g${tag}${i}`, data: { name: `g${tag}${i}`, tls_passthrough: false, backends: ["http://198.18.0.20:8080"] } };
    case "gateway-fqdn-proxy":
      return { name: `f${tag}${i}`, data: { fqdn: `f${tag}${i}.faults.example`, tls_passthrough: true, backends: ["198.18.0.21:8443"] } };
  }
}

export function plan(count: number, tag: string): Planned[] {
  return Array.from({ length: count }, (_, i) => {
    const type = TYPES[i % TYPES.length];
    const w = workload(type, i, tag);
    const d = {
      version: 0,
      metadata: "",
      description: `fault suite ${tag} #${i}`,
      workloads: [{ version: 0, name: w.name, type, data: w.data, metadata: "", description: "" }],
    };
    return { index: i, type, name: w.name, text: JSON.stringify(d) };
  });
}
