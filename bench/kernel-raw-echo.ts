// Child for bench/kernel.ts: echoes stdin to stdout unchanged (the raw pipe round trip baseline).
import process from "node:process";
process.stdin.on("data", (d: Uint8Array) => process.stdout.write(d));
