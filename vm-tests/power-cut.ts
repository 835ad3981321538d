// vm-test scenario "power-cut" (issue 14 item 3, opt-in: `npm run vm-test -- --scenario power-cut`): the node's VM
// loses power in the middle of a deployment and comes back on the same disks.
//   boot 1: the image boots with a state disk and a data disk, registers, gets a zmount, a volume, a one-node
//           network and a 0-db namespace deployed over RMB (all ok; a key written into the namespace through
//           QEMU's forward of the 0-db port), and its workload logs (zos.deployment.changes) are read; then a
//           fifth deployment is sent and, the moment the node has accepted it (stored and queued, not yet
//           provisioned), QEMU is killed -9: no shutdown, no sync, no unmount.
//   boot 2: a new QEMU on the same two disks. The node must come back as itself (the same twin, still one node in
//           the farm), with the same pools, the NR (its WireGuard port listed again), every deployment ok —
//           including the one cut mid-deploy, which it had promised to keep — listed once each, the 0-db namespace
//           open again with its password and taking writes (the provision module replayed the deployments at
//           boot; a key written seconds before the cut may be lost, 0-db does not fsync writes, but never wrong),
//           and every workload log entry it had written before the cut.
// VMs (zmachine) are the `vm` scenario's (QEMU in QEMU, minutes under TCG); gateways need an access node's
// public config (the farm).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { challengeHash } from "../modules/lib/gridtypes/deployment.ts";
import { createNodeContract, prepareDeployment, signDeployment, wireJson, workloadViews } from "../cli/commands/client/deploy.ts";
import { orderlyReboot, type ScenarioContext, type ScenarioResult, withVm } from "./scenarios.ts";
import { bootAndRegister, bootAsSameNode, diskNode, joinRuns } from "./lib/disk-node.ts";
import { freeLoopbackPort, type ZdbProbe, zdbGet, zdbHolds, zdbSet } from "./lib/zdb-probe.ts";
import { ZDB_PORT } from "../kernel/pid1/init.ts";

const EXAMPLES = join(fileURLToPath(new URL(".", import.meta.url)), "..", "examples");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A workload log entry as a comparable line: "<name> <version> <state> <created>". */
function logLines(changes: unknown): string[] {
  return (changes as { name: string; version: number; result?: { state?: string; created?: number | string } }[])
    .map((c) => `${c.name} v${c.version} ${c.result?.state ?? "?"} ${c.result?.created ?? "?"}`);
}

