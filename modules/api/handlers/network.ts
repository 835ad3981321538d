// zos.network.*: answered from the network capability (and the engine for workload IPs) when present.
import { notSupported } from "../errors.ts";
import { stringField } from "../json_fields.ts";
import type { Handler } from "./types.ts";

function need<T>(fn: T | undefined, command: string): T {
  if (!fn) throw notSupported(command);
  return fn;
}

export const networkHandlers: Record<string, Handler> = {
  "zos.network.list_wg_ports": (ctx) => need(ctx.deps.network?.wgPorts, ctx.command).call(ctx.deps.network),
  "zos.network.public_config_get": (ctx) => need(ctx.deps.network?.publicConfig, ctx.command).call(ctx.deps.network),
  "zos.network.interfaces": (ctx) => need(ctx.deps.network?.interfaces, ctx.command).call(ctx.deps.network),
  "zos.network.has_ipv6": (ctx) => need(ctx.deps.network?.hasIpv6, ctx.command).call(ctx.deps.network),
  // the engine's view when it has one, else the network module's ip workload records (real state)
  "zos.network.list_public_ips": (ctx) =>
    ctx.deps.engine?.publicIps ? ctx.deps.engine.publicIps() : need(ctx.deps.network?.publicIps, ctx.command).call(ctx.deps.network),
  "zos.network.list_private_ips": (ctx) => {
    const fn = need(ctx.deps.engine?.privateIps, ctx.command);
    const name = stringField(ctx.body, "network_name", ctx.command);
    return fn.call(ctx.deps.engine, ctx.twin, name);
  },
};
