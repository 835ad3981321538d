// The zos.* router (ZOS-REFERENCE §5.2): one table from command name to handler. The RMB peer hands it
// the verified sender twin, the command and the raw JSON payload; the returned value is JSON-encoded
// into the response (undefined becomes null, since an empty body hangs the TS client — RMB.md §8).
import { ApiError } from "./errors.ts";
import type { ApiDeps } from "./ports.ts";
import type { Handler } from "./handlers/types.ts";
import { deploymentHandlers } from "./handlers/deployment.ts";
import { systemHandlers } from "./handlers/system.ts";
import { networkHandlers } from "./handlers/network.ts";
import { adminHandlers } from "./handlers/admin.ts";
import { unsupportedHandlers } from "./handlers/unsupported.ts";
import { vmHandlers } from "./handlers/vm.ts";

export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

export interface ApiRequest {
  /** the RMB source twin, already verified against its on-chain key */
  twin: number;
  command: string;
  /** JSON text of the arguments; "" for none */
  payload: string;
}

export interface ApiRouter {
  handle(req: ApiRequest): Promise<unknown>;
  commands(): string[];
}

const table: Record<string, Handler> = {
  ...deploymentHandlers,
  ...systemHandlers,
  ...networkHandlers,
  ...adminHandlers,
  ...unsupportedHandlers,
  ...vmHandlers,
};

function decode(command: string, payload: string, max: number): unknown {
  const size = new TextEncoder().encode(payload).length;
  if (size > max) throw new ApiError(`${command}: payload of ${size} bytes exceeds the limit of ${max} bytes`);
  if (payload.trim() === "") return undefined;
  try {
    return JSON.parse(payload);
  } catch (err) {
    throw new ApiError(`${command}: payload is not valid JSON (${(err as Error).message})`);
  }
}

export function createRouter(deps: ApiDeps): ApiRouter {
  const max = deps.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;
  return {
    commands: () => Object.keys(table).sort(),
    async handle(req: ApiRequest): Promise<unknown> {
      if (!Number.isInteger(req.twin) || req.twin <= 0) throw new ApiError("request has no sender twin");
      const handler = Object.hasOwn(table, req.command) ? table[req.command] : undefined;
      // zos answers unknown commands with exactly "function is not found"; clients match on it.
      if (!handler) throw new ApiError("function is not found");
      const body = decode(req.command, req.payload, max);
      const result = await handler({ twin: req.twin, command: req.command, body, payload: req.payload, deps });
      return result === undefined ? null : result;
    },
  };
}
