import { spawn } from "node:child_process";
const child = spawn("/work/main/node_modules/deno/deno", ["run", "-A", "--quiet", "--no-lock", "/work/main/cli/zos.ts", "kernel", "run", "--manifest", "/work/main/manifests/dev-example.json", "--json", "--state", "/tmp/ktest/st4"], { stdio: ["ignore", "pipe", "pipe"] });
let out = "";
child.stdout!.setEncoding("utf8");
child.stdout!.on("data", (d: string) => (out += d));
child.stderr!.on("data", (d) => process.stderr.write(d));
while (!out.includes('"kernel-ready"')) await new Promise((r) => setTimeout(r, 20));
child.kill("SIGTERM");
child.on("exit", (c, s) => { console.log("exit", c, s); console.log(out.split("\n").slice(-4).join("\n").slice(0, 600)); });
