// Test helper: the api's DeploymentEngine port straight over a provision Engine object, for router tests
// that need a real engine without the kernel (the node wires the same port over the provision module's
// DeploymentEngine capability, modules/api/main.ts). The api speaks JSON values, the engine its gridtypes
// model with exact u64s; reads go through deploymentJson so numbers are rendered as the node renders them.
import type { Engine } from "../../provision/mod.ts";
import { deploymentJson, workloadJson } from "../../lib/gridtypes/mod.ts";
import type { DecodedDeployment, DeploymentEngine, DeploymentJson, EngineUsage, WorkloadJson } from "../ports.ts";

export function enginePort(engine: Engine, features: () => string[]): DeploymentEngine {
  return {
    deploy: (twin: number, d: DecodedDeployment) => engine.deploy(d.raw, twin),
    update: (twin: number, d: DecodedDeployment) => engine.update(d.raw, twin),
    get(twin: number, contractId: number): Promise<DeploymentJson | null> {
      const d = engine.get(twin, BigInt(contractId));
      return Promise.resolve(d ? JSON.parse(deploymentJson(d)) : null);
    },
    list(twin: number): Promise<DeploymentJson[]> {
      return Promise.resolve(engine.list(twin).map((d) => JSON.parse(deploymentJson(d))));
    },
    changes(twin: number, contractId: number): Promise<WorkloadJson[]> {
      return Promise.resolve(engine.changes(twin, BigInt(contractId)).map((w) => JSON.parse(workloadJson(w))));
    },
    features,
    usage(): Promise<EngineUsage> {
      const s = engine.statistics();
      const u = engine.used();
      const n = (x: bigint) => Number(x);
      return Promise.resolve({
        used: { cru: n(u.cru), sru: n(u.sru), hru: n(u.hru), mru: n(u.mru), ipv4u: n(u.ipv4u) },
        deployments: s.users.deployments,
        workloads: s.users.workloads,
        last_deployment_timestamp: s.users.last_deployment_timestamp,
      });
    },
  };
}
