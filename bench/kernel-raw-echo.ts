// Child for bench/kernel.ts: echoes stdin to stdout unchanged (the raw pipe round trip baseline).
// `socket`: read fd 0 as a non-blocking socket, as guests do (capabilities/lib/rpc/stdio.ts); otherwise
// process.stdin, which Deno reads through a blocking worker thread.
import { Socket } from "node:net";
import process from "node:process";
const input = process.argv[2] === "socket" ? new Socket({ fd: 0, readable: true, writable: false }) : process.stdin;
input.on("data", (d: Uint8Array) => process.stdout.write(d));
