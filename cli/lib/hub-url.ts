// Which hub a command pushes to: `--hub URL`, else the dev grid's hub_url from `<state>/endpoints.json`
// (`npm start` writes it). One place for `zos hub push` and `zos release push`, so both say the same.
import { join, resolve } from "node:path";
import { type parse, str } from "./args.ts";
import { UserError } from "./errors.ts";
import { DEFAULT_STATE_DIR, endpointsPath, readEndpoints } from "../commands/dev/endpoints.ts";

/** The hub's http(s) URL for `command` (e.g. "zos hub push"), or a UserError saying how to give one. */
export function hubUrlFrom(p: ReturnType<typeof parse>, command: string): string {
  let hub = str(p, "hub");
  if (!hub) {
    const state = resolve(str(p, "state") ?? DEFAULT_STATE_DIR);
    let e;
    try {
      e = readEndpoints(endpointsPath(state));
    } catch (err) {
      throw new UserError(`${command}: ${(err as Error).message} (or pass --hub URL)`, 2);
    }
    if (!e.hub_url) throw new UserError(`${command}: ${join(state, "endpoints.json")} has no hub_url; restart \`npm start\` or pass --hub URL`, 2);
    hub = e.hub_url;
  }
  try {
    if (!/^https?:$/.test(new URL(hub).protocol)) throw new Error("not http");
  } catch {
    throw new UserError(`${command}: --hub "${hub}" is not an http(s) URL`, 2);
  }
  return hub;
}
