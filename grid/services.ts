// The services a real grid has around its chain, for the dev grid: the indexer (GraphQL) and the
// explorer (grid proxy REST) over one model fed from the dev chain, the KYC service, the flist hub, and the
// client_env that lets the unmodified official GridClient reach them. Started by `zos grid up` and
// `npm start` (cli/commands/dev/grid.ts).
import { join } from "node:path";
import type { DevChain } from "./chain/mod.ts";
import { startExplorer } from "./explorer/mod.ts";
import type { NodeAsk } from "./explorer/node-info.ts";
import { attachFeed } from "./indexer/feed.ts";
import { GridModel } from "./indexer/model.ts";
import { startIndexer } from "./indexer/mod.ts";
import { type RunningHub, startHub } from "./hub/mod.ts";
import { buildGuests, publishGuests } from "./hub/guests.ts";
import { buildQemuExtension, publishQemuExtension } from "../rootfs/extensions/qemu.ts";
import { repoRoot } from "../kernel/sandbox.ts";
import { KYC_HOSTS, type RunningKyc, startKyc, writeClientEnv } from "./kyc/mod.ts";

export interface GridServicesOptions {
  chain: DevChain;
  /** the grid's state folder: KYC statuses, the CA and the client preload live under it */
  stateDir: string;
  host?: string;
  proxyPort?: number;
  graphqlPort?: number;
  kycPort?: number;
  /** the flist hub's port (default any free port) */
  hubPort?: number;
  /** build (once, cached in this folder) and publish the ready-made guests on the hub; null: none */
  guestCache?: string | null;
  /** RMB requests to nodes, for the explorer's node facts and statistics (null: none) */
  ask?: NodeAsk | null;
  log?: (line: string) => void;
}

export interface GridServices {
  proxyUrl: string;
  graphqlUrl: string;
  kyc: RunningKyc;
  /** the flist hub (grid/hub): Zero-OS hub API, blocks under the grid's state folder */
  hub: RunningHub;
  /** resolves when the ready-made guests are on the hub ("guests/name" → URL; {} when they could not be built) */
  guests: Promise<Record<string, string>>;
  clientEnv: Record<string, string>;
  model: GridModel;
  /** resolves when the model has applied the chain's current head */
  synced(): Promise<void>;
  /** plugs in (or replaces) the RMB requester once a relay session exists */
  setAsk(ask: NodeAsk): void;
  stop(): Promise<void>;
}

export async function startGridServices(o: GridServicesOptions): Promise<GridServices> {
  const host = o.host ?? "127.0.0.1";
  const model = new GridModel();
  const feed = attachFeed(o.chain, model, o.log);
  const stops: (() => Promise<void>)[] = [async () => feed.stop()];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => {});
  };
  let ask: NodeAsk | null = o.ask ?? null;
  const askVia: NodeAsk = (twin, cmd, payload, timeoutMs) => {
    if (!ask) return Promise.reject(new Error("no RMB session yet"));
    return ask(twin, cmd, payload, timeoutMs);
  };
  try {
    const indexer = await startIndexer({ chain: o.chain, model, feed, host, port: o.graphqlPort, log: o.log });
    stops.push(() => indexer.stop());
    const explorer = await startExplorer({ chain: o.chain, model, feed, host, port: o.proxyPort, ask: askVia, log: o.log });
    stops.push(() => explorer.stop());
    const kyc = await startKyc({ stateDir: join(o.stateDir, "kyc"), host, port: o.kycPort, log: o.log });
    stops.push(() => kyc.stop());
    const hub = await startHub({ dir: join(o.stateDir, "hub"), host, port: o.hubPort, log: o.log });
    stops.push(() => hub.stop());
    // built in the background while the node starts; a first build takes about a minute (the kernel
    // package is unpacked once), later starts only copy the cached flists and blocks
    const guests = o.guestCache === null
      ? Promise.resolve({})
      : buildGuests(o.guestCache ?? join(repoRoot, "rootfs", "cache"), (l) => o.log?.(l))
        .then(async (b) => {
          const urls = publishGuests(b, join(o.stateDir, "hub"), hub.url);
          // the QEMU extension flist a netboot node fetches for its hypervisor (the image pins its digest)
          try {
            const ext = await buildQemuExtension(o.guestCache ?? join(repoRoot, "rootfs", "cache"), (l) => o.log?.(l));
            Object.assign(urls, publishQemuExtension(ext, join(o.stateDir, "hub"), hub.url));
          } catch (e) {
            o.log?.(`qemu extension: not published (${(e as Error).message})`);
          }
          return urls;
        })
        .catch((e) => {
          o.log?.(`guests: not built (${(e as Error).message}); the hub has no ready-made guests`);
          return {};
        });
    const routes: Record<string, { host: string; port: number }> = {};
    for (const name of KYC_HOSTS) routes[name] = { host, port: kyc.port };
    const clientEnv = writeClientEnv({ dir: join(o.stateDir, "client-env"), caFile: kyc.caFile, routes });
    return {
      proxyUrl: explorer.url,
      graphqlUrl: indexer.url,
      kyc,
      hub,
      guests,
      clientEnv,
      model,
      synced: () => feed.caughtUp(o.chain.head.number),
      setAsk: (a) => {
        ask = a;
        explorer.info.poke();
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
