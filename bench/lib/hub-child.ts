// The dev hub in its own process for benchmarks (as `npm start` runs it: never in the node's process), so
// its serving does not share the client's JS thread. Prints `{"url": ...}` on stdout once listening; stops
// on SIGTERM or when stdin closes.
//   node_modules/deno/deno run -A bench/lib/hub-child.ts <dir>
import process from "node:process";
import { startHub } from "../../grid/hub/mod.ts";

const hub = await startHub({ dir: process.argv[2] });
console.log(JSON.stringify({ url: hub.url }));
const stop = () => hub.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
