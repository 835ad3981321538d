// The network module's capability (network.capnp NetworkManager) as plain async functions, for the
// provision module (workload managers) and the api module (zos.network.* queries).
import { NetworkManager$Client } from "../../capabilities/schema/gen/network.ts";
import type { UseCap } from "./caps.ts";

export interface NetworkClient {
  provision(req: Record<string, unknown>): Promise<unknown>;
  deprovision(req: Record<string, unknown>): Promise<void>;
  query<T>(what: string, args?: unknown): Promise<T>;
}

/** The RPC layer prefixes errors ("failed: …"); a workload error should read as the module wrote it. */
function clean(err: unknown): Error {
  const m = (err as Error)?.message ?? String(err);
  return new Error(m.replace(/^(remote exception: )?(failed|denied): /, ""));
}

export function networkClient(use: UseCap): NetworkClient {
  return {
    provision: (req) => use(async (c) => JSON.parse((await new NetworkManager$Client(c).provision((p) => (p.json = JSON.stringify(req))).promise()).json)).catch((e) => {
      throw clean(e);
    }),
    deprovision: (req) => use(async (c) => void (await new NetworkManager$Client(c).deprovision((p) => (p.json = JSON.stringify(req))).promise())).catch((e) => {
      throw clean(e);
    }),
    query: <T>(what: string, args?: unknown) =>
      use(async (c) => JSON.parse((await new NetworkManager$Client(c).query((p) => {
        p.what = what;
        p.args = JSON.stringify(args ?? null);
      }).promise()).json) as T).catch((e) => {
        throw clean(e);
      }),
  };
}
