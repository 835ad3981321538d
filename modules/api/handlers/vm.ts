// zos.vm.logs (this node's extension; Zero-OS shows consoles through console_url): a zmachine's console
// log for its owner, in pages of at most 256 KiB from `offset`. Scoped like zos.deployment.get: a twin reads
// only the VMs of its own deployments, and "not yours" answers like "not found".
import { ApiError, notSupported } from "../errors.ts";
import { field, uintField } from "../json_fields.ts";
import type { CallContext, Handler } from "./types.ts";

const PAGE = 256 * 1024;

export const vmHandlers: Record<string, Handler> = {
  "zos.vm.logs": async (ctx: CallContext) => {
    const { engine, vms } = ctx.deps;
    if (!engine || !vms) throw notSupported(ctx.command);
    const id = uintField(ctx.body, "contract_id", ctx.command);
    const name = field(ctx.body as Record<string, unknown>, "name");
    if (typeof name !== "string" || !name) throw new ApiError(`${ctx.command}: "name" must be the zmachine's workload name`);
    const off = field(ctx.body as Record<string, unknown>, "offset") ?? 0;
    if (typeof off !== "number" || !Number.isInteger(off) || off < 0) throw new ApiError(`${ctx.command}: "offset" must be a byte offset`);
    const d = await engine.get(ctx.twin, id);
    if (!d || field(d, "twin_id") !== ctx.twin) throw new ApiError(`no deployment with contract id ${id} for twin ${ctx.twin}`);
    const wl = ((field(d, "workloads") ?? []) as Record<string, unknown>[]).find((w) => field(w, "name") === name);
    if (!wl || field(wl, "type") !== "zmachine") throw new ApiError(`contract ${id} has no zmachine named "${name}"`);
    const r = await vms.consoleLog(`${ctx.twin}-${id}-${name}`, off, PAGE);
    if (!r) throw new ApiError(`zmachine "${name}" of contract ${id} is not running on this node`);
    return r;
  },
};
