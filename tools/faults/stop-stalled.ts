// Stops a node whose driver cannot act on its shutdown (SIGSTOP: what a driver deep in its teardown on a loaded
// machine looks like to the kernel), N times on the same state, and reports what each stop left: loop devices on
// the node's disk files, mounts below its folder, processes (wireguard-go) of its state. The node has pools and one
// deployment of each stateful type (network, zmount, volume, zdb). Root (loop devices). Exit 1 when anything is left.
//   sudo node_modules/deno/deno run -A tools/faults/stop-stalled.ts [--cycles 3] [--stall netlink]
import { join } from "node:path";
import { parseArgs } from "node:util";
import process from "node:process";
import { startTestNode } from "../test-node.ts";
import { type RunningNode, startNode } from "../../modules/node.ts";
import { createNodeContract, prepareDeployment, signDeployment, wireJson } from "../../cli/commands/client/deploy.ts";
import { challengeHash } from "../../modules/lib/gridtypes/deployment.ts";
import { plan } from "./workloads.ts";
import { census, leakCount, leaks, sweep } from "./census.ts";

const { values } = parseArgs({ options: { cycles: { type: "string", default: "3" }, stall: { type: "string", default: "netlink" } } });
const cycles = Number(values.cycles);
const disks = { count: 2, hdd: 1, sizeGiB: 2 };
const tn = await startTestNode({ prefix: "zt-faults-stall-", officialRmb: false, node: { disks } });
const state = join(tn.dir, "node");
const s = tn.session;
// deno-lint-ignore no-explicit-any
const call = (cmd: string, p: unknown = "") => s.peer.request(s.nodeTwinId, cmd, p, { timeoutMs: 120_000 }) as Promise<any>;
let left = 0;
let node: RunningNode = tn.node;
try {
  // after a stop nothing of the node may be there at all
  const none = { loops: [], mounts: [], namespaces: [], links: [], processes: [] };
  for (const p of plan(4, "st")) {
    const d = prepareDeployment(p.text, s.twinId);
    d.contract_id = BigInt(await createNodeContract(s, challengeHash(d)));
    await signDeployment(d, s);
    await call("zos.deployment.deploy", wireJson(d));
    for (;;) {
      const st = (await call("zos.deployment.get", { contract_id: Number(d.contract_id) })).workloads[0].result.state;
      if (st === "ok" || st === "error") {
        console.log(`${p.type}: ${st}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  for (let i = 0; i < cycles; i++) {
    const pid = node.kernel.pid(values.stall!);
    if (pid) process.kill(pid, "SIGSTOP");
    const t0 = performance.now();
    const err = await node.stop().then(() => "", (e) => (e as Error).message);
    const l = leaks(none, census(tn.dir, state));
    left += leakCount(l);
    console.log(`stop ${i + 1} (${values.stall} stalled): ${((performance.now() - t0) / 1000).toFixed(1)} s${err ? `, error: ${err}` : ""}; left: ${leakCount(l) ? JSON.stringify(l) : "nothing"}`);
    if (i === cycles - 1) break;
    node = await startNode({ stateDir: state, chainUrl: tn.chain.url, relayUrl: tn.relay.url, farmId: 1, activationUrl: tn.activation.url, registerTimeoutMs: 300_000, disks });
  }
} finally {
  tn.node.stop = () => Promise.resolve(); // stopped above
  await tn.stop();
  sweep(tn.dir, state);
}
console.log(`${cycles} stops, ${left} things left`);
process.exit(left ? 1 : 0);
