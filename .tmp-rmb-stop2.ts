import { startChain } from "./grid/chain/mod.ts";
import { ApiPromise, WsProvider } from "@polkadot/api";
const chain = await startChain({ port: 0, log: () => {} });
const mode = Deno.args[0];
const provider = mode === "a" ? new WsProvider(chain.url) : mode === "b" ? new WsProvider(chain.url, 1000, {}, 30000) : new WsProvider(chain.url, 1000);
const api = await ApiPromise.create({ provider, noInitWarn: true });
if (Deno.args[1] === "watch") { const u = await (api.query as any).system.events(() => {}); u(); }
await api.disconnect();
await chain.stop();
console.log("stopped");
