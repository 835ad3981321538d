// The boot-and-register sequence the disk scenarios share (direct-disk, power-cut, vm): a node with a btrfs
// state disk and a blank data disk, booted against the host's grid; its first boot registers it (twin and node
// of farm 1 on the chain, zos.system.version answered over the relay), a later boot on the same disks must come
// back as the same node. Two runs of QEMU are joined into one scenario result.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChainClient } from "../../capabilities/chain/mod.ts";
import type { NodeOnChain, RmbUser } from "./node-probe.ts";
import type { Vm, VmOptions } from "./qemu.ts";
import type { ScenarioContext, ScenarioResult } from "../scenarios.ts";

export type DiskVmOptions = Omit<VmOptions, "name" | "timeoutMs"> & { timeoutMs: number };

export interface DiskNode {
  /** the scenario's temp folder (disks inside) */
  dir: string;
  vmOpts: DiskVmOptions;
  client: ChainClient;
  /** the host-side grid user, funded while the node boots */
  user: Promise<RmbUser>;
  /** when the first QEMU was started (performance.now()) */
  t0: number;
  close(): Promise<void>;
}

/**
 * The disks and QEMU options of a node booted directly (PVH vmlinux + raw initramfs) with `zos-debug-vm`,
 * plus `append` on its command line and `net` as its NIC (default QEMU user networking).
 */
export async function diskNode(
  ctx: ScenarioContext,
  prefix: string,
  o: { append?: string; net?: string[]; memoryMb?: number; timeoutMs: number; stateDiskMb?: number; dataDiskGiB?: number },
): Promise<DiskNode> {
  const sc = await import("../scenarios.ts");
  const probe = await import("./node-probe.ts");
  const { ChainClient } = await import("../../capabilities/chain/mod.ts");
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    const disk = sc.makeStateDisk(dir, o.stateDiskMb);
    const data = sc.makeDataDisk(dir, "data.img", o.dataDiskGiB);
    const client = await ChainClient.connect({ urls: [ctx.grid.chainUrl] });
    const vmOpts: DiskVmOptions = {
      kernel: join(ctx.outDir, "vmlinux"),
      initrd: join(ctx.outDir, "initramfs.cpio"),
      // zos-debug-vm: as Zero-OS's dev VMs, every disk is SSD but vdd/vde (virtio disks all read rotational)
      append: sc.nodeCmdline(ctx, `zos-debug-vm ${o.append ?? ""}`),
      extra: [...(o.net ?? ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"]), "-drive", `file=${disk},if=virtio,format=raw`, "-drive", `file=${data},if=virtio,format=raw`],
      memoryMb: o.memoryMb,
      monitor: true,
      noReboot: true,
      timeoutMs: o.timeoutMs,
    };
    const user = probe.rmbUser(ctx.grid.chainUrl, ctx.grid.relayUrl, ctx.grid.userFunderMnemonic, client);
    user.catch(() => {});
    return {
      dir,
      vmOpts,
      client,
      user,
      t0: performance.now(),
      close: async () => {
        await user.then((u) => u.close(), () => {});
        await client.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The first boot: READY counting boot #1 on a persistent state disk, the node registered in farm 1 and
 * answering zos.system.version to the host's user. Returns the node and the serial index after READY.
 */
export async function bootAndRegister(n: DiskNode, vm: Vm, r: ScenarioResult, timeoutMs: number): Promise<NodeOnChain & { next: number; version: unknown }> {
  const sc = await import("../scenarios.ts");
  const probe = await import("./node-probe.ts");
  const since = () => Math.round(performance.now() - vm.started);
  const next = await sc.bootMilestones(vm, r, "", timeoutMs);
  if (!/boots=1 persistent=true/.test(r.notes.at(-1)!)) throw new Error(`first boot: ${r.notes.at(-1)}`);
  const node = await probe.waitForNodeOnChain(n.client, 1, timeoutMs);
  r.milestones.registered = since();
  r.notes.push(`registered: node ${node.nodeId} twin ${node.twinId} farm 1`);
  const version = await probe.callUntilAnswer(await n.user, node.twinId, "zos.system.version", timeoutMs);
  r.milestones.api_answers = since();
  return { ...node, next, version };
}

/**
 * A later boot on the same disks (`reboot_` milestones): READY counting boot #`boots`, the same twin answers
 * zos.system.version and farm 1 still has only that node (the identity came back from the state disk).
 */
export async function bootAsSameNode(n: DiskNode, vm: Vm, r: ScenarioResult, twinId: number, boots: number, timeoutMs: number, why = "the reboot"): Promise<{ next: number; version: unknown }> {
  const sc = await import("../scenarios.ts");
  const probe = await import("./node-probe.ts");
  const next = await sc.bootMilestones(vm, r, "reboot_", timeoutMs);
  if (!new RegExp(`boots=${boots} persistent=true`).test(r.notes.at(-1)!)) throw new Error(`after ${why} the state disk did not count boot #${boots}: ${r.notes.at(-1)}`);
  const version = await probe.callUntilAnswer(await n.user, twinId, "zos.system.version", timeoutMs);
  r.milestones.reboot_api_answers = Math.round(performance.now() - vm.started);
  const nodes = await probe.nodesOfFarm(n.client, 1);
  if (nodes.length !== 1 || nodes[0].twinId !== twinId) {
    throw new Error(`after ${why} the node did not keep its identity: farm 1 has nodes ${JSON.stringify(nodes)} (expected only twin ${twinId})`);
  }
  return { next, version };
}

/** The second QEMU's result folded into the first's: milestones shifted by when it started, notes appended. */
export function joinRuns(first: ScenarioResult, second: ScenarioResult, offsetMs: number, t0: number): ScenarioResult {
  for (const [k, v] of Object.entries(second.milestones)) first.milestones[k] = v + offsetMs;
  first.notes.push(...second.notes);
  first.ok = second.ok;
  first.error = second.error;
  first.log = second.log ?? first.log;
  first.seconds = (performance.now() - t0) / 1000;
  return first;
}
