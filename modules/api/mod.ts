// modules/api: the node's zos.* command set over RMB. See docs/api.md.
export { createRouter, DEFAULT_MAX_PAYLOAD } from "./router.ts";
export type { ApiRequest, ApiRouter } from "./router.ts";
export { ApiError, notSupported } from "./errors.ts";
export { checkNodeContract } from "./contract_check.ts";
export type * from "./ports.ts";
export { type CommandHost, serveApi } from "./serve.ts";
export { gridtypesCodec } from "./gridtypes_codec.ts";
