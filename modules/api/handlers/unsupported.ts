// Commands of the Zero-OS API this node has no backing capability for at all yet. They are listed (not
// left unknown) so callers get "not supported on this node yet" rather than "function is not found".
import { notSupported } from "../errors.ts";
import type { Handler } from "./types.ts";

const names = [
  "zos.gpu.list",
  "zos.perf.get",
  "zos.perf.get_all",
  "zos.debug.deployment.list",
  "zos.debug.deployment.get",
  "zos.debug.deployment.history",
  "zos.debug.deployment.info",
  "zos.debug.deployment.health",
];

export const unsupportedHandlers: Record<string, Handler> = Object.fromEntries(
  names.map((n) => [n, (ctx) => Promise.reject(notSupported(ctx.command))] as [string, Handler]),
);
