// The `gateway-name-proxy` and `gateway-fqdn-proxy` workload managers (Zero-OS pkg/primitives/gateway):
// one route per workload on the gateway driver's :443, named by the workload id. A name proxy serves
// `<name>.<node domain>` and needs a chain name contract for `name` owned by the deploying twin; an FQDN
// proxy serves the user's own domain (never one under the node's domain). Results as Zero-OS:
// name → {"fqdn": "<name>.<domain>"}, fqdn → {}. Delete (and contract cancel, which uninstalls the
// deployment) removes the route. Gateways cannot be updated, as on Zero-OS.
import { type GatewayData, gatewayFqdnHandler, gatewayNameHandler } from "../../lib/gridtypes/workloads/misc.ts";
import type { Workload } from "../../lib/gridtypes/types.ts";
import type { WorkloadContext, WorkloadManager } from "../interfaces.ts";

/** What the managers need of the gateway driver (capabilities/schema/gateway.capnp, see gateway-client.ts). */
export interface GatewayBackend {
  setRoute(route: { id: string; host: string; tlsPassthrough: boolean; backends: string[] }): Promise<unknown>;
  deleteRoute(id: string): Promise<boolean>;
}

/** What the name proxy needs of the chain. */
export interface GatewayChain {
  /** the node's gateway domain from its public config on chain; null when it has none */
  domain(): Promise<string | null>;
  /** the name contract registering `name`, or null */
  nameContract(name: string): Promise<{ contractId: number; twinId: number } | null>;
}

/**
 * The `network` field: the network module links the gateway's public namespace to the twin's NR on this
 * node for the backends' private IPs (modules/network/gateway-link.ts); null when not granted.
 */
export interface GatewayNetwork {
  link(twin: number, network: string, workloadId: string, ips: string[]): Promise<unknown>;
  unlink(twin: number, network: string, workloadId: string): Promise<void>;
}

export interface GatewayManagerOptions {
  backend: GatewayBackend;
  chain: GatewayChain;
  network?: GatewayNetwork | null;
}

/** The IP of each backend (`http://IP[:PORT]` or `IP:PORT`); the gateway driver checks the rest. */
export function backendIps(backends: string[]): string[] {
  return backends.map((b) => {
    const m = /^(?:http:\/\/)?\[?([0-9a-fA-F:.]+?)\]?(?::\d+)?\/?$/.exec(b);
    if (!m) throw new Error(`backend "${b}": expected http://IP[:PORT] or IP:PORT`);
    return m[1];
  });
}

/** Sets the route, first linking the gateway to the twin's NR when the workload names one. */
async function route(o: GatewayManagerOptions, ctx: WorkloadContext, d: GatewayData, host: string): Promise<void> {
  const network = d.network ?? "";
  if (network !== "") {
    if (!o.network) throw new Error(`backends over a user network ("network": "${network}") are not supported on this node: use backends on public addresses`);
    await o.network.link(ctx.twin, network, ctx.workloadId, backendIps(d.backends));
  }
  try {
    await o.backend.setRoute({ id: ctx.workloadId, host, tlsPassthrough: d.tls_passthrough, backends: d.backends });
  } catch (err) {
    if (network !== "") await o.network!.unlink(ctx.twin, network, ctx.workloadId).catch(() => {});
    throw err;
  }
}

async function unroute(o: GatewayManagerOptions, ctx: WorkloadContext): Promise<void> {
  await o.backend.deleteRoute(ctx.workloadId);
  // the network module keeps the link per workload id: a workload without one answers at once
  await o.network?.unlink(ctx.twin, "", ctx.workloadId);
}

function decode(wl: Workload, handler: typeof gatewayNameHandler): GatewayData {
  if (wl.data === undefined) throw new Error(`${wl.type} workload has no data`);
  const d = handler.decode(wl.data, "data");
  const bad = handler.validate(d, { get: () => undefined, byType: () => [] });
  if (bad) throw new Error(bad);
  return d;
}

async function needDomain(chain: GatewayChain): Promise<string> {
  const domain = await chain.domain();
  if (!domain) throw new Error("this node is not a gateway: its public config on chain has no domain (the farmer sets one with tfgridModule.addNodePublicConfig)");
  return domain.toLowerCase();
}

export function gatewayNameManager(o: GatewayManagerOptions): WorkloadManager {
  return {
    async provision(ctx: WorkloadContext, wl: Workload) {
      const d = decode(wl, gatewayNameHandler);
      const domain = await needDomain(o.chain);
      const nc = await o.chain.nameContract(d.name);
      if (!nc) {
        throw new Error(`no name contract for "${d.name}" on chain: create one first (smartContractModule.createNameContract("${d.name}"))`);
      }
      if (nc.twinId !== ctx.twin) {
        throw new Error(`the name "${d.name}" belongs to twin ${nc.twinId} (name contract ${nc.contractId}), not to this deployment's twin ${ctx.twin}`);
      }
      const fqdn = `${d.name.toLowerCase()}.${domain}`;
      await route(o, ctx, d, fqdn);
      return { fqdn };
    },
    deprovision: (ctx) => unroute(o, ctx),
  };
}

export function gatewayFqdnManager(o: GatewayManagerOptions): WorkloadManager {
  return {
    async provision(ctx: WorkloadContext, wl: Workload) {
      const d = decode(wl, gatewayFqdnHandler);
      const domain = await needDomain(o.chain);
      const fqdn = d.name.toLowerCase();
      if (fqdn === domain || fqdn.endsWith(`.${domain}`)) {
        throw new Error(`fqdn "${d.name}" is under this node's gateway domain ${domain}: use a gateway-name-proxy with a name contract for it`);
      }
      await route(o, ctx, d, fqdn);
      return {};
    },
    deprovision: (ctx) => unroute(o, ctx),
  };
}

/**
 * `qsfs` needs zstor (the quantum-safe storage engine) and 0-db-fs, which do not exist for this node:
 * every qsfs workload fails with that reason, and the node does not list qsfs in its features.
 */
export const QSFS_UNSUPPORTED = "qsfs is not supported on this node: it needs zstor (the quantum-safe storage daemon) and 0-db-fs, which this node does not ship; use zmount/volume disks or zdb namespaces";

export const qsfsManager: WorkloadManager = {
  provision: () => Promise.reject(new Error(QSFS_UNSUPPORTED)),
  deprovision: () => Promise.resolve(),
};
