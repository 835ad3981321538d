// Entry point of the local RMB relay: `startRelay` is what `zos grid up` and `zos dev` call.
import { CachedTwins, type TwinLookup } from "../../capabilities/rmb/twins.ts";
import type { RateLimits } from "./limits.ts";
import type { QueueLimits } from "./queue.ts";
import { Relay } from "./relay.ts";

export { Relay, type RelayOptions } from "./relay.ts";
export { DEFAULT_LIMITS, type RateLimits } from "./limits.ts";
export { DEFAULT_QUEUE_LIMITS, type QueueLimits } from "./queue.ts";

export interface StartRelayOptions {
  /** WebSocket JSON-RPC URL of the chain holding the twins (TfgridModule.Twins) */
  chainUrl: string;
  host?: string;
  port?: number;
  /** reserved: the offline queue is in memory (messages live at most 1 h), nothing is written yet */
  stateDir?: string;
  domains?: string[];
  limits?: Partial<RateLimits>;
  /** offline-queue bounds (grid/relay/queue.ts DEFAULT_QUEUE_LIMITS) */
  queue?: Partial<QueueLimits>;
  log?: (line: string) => void;
}

export interface RunningRelay {
  url: string;
  /** the listening relay, for metrics and tests */
  relay: Relay;
  stop(): Promise<void>;
}

/** Starts a relay that authenticates peers against the twins of the chain at `chainUrl`. */
export async function startRelay(opts: StartRelayOptions): Promise<RunningRelay> {
  const { ChainTwins } = await import("../../capabilities/rmb/chain-twins.ts");
  const chain = await ChainTwins.connect(opts.chainUrl);
  const cache = new CachedTwins(chain, { ttlMs: 30_000 });
  let unwatch = () => {};
  try {
    // Twin changes on chain drop the cached record at once; if the chain cannot stream events, the TTL still applies.
    unwatch = await chain.watchTwins((id) => cache.invalidate(id)).catch((err) => {
      opts.log?.(
        `relay: not watching twin events (${(err as Error).message}); twin cache relies on its 30 s TTL`,
      );
      return () => {};
    });
    return await startRelayWith(cache, opts, async () => {
      unwatch();
      await chain.close();
    });
  } catch (err) {
    unwatch();
    await chain.close().catch(() => {});
    throw err;
  }
}

/** Same as startRelay over any twin source (a chain connection you already hold, or a table). */
export async function startRelayWith(
  twins: TwinLookup,
  opts: Omit<StartRelayOptions, "chainUrl"> = {},
  onStop: () => Promise<void> = () => Promise.resolve(),
): Promise<RunningRelay> {
  const relay = new Relay({
    twins,
    host: opts.host,
    port: opts.port,
    domains: opts.domains,
    limits: opts.limits,
    queue: opts.queue,
    log: opts.log,
  });
  const url = await relay.listen();
  let stopped: Promise<void> | null = null;
  return {
    url,
    relay,
    stop() {
      stopped ??= relay.close().finally(onStop);
      return stopped;
    },
  };
}
