import { startChain } from "../grid/chain/mod.ts";
import { mkdtempSync } from "node:fs";
const c = await startChain({ stateDir: mkdtempSync("/tmp/zt-footprint-chain-"), blockTimeMs: 1000, log: () => {} });
console.log(c.url);
await new Promise(() => {});
