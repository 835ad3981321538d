import { startChain } from "./grid/chain/mod.ts";
import { ChainTwins } from "./capabilities/rmb/chain-twins.ts";
const chain = await startChain({ port: 0, log: () => {} });
const t = await ChainTwins.connect(chain.url);
if (Deno.args[0] === "watch") { const u = await t.watchTwins(() => {}); u(); }
await t.close();
await chain.stop();
console.log("stopped");
