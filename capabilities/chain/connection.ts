// One @polkadot/api connection over a list of chain URLs. WsProvider rotates through the URLs on every
// reconnect (failover) and keeps retrying; `ready()` waits for the first metadata with a deadline.
import { ApiPromise, WsProvider } from "@polkadot/api";

export interface ConnectionOptions {
  urls: string[];
  /** delay between reconnect attempts (ms); default 1000 */
  retryMs?: number;
  /** how long connect() waits for a first usable endpoint; default 30 s */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export class ChainUnavailable extends Error {}

function checkUrls(urls: unknown): string[] {
  if (!Array.isArray(urls) || urls.length === 0) throw new Error("chain: at least one URL is required");
  for (const u of urls) {
    if (typeof u !== "string" || !/^wss?:\/\/[^\s/]+/.test(u)) {
      throw new Error(`chain: "${String(u)}" is not a ws:// or wss:// URL`);
    }
  }
  return urls as string[];
}

export async function connectApi(
  opts: ConnectionOptions,
): Promise<{ api: ApiPromise; provider: WsProvider }> {
  const urls = checkUrls(opts.urls);
  const log = opts.log ?? (() => {});
  const provider = new WsProvider(urls, opts.retryMs ?? 1000);
  provider.on("disconnected", () => log(`chain: disconnected from ${provider.endpoint}; reconnecting`));
  provider.on("connected", () => log(`chain: connected to ${provider.endpoint}`));
  // WsProvider reports connection errors as events while it retries; keep them out of stderr
  provider.on("error", () => {});
  const api = new ApiPromise({ provider, noInitWarn: true, throwOnConnect: false });
  api.on("error", () => {});
  // isReadyOrError rejects on the first failed endpoint even though the provider keeps trying the others
  api.isReadyOrError.catch(() => {});
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      api.isReady,
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ChainUnavailable(`chain: no endpoint answered within ${timeoutMs} ms (${urls.join(", ")})`),
            ),
          timeoutMs,
        );
      }),
    ]);
  } catch (e) {
    await api.disconnect().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { api, provider };
}
