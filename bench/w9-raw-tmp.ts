import { spawn } from "node:child_process";
const v = Deno.args[0];
const child = spawn(Deno.execPath(), ["run", "--quiet", "--no-prompt", "bench/w9-echo-variants-tmp.ts", v], { stdio: ["pipe", "pipe", "inherit"] });
const msg = new Uint8Array(64); let waiting: (() => void) | null = null; let got = 0;
child.stdout!.on("data", (d: Uint8Array) => { got += d.length; if (got >= 64 && waiting) { got -= 64; const w = waiting; waiting = null; w(); } });
const once = () => new Promise<void>((r) => { waiting = r; child.stdin!.write(msg); });
for (let i = 0; i < 1000; i++) await once();
const lat: number[] = [];
for (let i = 0; i < 10000; i++) { const s = performance.now(); await once(); lat.push(performance.now() - s); }
lat.sort((a, b) => a - b);
console.log(v, "p50 µs", (lat[5000] * 1000).toFixed(1));
child.kill(); Deno.exit(0);