export async function powerCutScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const timeout = ctx.bootTimeoutMs ?? 150_000;
  const wl = await import("./lib/workloads.ts");
  const zdbHostPort = await freeLoopbackPort();
  const n = await diskNode(ctx, "zt-vm-powercut-", {
    timeoutMs: timeout * 2 + 60_000,
    // sparse: room for the four 1 GiB workloads, the node's cache and the 1 GiB volume the cut interrupts
    dataDiskGiB: 8,
    net: ["-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${zdbHostPort}-:${ZDB_PORT}`, "-device", "virtio-net-pci,netdev=n0"],
  });
  let node: { nodeId: number; twinId: number } | null = null;
  type Before = { deployed: Awaited<ReturnType<typeof wl.deployStorageAndNetwork>>; zdb: ZdbProbe & { contract: number }; zdbWrittenAt: number; cutAt: number; logs: Record<number, string[]>; cut: number };
  // set inside the first boot's callback (TypeScript does not see that assignment: hence the casts)
  let before = null as Before | null;
  try {
    const first = await withVm("power-cut", ctx, n.vmOpts, async (vm, r) => {
      const since = () => Math.round(performance.now() - vm.started);
      node = await bootAndRegister(n, vm, r, timeout);
      const u = await wl.nodeUser(ctx.grid.chainUrl, ctx.grid.relayUrl, (await n.user).mnemonic, node.nodeId);
      try {
        const deployed = await wl.deployStorageAndNetwork(u, { minPoolBytes: 3 * wl.GiB, timeoutMs: timeout });
        r.milestones.workloads_ok = since();
        r.notes.push(...deployed.notes);
        const z = await wl.deployZdb(u, timeout);
        const password = (JSON.parse(readFileSync(join(EXAMPLES, "zdb.json"), "utf8")).workloads[0].data as { password: string }).password;
        const zdb = { contract: z.contract, ns: z.namespace, password, hostPort: zdbHostPort, key: "before-the-cut", value: `power-cut-${Date.now()}` };
        await zdbSet(zdb).catch(async () => {
          await sleep(3000);
          await zdbSet(zdb);
        });
        await zdbHolds(zdb, "before the power cut", 30_000);
        const zdbWrittenAt = Date.now();
        r.milestones.zdb_key_written = since();
        r.notes.push(`${z.note}; key ${zdb.key} written through the port forward`);
        const logs: Record<number, string[]> = {};
        for (const c of [deployed.zmount.contract, deployed.volume.contract, deployed.network.contract, z.contract]) {
          logs[c] = logLines(await u.call("zos.deployment.changes", { contract_id: c }));
        }
        // the deployment the power cut interrupts: accepted by the node (durably stored and queued), then the plug
        // examples/volume.json made distinct: the chain refuses a second node contract with the same deployment hash
        const doc = JSON.parse(readFileSync(join(EXAMPLES, "volume.json"), "utf8"));
        doc.description = `vm-test power-cut: the deployment the plug interrupts (${Date.now()})`;
        const d = prepareDeployment(JSON.stringify(doc), u.session.twinId);
        const cut = await createNodeContract(u.session, challengeHash(d));
        d.contract_id = BigInt(cut);
        await signDeployment(d, u.session);
        await u.call("zos.deployment.deploy", wireJson(d));
        vm.kill();
        const cutAt = Date.now();
        r.milestones.power_cut = since();
        r.notes.push(`power cut (QEMU killed -9) right after the node accepted contract ${cut}`);
        before = { deployed, zdb, zdbWrittenAt, cutAt, logs, cut };
      } finally {
        await u.close();
      }
      const exit = await vm.exited;
      if (exit.code === 0) throw new Error("QEMU exited 0: the node powered off in order, there was no power cut");
    });
    if (!first.ok || !node || !before) return first;
    const b = before as Before;
    const twinId = (node as { twinId: number }).twinId;
    const nodeId = (node as { nodeId: number }).nodeId;
    const offset = Math.round(performance.now() - n.t0);
    const second = await withVm("power-cut-reboot", ctx, n.vmOpts, async (vm, r) => {
      const since = () => Math.round(performance.now() - vm.started);
      const { next } = await bootAsSameNode(n, vm, r, twinId, 2, timeout, "the power cut");
      r.notes.push(`identity: the same twin ${twinId} answers, still one node in the farm`);
      const u = await wl.nodeUser(ctx.grid.chainUrl, ctx.grid.relayUrl, (await n.user).mnemonic, nodeId);
      try {
        const pools = ((await u.call("zos.storage.pools")) as { name: string }[]).map((p) => p.name).sort();
        const want = b.deployed.pools.map((p) => p.name).sort();
        if (JSON.stringify(pools) !== JSON.stringify(want)) throw new Error(`after the power cut the pools are ${JSON.stringify(pools)}, before ${JSON.stringify(want)}`);
        const contracts = [b.deployed.zmount.contract, b.deployed.volume.contract, b.deployed.network.contract, b.zdb.contract, b.cut];
        // every deployment ok, the cut one too (the node accepted it: it must provision it after the reboot)
        let states: Record<number, Record<string, string>> = {};
        const end = Date.now() + timeout;
        for (;;) {
          states = {};
          for (const c of contracts) states[c] = await wl.workloadStates(u, c).catch((e) => ({ error: (e as Error).message }));
          if (Object.values(states).every((s) => Object.keys(s).length && Object.values(s).every((x) => x === "ok"))) break;
          // error is final: say why at once instead of waiting out the timeout
          const failed = Object.entries(states).filter(([, s]) => Object.values(s).includes("error")).map(([c]) => Number(c));
          if (failed.length) {
            const why: string[] = [];
            for (const c of failed) {
              const views = workloadViews(await u.call("zos.deployment.get", { contract_id: c }));
              why.push(...views.filter((w) => w.state === "error").map((w) => `contract ${c} ${w.name} (${w.type}): ${w.message}`));
            }
            throw new Error(`after the power cut a deployment failed: ${why.join("; ")} (states ${JSON.stringify(states)})`);
          }
          if (Date.now() > end) throw new Error(`after the power cut not every deployment is ok: ${JSON.stringify(states)}`);
          await sleep(2000);
        }
        r.milestones.reboot_all_ok = since();
        const replay = vm.lines.map((l) => /new boot: replaying \d+ deployment\(s\)/.exec(l.text)?.[0]).find(Boolean);
        if (!replay) throw new Error(`after the power cut the provision module did not replay the stored deployments (no "new boot: replaying" on the console)`);
        const clock = vm.lines.map((l) => /zos-boot: phase clock (ok|FAILED).*/.exec(l.text)?.[0]).find(Boolean);
        const refused = vm.lines.filter((l) => /InvalidTimestampHint/.test(l.text)).length;
        r.notes.push(`provision: ${replay}; ${clock ?? "no clock phase"}; uptime reports refused for the timestamp: ${refused}`);
        r.notes.push(`pools ${want.join(",")} back; deployments ${JSON.stringify(states)} (contract ${b.cut} was cut mid-deploy)`);
        // nothing duplicated: each deployment listed once, and only these
        const listed = ((await u.call("zos.deployment.list")) as { contract_id: number | string }[]).map((d) => Number(d.contract_id)).sort((x, y) => x - y);
        if (JSON.stringify(listed) !== JSON.stringify([...contracts].sort((x, y) => x - y))) {
          throw new Error(`after the power cut zos.deployment.list has contracts ${JSON.stringify(listed)}, expected each of ${JSON.stringify(contracts)} once`);
        }
        // 0-db does not fsync each write (as 0-db without --sync): a key written seconds before the plug may be
        // gone after it, but never wrong; the namespace itself (made durable before it was reported ok) is back
        // with its password and takes writes again
        let got: string | null = null;
        for (const end = Date.now() + timeout; ;) {
          try {
            got = await zdbGet(b.zdb);
            break;
          } catch (e) {
            if (Date.now() > end) throw new Error(`after the power cut the 0-db namespace ${b.zdb.ns} does not open: ${(e as Error).message}`);
            await sleep(2000);
          }
        }
        if (got !== null && got !== b.zdb.value) throw new Error(`after the power cut key ${b.zdb.key} of ${b.zdb.ns} reads ${JSON.stringify(got)}, written ${JSON.stringify(b.zdb.value)}`);
        const again = { ...b.zdb, key: "after-the-cut", value: `power-cut-${Date.now()}` };
        await zdbSet(again);
        await zdbHolds(again, "after the power cut", 30_000);
        r.milestones.reboot_zdb_ok = since();
        r.notes.push(`0-db namespace ${b.zdb.ns} opens with its password after the reboot; the key written ${((b.cutAt - b.zdbWrittenAt) / 1000).toFixed(1)} s before the cut: ${got === null ? "lost (0-db does not fsync writes)" : "kept"}; a new key written and read back`);
        const ports = (await u.call("zos.network.list_wg_ports")) as number[];
        if (!ports.includes(b.deployed.network.port)) throw new Error(`the NR was not restored: zos.network.list_wg_ports ${JSON.stringify(ports)} lacks ${b.deployed.network.port}`);
        const zm = workloadViews(await u.call("zos.deployment.get", { contract_id: b.deployed.zmount.contract })).find((w) => w.type === "zmount");
        if ((zm?.data as { volume_id?: string })?.volume_id !== b.deployed.zmount.volumeId) throw new Error(`the zmount's volume changed: ${JSON.stringify(zm?.data)}`);
        // the workload logs: every entry written before the cut is still there, in order
        for (const [c, lines] of Object.entries(b.logs)) {
          const now = logLines(await u.call("zos.deployment.changes", { contract_id: Number(c) }));
          if (JSON.stringify(now.slice(0, lines.length)) !== JSON.stringify(lines)) {
            throw new Error(`the workload log of contract ${c} lost entries in the power cut: before ${JSON.stringify(lines)}, after ${JSON.stringify(now)}`);
          }
        }
        r.notes.push(`NR port ${b.deployed.network.port} listed again; the zmount keeps volume ${b.deployed.zmount.volumeId}; workload logs of ${Object.keys(b.logs).length} contracts intact`);
      } finally {
        await u.close();
      }
      await orderlyReboot(vm, next);
    });
    return joinRuns(first, second, offset, n.t0);
  } finally {
    await n.close();
  }
}
