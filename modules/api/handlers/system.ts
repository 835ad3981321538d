// zos.system.*, zos.statistics.get, zos.location.get, zos.storage.pools: answered from the node's
// system, engine and storage capabilities when present.
import { notSupported } from "../errors.ts";
import type { Capacity } from "../ports.ts";
import type { CallContext, Handler } from "./types.ts";

const zero = (): Capacity => ({ cru: 0, sru: 0, hru: 0, mru: 0, ipv4u: 0 });

function add(a: Capacity, b: Capacity): Capacity {
  return { cru: a.cru + b.cru, sru: a.sru + b.sru, hru: a.hru + b.hru, mru: a.mru + b.mru, ipv4u: a.ipv4u + b.ipv4u };
}

async function statistics(ctx: CallContext): Promise<unknown> {
  const { system, engine } = ctx.deps;
  if (!system.capacity) throw notSupported(ctx.command);
  const total = { ...(await system.capacity()), ipv4u: 0 }; // ipv4u total is always 0 (§5.3)
  const reserved = system.reserved ? await system.reserved() : zero();
  const usage = engine?.usage
    ? await engine.usage()
    : { used: zero(), deployments: 0, workloads: 0, last_deployment_timestamp: 0 };
  return {
    total,
    used: add(usage.used, reserved),
    system: reserved,
    users: {
      deployments: usage.deployments,
      workloads: usage.workloads,
      last_deployment_timestamp: usage.last_deployment_timestamp,
    },
    open_connections: ctx.deps.openConnections?.() ?? 0,
  };
}

async function diagnostics(ctx: CallContext): Promise<unknown> {
  const d = ctx.deps.diagnostics;
  const [modules, procs] = await Promise.all([d ? d.modules() : [], d?.processes ? d.processes().catch(() => null) : null]);
  const healthy = modules.every((m) => m.healthy);
  const total = (k: "rssMb" | "pssMb" | "ussMb") => procs?.every((p) => p[k] !== null) ? round1(procs.reduce((a, p) => a + (p[k] ?? 0), 0)) : null;
  return {
    system_status_ok: healthy,
    online: ctx.deps.identity.nodeId() !== undefined,
    healthy,
    modules: modules.map((m) => ({ name: m.name, healthy: m.healthy, status: m.status })),
    // Each node process's memory as the kernel measured it from /proc (MiB): RSS counts the shared
    // runtime binary once per process, PSS shares it out (Σ PSS is the node's footprint), USS is private.
    ...(procs ? {
      processes: procs.map((p) => ({
        name: p.process, pid: p.pid, rss_mb: p.rssMb, pss_mb: p.pssMb, uss_mb: p.ussMb, budget_mb: p.budgetMb,
        over_budget: p.budgetMb !== null && p.rssMb > p.budgetMb,
      })),
      memory: { rss_mb: total("rssMb"), pss_mb: total("pssMb"), uss_mb: total("ussMb") },
    } : {}),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export const systemHandlers: Record<string, Handler> = {
  "zos.system.version": (ctx) => Promise.resolve(ctx.deps.system.version()),
  "zos.system.dmi": (ctx) => {
    if (!ctx.deps.system.dmi) throw notSupported(ctx.command);
    return ctx.deps.system.dmi();
  },
  "zos.system.hypervisor": (ctx) => {
    if (!ctx.deps.system.hypervisor) throw notSupported(ctx.command);
    return ctx.deps.system.hypervisor();
  },
  "zos.system.diagnostics": diagnostics,
  "zos.system.node_features_get": (ctx) => {
    if (!ctx.deps.engine?.features) throw notSupported(ctx.command);
    return Promise.resolve(ctx.deps.engine.features());
  },
  "zos.statistics.get": statistics,
  "zos.location.get": (ctx) => {
    if (!ctx.deps.location) throw notSupported(ctx.command);
    return ctx.deps.location.location();
  },
  "zos.storage.pools": (ctx) => {
    if (!ctx.deps.storage) throw notSupported(ctx.command);
    return ctx.deps.storage.pools();
  },
};
