// vm-test scenario "upgrade": live upgrade on a booted image. The host runs the dev grid's hub (the guest
// reaches it as 10.0.2.2); the node boots with `hub=… upgrade=tf-zos/zos-vmtest.fl`, registers, and the farmer's
// signed RMB call `zos.admin.upgrade_check` makes it install a release built from this tree (every process
// replaced, `zos.system.version` the release's). A second release whose hostfacts dies at start is rolled back
// by the node itself. After an orderly reboot on the same state disk the node boots the upgraded release.
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { startHub } from "../grid/hub/hub.ts";
import { buildRelease, writeReleaseInfo } from "../kernel/upgrade/build.ts";
import { pushRelease } from "../kernel/upgrade/push.ts";
import { repoRoot } from "../kernel/sandbox.ts";
import { OfficialClient } from "../capabilities/rmb/official-sdk.test-helper.ts";
import {
  bootMilestones, guestUrl, makeDataDisk, makeStateDisk, nodeCmdline, orderlyReboot, type ScenarioContext, type ScenarioResult, withVm,
} from "./scenarios.ts";

const require = createRequire(import.meta.url);
const CHANNEL = "tf-zos/zos-vmtest.fl";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Status = { version: string; upgrading: boolean; last: { result: string; version?: string; reason?: string; process?: string } | null };

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
    const pushedGood = await pushRelease({ hubUrl: hub.url, dir: join(dir, "good"), channel: CHANNEL });
    const disk = makeStateDisk(dir);
    const data = makeDataDisk(dir, "data.img");
    const vmOpts = {
      kernel: join(ctx.outDir, "vmlinux"),
      initrd: join(ctx.outDir, "initramfs.cpio"),
      append: nodeCmdline(ctx, `zos-debug-vm hub=${guestUrl(hub.url)} upgrade=${CHANNEL}`),
      extra: ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0", "-drive", `file=${disk},if=virtio,format=raw`, "-drive", `file=${data},if=virtio,format=raw`],
      monitor: true,
      noReboot: true,
      timeoutMs: timeout * 8,
    };
    let twinId = 0;
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
      r.notes.push(`installed release ${before.version}; pushed ${good} (sha256 ${pushedGood.hash})`);
      await farmer("zos.admin.upgrade_check");
      const up = await until("the upgrade", (s) => !s.upgrading && s.last !== null && s.last.result !== "up-to-date", timeout * 6);
      if (up.last?.result !== "upgraded" || up.version !== good) throw new Error(`upgrade to ${good}: ${JSON.stringify(up.last)}`);
      r.milestones.upgraded = since();
      const replaced = vm.lines.filter((l) => /"event":"upgrade-replaced"/.test(l.text)).length;
      r.notes.push(`upgraded to ${good}: ${replaced} processes replaced one by one`);
      await pushRelease({ hubUrl: hub.url, dir: join(dir, "bad"), channel: CHANNEL });
      await farmer("zos.admin.upgrade_check");
      const rolled = await until("the rollback", (s) => !s.upgrading && s.last?.version === bad, timeout * 4);
      if (rolled.last?.result !== "rolled-back" || rolled.version !== good) throw new Error(`bad release ${bad}: ${JSON.stringify(rolled.last)}`);
      r.milestones.rolled_back = since();
      r.notes.push(`bad release ${bad} rolled back by itself (${rolled.last.process}: ${rolled.last.reason}); still ${rolled.version}`);
      const v = await probe.callUntilAnswer(await probe.rmbUser(ctx.grid.chainUrl, ctx.grid.relayUrl, ctx.grid.userFunderMnemonic, client).then((u) => {
        closers.push(() => u.close());
        return u;
      }), twinId, "zos.system.version", timeout) as { zos: string };
      if (v.zos !== good) throw new Error(`zos.system.version says ${v.zos}, expected ${good}`);
      await orderlyReboot(vm, next);
    });
    if (!first.ok) return first;
    const second = await withVm("upgrade-reboot", ctx, vmOpts, async (vm, r) => {
      const since = () => Math.round(performance.now() - vm.started);
      await bootMilestones(vm, r, "reboot_", timeout);
      const s = await until("the api after the reboot", (x) => x.version === good, timeout * 2);
      r.milestones.reboot_upgraded_answers = since();
      r.notes.push(`after the reboot the node runs ${s.version} (the upgraded release, from the state disk)`);
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
