// Public entry of the dev chain: start it in-process (tests, relay, `zos grid up`).
import { ChainMeta } from "./meta.ts";
import { DevChain } from "./chain.ts";
import { RpcMethods } from "./rpc.ts";
import { serveRpc } from "./server.ts";
import { type DevAccount, devAccounts, writeGenesis } from "./genesis.ts";

export type { DevAccount } from "./genesis.ts";
export { DevChain } from "./chain.ts";
export { ChainMeta } from "./meta.ts";

export interface StartChainOptions {
  stateDir?: string; // omitted: memory only (gone when stopped)
  host?: string; // default 127.0.0.1
  port?: number; // default 0 = any free port
  blockTimeMs?: number; // 0 = instant (a block per batch of submitted extrinsics); default 1000
  log?: (line: string) => void;
}

export interface RunningChain {
  url: string;
  httpUrl: string;
  devAccounts: DevAccount[];
  chain: DevChain;
  stop(): Promise<void>;
}

let sharedMeta: ChainMeta | null = null;

export async function startChain(opts: StartChainOptions = {}): Promise<RunningChain> {
  const host = opts.host ?? "127.0.0.1";
  if (!["127.0.0.1", "::1", "localhost"].includes(host)) {
    throw new Error(`the dev chain listens on loopback only (got host ${host})`);
  }
  const log = opts.log ?? ((line: string) => console.error(`[chain] ${line}`));
  const accounts = await devAccounts(opts.stateDir);
  sharedMeta ??= new ChainMeta();
  const chain = new DevChain(sharedMeta, {
    stateDir: opts.stateDir,
    blockTimeMs: opts.blockTimeMs ?? 1000,
    genesis: (_c, ctx) => writeGenesis(ctx, accounts),
    log,
  });
  const rpc = new RpcMethods(chain);
  let server;
  try {
    server = await serveRpc(rpc, host, opts.port ?? 0, log);
  } catch (e) {
    chain.close();
    throw e;
  }
  chain.start();
  let stopped = false;
  return {
    url: server.url,
    httpUrl: server.httpUrl,
    devAccounts: accounts,
    chain,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.close();
      chain.close();
    },
  };
}
