import { Echo, Echo$Server } from "../capabilities/schema/gen/kernel.ts";
import { connect } from "../capabilities/lib/rpc/connection.ts";
import { memoryTransportPair } from "../capabilities/lib/rpc/memory.ts";
import { MembraneClient, Revoker } from "../kernel/membrane.ts";
import { EchoClient } from "../kernel/guest/clients.ts";
const mode = Deno.args[0] ?? "proxied";
const N = Number(Deno.args[1] ?? 30000);
const echoSrv = new Echo$Server({ echo(p, r) { const d = p.data.toUint8Array(); r._initData(d.length).copyBuffer(d); return Promise.resolve(); } });
const [s1, s2] = memoryTransportPair();
const driver = connect(s1, { bootstrap: echoSrv.client ? echoSrv : echoSrv, name: "driver" });
const up = connect(s2, { name: "kernel→driver" });
let boot = up.bootstrapClientRaw();
if (mode === "proxied") {
  const m = new MembraneClient(boot, { label: "echo", revoker: new Revoker(), counters: { calls: 0, errors: 0, inflight: 0, overloaded: 0 }, interfaceId: Echo.interfaceId, ownsInner: false });
  const [c1, c2] = memoryTransportPair();
  connect(c1, { bootstrap: m, name: "kernel→module" });
  const client = connect(c2, { name: "module" });
  boot = client.bootstrapClientRaw();
}
const echo = new EchoClient(boot);
const payload = new Uint8Array(16);
for (let i = 0; i < 3000; i++) await echo.echo(payload);
const t0 = performance.now();
for (let i = 0; i < N; i++) await echo.echo(payload);
const us = (performance.now() - t0) * 1000 / N;
console.log(`${mode}: ${us.toFixed(1)} µs per call (in-process, memory transports, all JS work of all parties)`);
Deno.exit(0);
