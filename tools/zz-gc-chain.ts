import { readFileSync } from "node:fs";
const pss = () => { const t = readFileSync("/proc/self/smaps_rollup", "utf8"); const g = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(t)![1]) / 1024; return `rss ${g("Rss").toFixed(1)} pss ${g("Pss").toFixed(1)} anon ${g("Anonymous").toFixed(1)}`; };
const mu = () => { const m = Deno.memoryUsage(); return `heapUsed ${(m.heapUsed/2**20).toFixed(1)} heapTotal ${(m.heapTotal/2**20).toFixed(1)} ext ${(m.external/2**20).toFixed(1)} | ${pss()}`; };
console.error("start", mu());
const { ChainClient } = await import("../capabilities/chain/mod.ts");
console.error("imported", mu());
const c = await ChainClient.connect({ urls: [Deno.args[0]] });
await new Promise((r) => setTimeout(r, 5000));
console.error("connected", mu());
(globalThis as any).gc();
await new Promise((r) => setTimeout(r, 2000));
console.error("after gc", mu());
await new Promise((r) => setTimeout(r, 10000));
console.error("10s later", mu());
const t = readFileSync("/proc/self/smaps", "utf8").split("\n");
// biggest mappings
const maps: [string, number][] = []; let cur = "";
for (const l of t) { if (/^[0-9a-f]+-[0-9a-f]+ /.test(l)) cur = l.split(/\s+/).slice(5).join(" ") || "[anon]"; else if (l.startsWith("Pss:")) maps.push([cur, Number(l.split(/\s+/)[1])]); }
const agg = new Map<string, number>(); for (const [k, v] of maps) agg.set(k, (agg.get(k) ?? 0) + v);
console.error([...agg].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${(v/1024).toFixed(1)}`).join("\n"));
Deno.exit(0);
