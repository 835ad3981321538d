import type { ApiDeps } from "../ports.ts";

export interface CallContext {
  /** the verified RMB sender */
  twin: number;
  command: string;
  /** the decoded JSON payload (undefined when the payload was empty) */
  body: unknown;
  /** the raw JSON text of the payload */
  payload: string;
  deps: ApiDeps;
}

export type Handler = (ctx: CallContext) => Promise<unknown>;
