// zos.deployment.*: deploy/update run the contract check before the engine sees anything; reads are
// scoped to the caller's twin (a twin reads only its own deployments).
import { ApiError, notSupported } from "../errors.ts";
import { checkNodeContract } from "../contract_check.ts";
import { field, uintField } from "../json_fields.ts";
import type { DecodedDeployment, DeploymentJson } from "../ports.ts";
import type { CallContext, Handler } from "./types.ts";

function engineOf(ctx: CallContext) {
  if (!ctx.deps.engine) throw notSupported(ctx.command);
  return ctx.deps.engine;
}

function registeredNode(ctx: CallContext): number {
  const id = ctx.deps.identity.nodeId();
  if (id === undefined) {
    throw new ApiError("this node is not registered on chain yet; retry in a minute (see zos.system.diagnostics)");
  }
  return id;
}

async function accept(ctx: CallContext, op: "deploy" | "update"): Promise<null> {
  const { codec, contracts } = ctx.deps;
  const engine = engineOf(ctx);
  if (!codec || !contracts) throw notSupported(ctx.command);
  if (ctx.body === null || typeof ctx.body !== "object" || Array.isArray(ctx.body)) {
    throw new ApiError(`${ctx.command}: the payload must be a deployment object`);
  }
  let deployment: DecodedDeployment;
  try {
    deployment = codec.decode(ctx.payload);
  } catch (err) {
    throw new ApiError(`invalid deployment: ${(err as Error).message}`);
  }
  if (deployment.twinId !== ctx.twin) {
    throw new ApiError(`deployment twin_id ${deployment.twinId} does not match the sender twin ${ctx.twin}`);
  }
  if (op === "deploy" && deployment.version !== 0) {
    throw new ApiError(`a new deployment must have version 0 (got ${deployment.version}); use zos.deployment.update`);
  }
  if (op === "update" && deployment.version === 0) {
    throw new ApiError("an update must raise the deployment version above 0; use zos.deployment.deploy for version 0");
  }
  const nodeId = registeredNode(ctx);
  await checkNodeContract(contracts, {
    senderTwin: ctx.twin,
    contractId: deployment.contractId,
    nodeId,
    deploymentHashes: deployment.hashes,
  });
  if (op === "deploy") await engine.deploy(ctx.twin, deployment);
  else await engine.update(ctx.twin, deployment);
  return null;
}

/** The deployment's twin, read the way Go decodes it (case-insensitive). */
function ownerOf(d: DeploymentJson): unknown {
  return field(d, "twin_id");
}

export const deploymentHandlers: Record<string, Handler> = {
  "zos.deployment.deploy": (ctx) => accept(ctx, "deploy"),
  "zos.deployment.update": (ctx) => accept(ctx, "update"),
  "zos.deployment.get": async (ctx) => {
    const engine = engineOf(ctx);
    const id = uintField(ctx.body, "contract_id", ctx.command);
    const d = await engine.get(ctx.twin, id);
    // Not found and not yours answer the same, so a twin cannot probe others' contracts.
    if (!d || ownerOf(d) !== ctx.twin) throw new ApiError(`no deployment with contract id ${id} for twin ${ctx.twin}`);
    return d;
  },
  "zos.deployment.list": async (ctx) => {
    const engine = engineOf(ctx);
    return (await engine.list(ctx.twin)).filter((d) => ownerOf(d) === ctx.twin);
  },
  "zos.deployment.changes": async (ctx) => {
    const engine = engineOf(ctx);
    const id = uintField(ctx.body, "contract_id", ctx.command);
    const d = await engine.get(ctx.twin, id);
    if (!d || ownerOf(d) !== ctx.twin) throw new ApiError(`no deployment with contract id ${id} for twin ${ctx.twin}`);
    return await engine.changes(ctx.twin, id);
  },
  "zos.deployment.delete": () => {
    return Promise.reject(new ApiError("deletion over the api is disabled, please cancel your contract instead"));
  },
};
