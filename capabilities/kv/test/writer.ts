// Test helper for store.test.ts: overwrites one key as fast as it can, printing each acknowledged
// generation, until it is killed (-9) mid-write.
import process from "node:process";
import { KvNamespace } from "../store.ts";

const ns = new KvNamespace(process.argv[2], "crash");
for (let n = 1; ; n++) {
  const body = `gen=${n};` + "x".repeat(64 * 1024) + `;end=${n}`;
  ns.put("key", new TextEncoder().encode(body));
  process.stdout.write(`${n}\n`);
}
