import { Peer } from "/work/main/kernel/wire/peer.ts";
import { invoke, serve } from "/work/main/kernel/wire/typed.ts";
import { Kv$Client, Echo$Client } from "/work/main/capabilities/schema/gen/kernel.ts";
let a: Peer, b: Peer;
const store = new Map<string, Uint8Array>();
const kv = serve(Kv$Client, {
  get(p, r) { const v = store.get(p.key); r.found = !!v; if (v) { r._initValue(v.length).copyBuffer(v); } },
  put(p, r) { store.set(p.key, new Uint8Array(p.value.toUint8Array())); },
});
a = new Peer({ send: (x) => queueMicrotask(() => b.receive(x)), close() {} }, kv, { name: "a" });
b = new Peer({ send: (x) => queueMicrotask(() => a.receive(x)), close() {} }, null, { name: "b" });
const cap = b.bootstrap();
await invoke(cap, Kv$Client.methods[1], (p) => { p.key = "x"; p._initValue(3).copyBuffer(new Uint8Array([1,2,3])); });
const r = await invoke(cap, Kv$Client.methods[0], (p) => { p.key = "x"; });
console.log(r.results.found, r.results.value.toUint8Array());
try { await invoke(cap, Echo$Client.methods[0]); } catch (e) { console.log("err", (e as Error).message); }
const t0 = performance.now(); for (let i = 0; i < 20000; i++) await invoke(cap, Kv$Client.methods[0], (p) => { p.key = "x"; });
console.log("us/call", (performance.now() - t0) / 20000 * 1000);
