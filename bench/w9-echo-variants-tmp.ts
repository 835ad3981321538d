import process from "node:process";
import net from "node:net";
const v = Deno.args[0];
if (v === "node") process.stdin.on("data", (d: Uint8Array) => process.stdout.write(d));
else if (v === "sock") { const s = new net.Socket({ fd: 0, readable: true, writable: false }); s.on("data", (d: Uint8Array) => process.stdout.write(d)); }
else if (v === "sock2") { const s = new net.Socket({ fd: 0, readable: true, writable: false }); const o = new net.Socket({ fd: 1, readable: false, writable: true }); s.on("data", (d: Uint8Array) => o.write(d)); }
else if (v === "deno") { const buf = new Uint8Array(65536); for (;;) { const n = await Deno.stdin.read(buf); if (n === null) break; Deno.stdout.writeSync(buf.subarray(0, n)); } }
