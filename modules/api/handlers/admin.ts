// zos.admin.* — farmer twin only. Current nodes answer zos.admin.*; the Go client and older docs use
// zos.network.admin.* (the path before May 2024), so both are served (ZOS-REFERENCE §5.2 notes).
import { ApiError, notSupported } from "../errors.ts";
import type { CallContext, Handler } from "./types.ts";

async function requireFarmer(ctx: CallContext): Promise<void> {
  const farmer = await ctx.deps.identity.farmerTwin();
  if (farmer === undefined) {
    throw new ApiError(`${ctx.command}: the farmer twin of this node is not known yet (node not registered)`);
  }
  if (farmer !== ctx.twin) {
    throw new ApiError(`${ctx.command} is reserved for the farmer twin ${farmer}; twin ${ctx.twin} is not allowed`);
  }
}

function farmerOnly(inner: Handler): Handler {
  return async (ctx) => {
    await requireFarmer(ctx);
    return inner(ctx);
  };
}

const admin: Record<string, Handler> = {
  interfaces: farmerOnly((ctx) => {
    const fn = ctx.deps.network?.adminInterfaces;
    if (!fn) throw notSupported(ctx.command);
    return fn.call(ctx.deps.network);
  }),
  get_public_nic: farmerOnly((ctx) => {
    const fn = ctx.deps.network?.publicNic;
    if (!fn) throw notSupported(ctx.command);
    return fn.call(ctx.deps.network);
  }),
  // The payload is the interface name as a JSON string (Zero-OS); "zos" goes back to the single-NIC shape.
  set_public_nic: farmerOnly(async (ctx) => {
    const fn = ctx.deps.network?.setPublicNic;
    if (!fn) throw notSupported(ctx.command);
    const b = ctx.body as unknown;
    const ifname = typeof b === "string" ? b : (b as { ifname?: unknown } | null)?.ifname;
    if (typeof ifname !== "string" || ifname === "") throw new ApiError(`${ctx.command}: the payload must be the interface name as a JSON string, e.g. "eth1"`);
    await fn.call(ctx.deps.network, ifname);
    return null;
  }),
  // Live upgrade (docs/upgrade.md): the RMB envelope is signed by the farmer's twin and checked by the rmb
  // driver, so an approval is the farmer's signed word naming one release hash.
  upgrade_status: farmerOnly((ctx) => {
    if (!ctx.deps.upgrade) throw notSupported(ctx.command);
    return ctx.deps.upgrade.status();
  }),
  upgrade_check: farmerOnly((ctx) => {
    if (!ctx.deps.upgrade) throw notSupported(ctx.command);
    return ctx.deps.upgrade.check();
  }),
  upgrade_approve: farmerOnly((ctx) => {
    if (!ctx.deps.upgrade) throw notSupported(ctx.command);
    const b = ctx.body as unknown;
    const hash = typeof b === "string" ? b : (b as { hash?: unknown } | null)?.hash;
    if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) {
      throw new ApiError(`${ctx.command}: the payload must be {"hash": "<64 hex: the release flist's sha256, as zos.admin.upgrade_status shows it>"}`);
    }
    return ctx.deps.upgrade.approve(hash, ctx.twin);
  }),
};

export const adminHandlers: Record<string, Handler> = Object.fromEntries(
  Object.entries(admin).flatMap(([k, h]) => [[`zos.admin.${k}`, h], ...(k.startsWith("upgrade_") ? [] : [[`zos.network.admin.${k}`, h]])]),
);
