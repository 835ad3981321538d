// Test helper of farm-topology.test.ts: one node's network as the image builds it, inside the namespace it runs
// in (`ip netns exec`, which has a `zos` bridge): PID 1's uplink step, then the network module's own
// operation lists (host side, the access node's public config, one NR) applied through the netlink driver's
// applyOps under the manifest's grant. Prints "ready" and keeps the namespaces (pinned in its private mount
// namespace) until stdin closes. Args: <pinDir> <nicMac> <json: {nr: network workload data, twin, public?}>.
import process from "node:process";
import { denoSys } from "../kernel/pid1/libc.ts";
import { setupUplink } from "../kernel/pid1/uplink.ts";
import { NetOps } from "../capabilities/netlink/ops.ts";
import { denoSys as netlinkSys } from "../capabilities/netlink/sys.ts";
import { applyOps } from "../capabilities/netlink/apply.ts";
import { hostOps, nrConfig, nrOps } from "../modules/network/nr.ts";
import { publicOps, type PublicConfig } from "../modules/network/public.ts";

const [pinDir, nicMac, spec] = process.argv.slice(2);
const o = JSON.parse(spec) as { nr: Record<string, unknown>; twin: number; public?: PublicConfig };
const up = await setupUplink(denoSys(), { pinDir, uapiDir: `${pinDir}-wg`, nicMac, dhcpTries: 3 });
const ops = new NetOps(netlinkSys(), pinDir, `${pinDir}-wg`);
// the network module's grant in manifests/node.json
const grant = { namespaces: ["n-", "ndmz", "public", "host"], hostLinks: ["b-", "br-ndmz", "br-pub", "p-", "t-"] };
const layout = { host: "host", public: "public", ndmz: "ndmz" };
const apply = (list: unknown[]) => applyOps(ops, grant, JSON.stringify(list));
try {
  await apply(hostOps(layout));
  if (o.public) await apply(publicOps(layout, o.public, null, true));
  await apply(nrOps(layout, nrConfig(o.twin, "farmnet", o.nr), "100.127.0.2"));
} catch (err) {
  console.log(`failed: ${(err as Error).message}`);
  await ops.teardown();
  process.exit(1);
}
console.log(`ready ${JSON.stringify(up)}`);
process.stdin.on("data", () => {});
process.stdin.on("end", async () => {
  await ops.teardown();
  process.exit(0);
});
