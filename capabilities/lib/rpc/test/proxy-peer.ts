// A kernel-like proxy process for membrane.test.ts: it loads NO generated code (calls travel as AnyStruct
// with their cap tables), spawns the driver given on its command line, and serves its own parent (the
// module) over stdio with a counting $.Client in front of the driver's bootstrap.
//   proxy-peer.ts DRIVER_CMD [ARGS...]
// stderr: first line {"driverPid":N}; on exit {"calls":N,"registeredInterfaces":N}.
import * as $ from "capnp-es";
import process from "node:process";
import { connectStdio, spawnConnected } from "../stdio.ts";
import type { Answer } from "../types.ts";

const [cmd, ...args] = process.argv.slice(2);
const driver = spawnConnected(cmd, args, { name: "driver" });
process.stderr.write(JSON.stringify({ driverPid: driver.child.pid }) + "\n");
const upstream = driver.conn.bootstrapClientRaw();

let calls = 0;
class CountingMembrane implements $.Client {
  call<P extends $.Struct, R extends $.Struct>(call: $.Call<P, R>): Answer<R> {
    calls++;
    return upstream.call(call) as Answer<R>;
  }
  close(): void {}
}

const module = connectStdio({ bootstrap: new CountingMembrane(), name: "module" });
await module.closed;
const registered = ($.Registry as unknown as { interfaces: Map<bigint, unknown> }).interfaces.size;
process.stderr.write(JSON.stringify({ calls, registeredInterfaces: registered }) + "\n");
driver.conn.close();
await driver.exited;
process.exit(0);
