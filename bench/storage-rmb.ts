// The RMB half of the storage benchmark (bench/storage.ts --rmb N): zmount + volume deployments end to end on
// the dev grid (`zos dev`'s chain, relay and a node under the kernel with loop-device pools). Each round:
// the official grid_client builds and signs a deployment of one DiskPrimitive (zmount) and one volume, its
// contract is created on the dev chain (not timed), then the clock runs from sending it to the node over RMB
// (`zos.deployment.deploy`) until `zos.deployment.get` over RMB shows both workloads `ok`; the contract is
// cancelled afterwards and the next round waits until the node itself says the space is back: its
// `zos.statistics.get` (used sru/hru, deployments) back to what it was before the round and the zmount's
// bytes gone from `zos.storage.pools` (timed separately: the node's contract sync runs every 5 s).
// Root only (loop devices).
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import "reflect-metadata";
import { OfficialClient } from "../capabilities/rmb/official-sdk.test-helper.ts";
import { startDevGrid } from "../cli/commands/dev/grid.ts";

const require = createRequire(import.meta.url);
// deno-lint-ignore no-explicit-any
type Any = any;
const gc: Any = require("@threefold/grid_client");
const { Client: TfClient }: Any = require("@threefold/tfchain_client");

export interface RmbDeployTimes {
  /** ms from the deploy request over RMB until both workloads read back `ok` over RMB */
  deploy: number[];
  /** ms of the deploy request alone (the node's answer: accepted) */
  accept: number[];
  /** ms from the cancel on chain (applied) until the node reports the deployment's space free again */
  freed: number[];
}

interface NodeSpace {
  sru: number;
  hru: number;
  deployments: number;
  /** bytes btrfs reports used on the SSD pools */
  ssdUsed: number;
}

const GiB = 1024 ** 3;

/** Runs the rounds and hands the times to `report` before taking the grid down (a client's disconnect may hang). */
export async function benchStorageOverRmb(stateDir: string, n: number, report: (t: RmbDeployTimes) => void): Promise<void> {
  const grid = await startDevGrid({ stateDir, blockTimeMs: 0, disks: { count: 2, hdd: 1, sizeGiB: 8 } });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const client = new OfficialClient(grid.chainUrl, grid.relayUrl, grid.user.mnemonic, randomBytes(5).toString("hex"), "sr25519", 3);
    await client.connect();
    closers.push(() => client.disconnect());
    const rmb = new gc.RMB(client);
    const tf = new TfClient({ url: grid.chainUrl, mnemonicOrSecret: grid.user.mnemonic, keypairType: "sr25519" });
    await tf.connect();
    closers.push(() => tf.disconnect());
    const call = (cmd: string, payload: unknown) => rmb.request([grid.node.twinId], cmd, JSON.stringify(payload), 20, 1);
    const out: RmbDeployTimes = { deploy: [], accept: [], freed: [] };
    const space = async (): Promise<NodeSpace> => {
      const st = await call("zos.statistics.get", {});
      const pools: { type: string; used: number }[] = await call("zos.storage.pools", {});
      return {
        sru: st.used.sru, hru: st.used.hru, deployments: st.users.deployments,
        ssdUsed: pools.filter((p) => p.type === "ssd").reduce((a, p) => a + p.used, 0),
      };
    };
    for (let i = 0; i < n; i++) {
      const before = await space();
      const disk = new gc.DiskPrimitive().create(1, `bd${i}`, "", "", 0); // 1 GiB zmount
      const vol = new gc.Volume();
      vol.size = 1024 ** 3;
      const w = new gc.Workload();
      Object.assign(w, { version: 0, name: `bv${i}`, type: gc.WorkloadTypes.volume, data: vol, metadata: "", description: "" });
      const d = new gc.DeploymentFactory({ twinId: grid.user.twinId }).create([disk, w], 0, "", "", 0);
      const c = await (await tf.contracts.createNode({ nodeId: grid.node.nodeId, hash: d.challenge_hash(), data: "", numberOfPublicIps: 0, solutionProviderId: null })).apply();
      d.contract_id = Number(c.contractId);
      await d.sign(grid.user.twinId, grid.user.mnemonic, "sr25519");
      const body = JSON.parse(JSON.stringify(d));
      const t0 = performance.now();
      await call("zos.deployment.deploy", body);
      out.accept.push(performance.now() - t0);
      for (;;) {
        const got = await call("zos.deployment.get", { contract_id: d.contract_id });
        const st = got.workloads.map((x: Any) => x.result.state);
        if (st.every((s: string) => s === "ok")) break;
        if (st.some((s: string) => s === "error")) throw new Error(`deployment ${i} failed: ${JSON.stringify(got.workloads.map((x: Any) => x.result))}`);
      }
      out.deploy.push(performance.now() - t0);
      const during = await space();
      if (during.sru < before.sru + 2 * GiB) throw new Error(`deployment ${i} is ok but the node counts ${during.sru - before.sru} bytes of sru for it (expected ≥ 2 GiB)`);
      await (await tf.contracts.cancel({ id: d.contract_id })).apply();
      const t1 = performance.now();
      // the node's word, not a guess: its capacity accounting back where it was, and the zmount's preallocated
      // GiB gone from the pool (btrfs counts what fallocate reserved; metadata may keep a few MiB)
      for (let last = during;;) {
        if (last.sru <= before.sru && last.hru <= before.hru && last.deployments <= before.deployments && last.ssdUsed < during.ssdUsed - GiB / 2) break;
        if (performance.now() - t1 > 120_000) {
          throw new Error(`deployment ${i}: 120 s after its contract was cancelled the node still reports its space used (before ${JSON.stringify(before)}, now ${JSON.stringify(last)})`);
        }
        await new Promise((r) => setTimeout(r, 200));
        last = await space();
      }
      out.freed.push(performance.now() - t1);
    }
    report(out);
  } finally {
    const within = (p: Promise<unknown>) => Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    for (const c of closers.reverse()) await within(c());
    await grid.stop();
  }
}

export const rmbStateDir = (dir: string) => join(dir, "grid");
