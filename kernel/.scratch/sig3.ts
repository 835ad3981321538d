import { spawn } from "node:child_process";
const child = spawn("/work/main/node_modules/deno/deno", ["run", "-A", "--quiet", "--no-lock", "/work/main/kernel/.scratch/sig2.ts"], { stdio: ["ignore", "pipe", "inherit"] });
let out = "";
child.stdout!.on("data", (d) => (out += d));
while (!out.includes("ready")) await new Promise((r) => setTimeout(r, 20));
await new Promise((r) => setTimeout(r, Number(Deno.args[0])));
process.kill(child.pid!, "SIGTERM");
child.on("exit", (c, s) => console.log("exit", c, s, JSON.stringify(out)));
