// vm-test scenario "upgrade": live upgrade on a booted image. The host runs the dev grid's hub (the guest
// reaches it as 10.0.2.2); the node boots the image's installed release (A) with `hub=… upgrade=tf-zos/zos-vmtest.fl`,
// registers, and a grid user deploys a 0-db namespace and stores a key in it (reached from the host through a
// QEMU port forward to the node's 0-db port). Release B, built from this tree, is pushed to the hub; the farmer's
// signed RMB call `zos.admin.upgrade_check` makes the node learn of it, verify it and replace every process one
// by one (`zos.system.version` turns to B's) while the deployment stays ok and its key readable. A release C whose
// hostfacts dies at start is rolled back by the node itself (still B, the deployment still ok). After an orderly
// reboot on the same disks the node boots B from its state disk and the 0-db still holds the key.
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { startHub } from "../grid/hub/hub.ts";
import { buildRelease, writeReleaseInfo } from "../kernel/upgrade/build.ts";
import { pushRelease } from "../kernel/upgrade/push.ts";
import { repoRoot } from "../kernel/sandbox.ts";
import { OfficialClient } from "../capabilities/rmb/official-sdk.test-helper.ts";
import { workloadViews } from "../cli/commands/client/deploy.ts";
import { failIfNotOk } from "./farm-net.ts";
import { ZDB_PORT } from "../kernel/pid1/init.ts";
import { freeLoopbackPort, type ZdbProbe, zdbGet, zdbHolds, zdbSet } from "./lib/zdb-probe.ts";
import {
  bootMilestones, guestUrl, makeDataDisk, makeStateDisk, nodeCmdline, orderlyReboot, type ScenarioContext, type ScenarioResult, withVm,
} from "./scenarios.ts";

const require = createRequire(import.meta.url);
const CHANNEL = "tf-zos/zos-vmtest.fl";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Status = { version: string; upgrading: boolean; last: { result: string; version?: string; reason?: string; process?: string } | null };

/** Retries `f` every 2 s until it resolves; after `ms` fails with its last error (what the node said). */
async function eventually(what: string, ms: number, f: () => Promise<void>): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > end) throw new Error(`${what}: ${(e as Error).message} (still after ${ms / 1000} s)`);
    }
    await sleep(2000);
  }
}

/**
 * Reads the key every 2 s while an upgrade runs: how often the deployment answered, and the longest time it
 * did not (its 0-db server is one of the replaced processes, so it is down while that one restarts).
 */
function watchZdb(z: ZdbProbe): { stop(): Promise<{ answered: number; failed: number; wrong: number; longestGapMs: number }> } {
  let stopped = false;
  const s = { answered: 0, failed: 0, wrong: 0, longestGapMs: 0 };
  let lastOk = Date.now();
  const loop = (async () => {
    while (!stopped) {
      try {
        const v = await zdbGet(z);
        if (v === z.value) {
          s.answered++;
          lastOk = Date.now();
        } else s.wrong++;
      } catch {
        s.failed++;
        s.longestGapMs = Math.max(s.longestGapMs, Date.now() - lastOk);
      }
      await sleep(2000);
    }
  })();
  return { stop: async () => {
    stopped = true;
    await loop;
    return s;
  } };
}

export async function upgradeScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), "zt-vm-upgrade-"));
  const hub = await startHub({ dir: join(dir, "hub"), host: "127.0.0.1" });
  const timeout = ctx.bootTimeoutMs ?? 150_000;
  const { ChainClient } = await import("../capabilities/chain/mod.ts");
  const probe = await import("./lib/node-probe.ts");
  const client = await ChainClient.connect({ urls: [ctx.grid.chainUrl] });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const good = `vmtest-${Date.now()}`;
    const bad = `${good}-bad`;
    buildRelease({ root: repoRoot, out: join(dir, "good"), version: good });
    cpSync(join(dir, "good"), join(dir, "bad"), { recursive: true });
    writeFileSync(join(dir, "bad", "capabilities", "hostfacts", "main.bundle.js"), "process.exit(3);\n");
    writeReleaseInfo(join(dir, "bad"), bad);
    const disk = makeStateDisk(dir);
    const data = makeDataDisk(dir, "data.img");
    // the node's 0-db port forwarded to the host's loopback: the user's client reaches the deployment there
    const zdbHostPort = await freeLoopbackPort();
    const vmOpts = {
      kernel: join(ctx.outDir, "vmlinux"),
      initrd: join(ctx.outDir, "initramfs.cpio"),
      append: nodeCmdline(ctx, `zos-debug-vm hub=${guestUrl(hub.url)} upgrade=${CHANNEL}`),
      extra: ["-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${zdbHostPort}-:${ZDB_PORT}`, "-device", "virtio-net-pci,netdev=n0", "-drive", `file=${disk},if=virtio,format=raw`, "-drive", `file=${data},if=virtio,format=raw`],
      monitor: true,
      noReboot: true,
      timeoutMs: timeout * 8,
    };
    let twinId = 0;
    let nodeId = 0;
    let mnemonic = "";
    let zdb: ZdbProbe | null = null;
    let contract = 0;
    let user: import("./lib/workloads.ts").NodeUser | null = null;
    const wl = await import("./lib/workloads.ts");
    /** The user's deployment: every workload ok, as zos.deployment.get reports it. */
    const deploymentOk = (when: string): Promise<void> =>
      eventually(when, timeout, async () => {
        const states = await wl.workloadStates(user!, contract);
        if (!Object.values(states).length || !Object.values(states).every((s) => s === "ok")) throw new Error(`the 0-db deployment (contract ${contract}) is ${JSON.stringify(states)}`);
      });
    let farmer: (cmd: string, payload?: unknown) => Promise<unknown> = () => Promise.reject(new Error("no farmer client"));
    const until = async (what: string, ok: (s: Status) => boolean, ms: number): Promise<Status> => {
      const end = Date.now() + ms;
      let last: unknown = null;
      while (Date.now() < end) {
        try {
          last = await farmer("zos.admin.upgrade_status");
          if (ok(last as Status)) return last as Status;
        } catch (e) {
          last = (e as Error).message;
        }
        await sleep(3000);
      }
      throw new Error(`${what}: not within ${ms / 1000} s (last status: ${JSON.stringify(last)})`);
    };
    const first = await withVm("upgrade", ctx, vmOpts, async (vm, r) => {
      const since = () => Math.round(performance.now() - vm.started);
      const next = await bootMilestones(vm, r, "", timeout);
      const node = await probe.waitForNodeOnChain(client, 1, timeout);
      twinId = node.twinId;
      nodeId = node.nodeId;
      r.milestones.registered = since();
      // the farmer's client: the genesis farmer twin gets its relay on the first connect, sends from the second
      const { RMB } = require("@threefold/grid_client");
      for (let i = 0; i < 2; i++) {
        const c = new OfficialClient(ctx.grid.chainUrl, ctx.grid.relayUrl, ctx.grid.farmerMnemonic, randomBytes(5).toString("hex"), "sr25519", 3);
        await c.connect();
        if (i === 0) await c.disconnect();
        else {
          closers.push(() => c.disconnect());
          const rmb = new RMB(c);
          farmer = (cmd, payload) => rmb.request([twinId], cmd, payload === undefined ? "" : JSON.stringify(payload), 30);
        }
      }
      const before = await until("the api answers the farmer", () => true, timeout);
      r.notes.push(`release A: the image's installed release ${before.version}`);
      // a grid user's deployment that must outlive the upgrade: a 0-db namespace holding a key
      const rmbUser = await probe.rmbUser(ctx.grid.chainUrl, ctx.grid.relayUrl, ctx.grid.userFunderMnemonic, client);
      closers.push(() => rmbUser.close());
      await probe.callUntilAnswer(rmbUser, twinId, "zos.system.version", timeout);
      mnemonic = rmbUser.mnemonic;
      user = await wl.nodeUser(ctx.grid.chainUrl, ctx.grid.relayUrl, rmbUser.mnemonic, node.nodeId);
      closers.push(() => user!.close());
      const zr = await user.deploy(readFileSync(join(repoRoot, "examples", "zdb.json"), "utf8"), timeout);
      failIfNotOk("examples/zdb.json", zr);
      contract = zr.contract_id;
      const zd = workloadViews(zr.deployment).find((w) => w.type === "zdb")!.data as { Namespace: string; Port: number };
      const password = (JSON.parse(readFileSync(join(repoRoot, "examples", "zdb.json"), "utf8")).workloads[0].data as { password: string }).password;
      zdb = { ns: zd.Namespace, password, hostPort: zdbHostPort, key: "kept", value: `release-a-${randomBytes(4).toString("hex")}` };
      await eventually("storing the key", 60_000, () => zdbSet(zdb!));
      await zdbHolds(zdb, "before the upgrade", 30_000);
      r.milestones.deployed = since();
      r.notes.push(`deployment: 0-db namespace ${zd.Namespace} (contract ${contract}) ok, key "kept" stored through the node's ${ZDB_PORT}`);

      // release B on the hub: the node learns of it when the farmer asks it to check
      const pushedGood = await pushRelease({ hubUrl: hub.url, dir: join(dir, "good"), channel: CHANNEL, readerHubUrl: guestUrl(hub.url) });
      r.notes.push(`release B ${good} pushed to the hub's ${CHANNEL} (sha256 ${pushedGood.hash})`);
      const watch = watchZdb(zdb);
      await farmer("zos.admin.upgrade_check");
      const up = await until("the upgrade", (s) => !s.upgrading && s.last !== null && s.last.result !== "up-to-date", timeout * 6);
      const seen = await watch.stop();
      if (up.last?.result !== "upgraded" || up.version !== good) throw new Error(`upgrade to ${good}: ${JSON.stringify(up.last)}`);
      r.milestones.upgraded = since();
      const replaced = vm.lines.filter((l) => /"event":"upgrade-replaced"/.test(l.text)).length;
      r.notes.push(`upgraded to ${good}: ${replaced} processes replaced one by one`);
      await zdbHolds(zdb, "after the upgrade", timeout);
      await deploymentOk("after the upgrade");
      r.notes.push(`the deployment stayed: ok after the upgrade and its key read back; during the upgrade the 0-db answered ${seen.answered} reads, ` +
        `${seen.failed} failed (longest gap ${(seen.longestGapMs / 1000).toFixed(0)} s, while the 0-db driver itself was replaced), ${seen.wrong} wrong`);
      if (seen.wrong) throw new Error(`during the upgrade the 0-db gave ${seen.wrong} wrong answer(s) for its key`);

      // release C: its hostfacts dies at start; the node must roll back by itself
      await pushRelease({ hubUrl: hub.url, dir: join(dir, "bad"), channel: CHANNEL, readerHubUrl: guestUrl(hub.url) });
      await farmer("zos.admin.upgrade_check");
      const rolled = await until("the rollback", (s) => !s.upgrading && s.last?.version === bad, timeout * 4);
      if (rolled.last?.result !== "rolled-back" || rolled.version !== good) throw new Error(`bad release ${bad}: ${JSON.stringify(rolled.last)}`);
      // the reason is what the node saw (its hostfacts exits 3), not a timeout
      if (!/^hostfacts exited with code 3 /.test(rolled.last.reason ?? "")) throw new Error(`bad release ${bad}: the rollback's reason does not name hostfacts' exit: ${rolled.last.reason}`);
      r.milestones.rolled_back = since();
      r.notes.push(`bad release C ${bad} rolled back by itself (${rolled.last.process}: ${rolled.last.reason}); still ${rolled.version}`);
      const v = await probe.callUntilAnswer(rmbUser, twinId, "zos.system.version", timeout) as { zos: string };
      if (v.zos !== good) throw new Error(`zos.system.version says ${v.zos}, expected ${good}`);
      await zdbHolds(zdb, "after the rollback", timeout);
      await deploymentOk("after the rollback");
      r.notes.push(`after the rollback: zos.system.version ${v.zos}, the deployment ok, its key read back`);
      await orderlyReboot(vm, next);
    });
    if (!first.ok) return first;
    const second = await withVm("upgrade-reboot", ctx, vmOpts, async (vm, r) => {
      const since = () => Math.round(performance.now() - vm.started);
      const next = await bootMilestones(vm, r, "reboot_", timeout);
      // PID 1 says which release it booted (kernel/upgrade/boot.ts) and why not the active one, if it did not
      const fallback = vm.lines.slice(0, next).find((l) => /zos-boot: note upgrade: active release .* does not verify/.test(l.text));
      if (fallback) throw new Error(`after the reboot the node did not boot release B: ${fallback.text.trim()}`);
      const booted = await vm.waitFor(/zos-boot: note upgrade: following \S+ on \S+ \(release (\S+)\)/, timeout);
      const release = /\(release (\S+)\)/.exec(booted.text)![1];
      if (release !== good) throw new Error(`after the reboot the node booted release ${release}, expected B ${good}: ${booted.text.trim()}`);
      // fresh clients: the first boot's sessions are not trusted to outlive the node's reboot
      const rmbUser = await probe.rmbUser(ctx.grid.chainUrl, ctx.grid.relayUrl, ctx.grid.userFunderMnemonic, client);
      closers.push(() => rmbUser.close());
      const v = await probe.callUntilAnswer(rmbUser, twinId, "zos.system.version", timeout) as { zos: string };
      if (v.zos !== good) throw new Error(`after the reboot zos.system.version says ${v.zos}, expected B ${good}`);
      r.milestones.reboot_upgraded_answers = since();
      const old = user;
      user = await wl.nodeUser(ctx.grid.chainUrl, ctx.grid.relayUrl, mnemonic, nodeId);
      closers.push(() => user!.close());
      await old?.close().catch(() => {});
      await zdbHolds(zdb!, "after the reboot", timeout);
      await deploymentOk("after the reboot");
      r.notes.push(`after the reboot the node runs ${v.zos} (release B, from the state disk: "${booted.text.trim()}"); the deployment ok, its key read back`);
      await orderlyReboot(vm, next);
    });
    first.notes.push(...second.notes);
    for (const [k, v] of Object.entries(second.milestones)) first.milestones[k] = v;
    first.ok = second.ok;
    first.error = second.error;
    first.log = second.log ?? first.log;
    return first;
  } finally {
    for (const c of closers.reverse()) await c().catch(() => {});
    await client.close().catch(() => {});
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
