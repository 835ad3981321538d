// The vm-test scenarios. Each boots the built image (rootfs/out) in QEMU against the local grid on the
// host (the dev chain on 127.0.0.1, reached from the guest as 10.0.2.2 through QEMU user networking)
// and checks what the node does, from its serial console. Used by `zos vm-test` (all scenarios) and
// by vm-tests/direct-boot.test.ts (the CI one).
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Vm } from "./lib/qemu.ts";
import { forbiddenFiles } from "../rootfs/build.ts";

export const READY = /zos-boot: READY/;
export const BASE_CMDLINE = "console=ttyS0 panic=-1 mitigations=off";

export interface Grid {
  chainUrl: string;
  relayUrl: string;
  stop(): Promise<void>;
}

/** The local grid on loopback, on free ports: the dev chain and the RMB relay (which reads twins from it). */
export async function startGrid(): Promise<Grid> {
  const { startChain } = await import("../grid/chain/mod.ts");
  const { startRelay } = await import("../grid/relay/mod.ts");
  const chain = await startChain({ blockTimeMs: 500, log: () => {} });
  try {
    const relay = await startRelay({ chainUrl: chain.url, log: () => {} });
    return {
      chainUrl: chain.url,
      relayUrl: relay.url,
      stop: async () => {
        await relay.stop();
        await chain.stop();
      },
    };
  } catch (err) {
    await chain.stop();
    throw err;
  }
}

/** The chain URL as the guest sees it: the host's loopback is 10.0.2.2 under QEMU user networking. */
export function guestUrl(url: string): string {
  return url.replace(/\/\/(127\.0\.0\.1|localhost|\[::1\])/, "//10.0.2.2");
}

export interface ScenarioResult {
  name: string;
  ok: boolean;
  seconds: number;
  /** Milestones, ms since QEMU started. */
  milestones: Record<string, number>;
  notes: string[];
  error?: string;
  log?: string | null;
}

export interface ScenarioContext {
  outDir: string;
  grid: Grid;
  keepLogs?: boolean;
  /** Per-boot hard timeout (TCG on a busy 2-core machine is slow). */
  bootTimeoutMs?: number;
}

const NET = ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"];

function nodeCmdline(ctx: ScenarioContext, extra: string): string {
  return `${BASE_CMDLINE} runmode=dev farmer_id=1 substrate=${guestUrl(ctx.grid.chainUrl)} relay=${guestUrl(ctx.grid.relayUrl)} ${extra}`.trim();
}

/** A blank-but-formatted state disk: btrfs on a sparse file (mkfs.btrfs works on a plain file, no loop device). */
export function makeStateDisk(dir: string, sizeMb = 256): string {
  const img = join(dir, "state.img");
  spawnSync("truncate", ["-s", `${sizeMb}M`, img]);
  const r = spawnSync("mkfs.btrfs", ["-q", "-f", "-L", "zos-cache", img], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mkfs.btrfs failed: ${r.stderr}`);
  return img;
}

async function withVm(
  name: string,
  ctx: ScenarioContext,
  vmOpts: Omit<ConstructorParameters<typeof Vm>[0], "name" | "timeoutMs"> & { timeoutMs?: number },
  body: (vm: Vm, r: ScenarioResult) => Promise<void>,
): Promise<ScenarioResult> {
  const t0 = performance.now();
  const r: ScenarioResult = { name, ok: false, seconds: 0, milestones: {}, notes: [] };
  const vm = new Vm({ name, timeoutMs: vmOpts.timeoutMs ?? ctx.bootTimeoutMs ?? 150_000, ...vmOpts });
  let failed = true;
  try {
    await body(vm, r);
    r.ok = true;
    failed = false;
  } catch (err) {
    r.error = (err as Error).message;
  } finally {
    r.log = await vm.finish(failed || Boolean(ctx.keepLogs));
    r.seconds = (performance.now() - t0) / 1000;
  }
  return r;
}

/** Milestones of one boot, starting at serial line index `from`. */
async function bootMilestones(vm: Vm, r: ScenarioResult, prefix: string, timeoutMs: number, from = 0): Promise<number> {
  const kernel = await vm.waitFor(/Linux version/, timeoutMs, from);
  r.milestones[`${prefix}kernel`] = Math.round(kernel.t);
  const pid1 = await vm.waitFor(/zos-boot: PID 1 up/, timeoutMs, from);
  r.milestones[`${prefix}pid1`] = Math.round(pid1.t);
  const net = await vm.waitFor(/zos-boot: phase network (ok|FAILED)/, timeoutMs, from);
  if (/FAILED/.test(net.text)) throw new Error(`network failed: ${net.text}`);
  r.milestones[`${prefix}network`] = Math.round(net.t);
  const chain = await vm.waitFor(/zos-boot: phase chain ok/, timeoutMs, from);
  r.milestones[`${prefix}chain`] = Math.round(chain.t);
  const checks = await vm.waitFor(/zos-boot: phase checks (ok|FAILED)/, timeoutMs, from);
  if (/FAILED/.test(checks.text)) throw new Error(`the guest has listening sockets: ${checks.text}`);
  const ready = await vm.waitFor(READY, timeoutMs, from);
  r.milestones[`${prefix}ready`] = Math.round(ready.t);
  const kernelOk = vm.lines.slice(from).find((l) => /zos-boot: phase kernel ok/.test(l.text));
  if (kernelOk) r.milestones[`${prefix}kernel_ready`] = Math.round(kernelOk.t);
  r.notes.push(ready.text.trim());
  return vm.lines.indexOf(ready) + 1;
}

async function expectPoweroff(vm: Vm, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exit = await Promise.race([vm.exited, new Promise<null>((res) => (timer = setTimeout(() => res(null), timeoutMs)))]);
  clearTimeout(timer);
  if (!exit) throw new Error(`QEMU still running ${timeoutMs} ms after the node was told to power off`);
  if (exit.timedOut) throw new Error("hard timeout");
  if (exit.code !== 0) throw new Error(`QEMU exited ${exit.code ?? exit.signal} (a kernel panic, not an orderly power-off)`);
  await vm.waitFor(/zos-boot: powering off/, 1000);
}

/**
 * Direct kernel boot (PVH vmlinux + raw initramfs) with a btrfs state disk: the node boots, gets its
 * address by DHCP, reaches the dev chain, counts boot #1 on the disk, reboots itself, comes back with
 * boot #2 (state survived), and powers off in order.
 */
export function directBootWithDisk(ctx: ScenarioContext): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), "zt-vm-"));
  const disk = makeStateDisk(dir);
  const timeout = ctx.bootTimeoutMs ?? 150_000;
  return withVm("direct-disk", ctx, {
    kernel: join(ctx.outDir, "vmlinux"),
    initrd: join(ctx.outDir, "initramfs.cpio"),
    append: nodeCmdline(ctx, "zos-vmtest=cycle:2"),
    extra: [...NET, "-drive", `file=${disk},if=virtio,format=raw`],
    timeoutMs: timeout * 2 + 30_000,
  }, async (vm, r) => {
    try {
      const next = await bootMilestones(vm, r, "", timeout);
      if (!/boots=1 persistent=true/.test(r.notes.at(-1)!)) throw new Error(`first boot: ${r.notes.at(-1)}`);
      await bootMilestones(vm, r, "reboot_", timeout, next);
      if (!/boots=2 persistent=true/.test(r.notes.at(-1)!)) throw new Error(`after the reboot the state disk did not count boot #2: ${r.notes.at(-1)}`);
      await expectPoweroff(vm, 60_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * No disk at all: the node still boots, and says why it will not register. Then Ctrl-Alt-Del (QEMU
 * sendkey) must reach PID 1 as SIGINT and give an orderly reboot (QEMU runs with -no-reboot, so it
 * exits 0), not the kernel's hard reset.
 */
export function noDisk(ctx: ScenarioContext, opts: { ctrlAltDel?: boolean } = {}): Promise<ScenarioResult> {
  const timeout = ctx.bootTimeoutMs ?? 150_000;
  const cad = opts.ctrlAltDel ?? true;
  return withVm("no-disk", ctx, {
    kernel: join(ctx.outDir, "vmlinux"),
    initrd: join(ctx.outDir, "initramfs.cpio"),
    append: nodeCmdline(ctx, cad ? "" : "zos-vmtest=poweroff"),
    extra: NET,
    noReboot: true,
    monitor: cad,
    timeoutMs: timeout,
  }, async (vm, r) => {
    await bootMilestones(vm, r, "", timeout);
    const why = await vm.waitFor(/no disk: .*will not register/, 1000);
    r.notes.push(why.text.trim());
    if (!/persistent=false/.test(r.notes[0])) throw new Error("a node without a disk claimed persistent state");
    if (!cad) return await expectPoweroff(vm, 60_000);
    await vm.monitorCommand("sendkey ctrl-alt-delete");
    await vm.waitFor(/zos-boot: rebooting/, 30_000);
    const exit = await vm.exited;
    if (exit.code !== 0) throw new Error(`QEMU exited ${exit.code ?? exit.signal} after Ctrl-Alt-Del (expected an orderly reboot)`);
    r.notes.push("Ctrl-Alt-Del → SIGINT → orderly reboot");
  });
}

/** A farmer's boot server: serves the image files and a boot.ipxe carrying the farm's command line. */
export async function bootServer(outDir: string, cmdline: string): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const files: Record<string, string> = { "/bzImage": "bzImage", "/initramfs.cpio.zst": "initramfs.cpio.zst" };
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/boot.ipxe") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`#!ipxe\nkernel bzImage ${cmdline}\ninitrd initramfs.cpio.zst\nboot\n`);
      return;
    }
    const f = files[req.url ?? ""];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    const p = join(outDir, f);
    res.writeHead(200, { "content-length": String(statSync(p).size), "content-type": "application/octet-stream" });
    createReadStream(p).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  return { server, port: typeof addr === "object" && addr ? addr.port : 0, requests };
}

/** Network boot as farmers do it: QEMU's iPXE ROM fetches boot.ipxe, bzImage and the zstd initramfs over HTTP. */
export async function ipxeHttp(ctx: ScenarioContext): Promise<ScenarioResult> {
  const timeout = (ctx.bootTimeoutMs ?? 150_000) + 60_000;
  const bs = await bootServer(ctx.outDir, nodeCmdline(ctx, "zos-vmtest=poweroff"));
  try {
    return await withVm("ipxe-http", ctx, {
      extra: [
        "-netdev", `user,id=n0,bootfile=http://10.0.2.2:${bs.port}/boot.ipxe`,
        // QEMU's default option ROM for the NIC (Debian's ipxe-qemu); naming it with romfile= stops
        // SeaBIOS from running it.
        "-device", "virtio-net-pci,netdev=n0",
        "-boot", "n",
      ],
      noReboot: true,
      timeoutMs: timeout,
    }, async (vm, r) => {
      await bootMilestones(vm, r, "", timeout);
      for (const want of ["/boot.ipxe", "/bzImage", "/initramfs.cpio.zst"]) {
        if (!bs.requests.includes(want)) throw new Error(`the boot server never served ${want} (requests: ${bs.requests.join(" ")})`);
      }
      r.notes.push(`boot server requests: ${bs.requests.join(" ")}`);
      await expectPoweroff(vm, 60_000);
    });
  } finally {
    await new Promise((resolve) => bs.server.close(resolve));
  }
}

/** The no-shell promise on the image listing: nothing executable but the runtime, its libs and /init. */
export function noShell(outDir: string): ScenarioResult {
  const t0 = performance.now();
  const listing = readFileSync(join(outDir, "image-files.txt"), "utf8");
  const bad = forbiddenFiles(listing);
  const executables = listing.split("\n").filter((l) => l.startsWith("file ") && (parseInt(l.split(/\s+/)[1], 8) & 0o111) !== 0)
    .map((l) => l.split(" /")[1]);
  const allowed = (p: string) => p === "usr/bin/deno" || p === "init" || /^lib(64)?\/.*\.so(\.\d+)*$/.test(p) || /^lib\/x86_64-linux-gnu\/[^/]+\.so[.\d]*$/.test(p);
  const unexpected = executables.filter((p) => !allowed(p));
  const ok = bad.length === 0 && unexpected.length === 0;
  return {
    name: "no-shell",
    ok,
    seconds: (performance.now() - t0) / 1000,
    milestones: {},
    notes: [`executables: ${executables.join(", ")}`],
    error: ok ? undefined : `forbidden: ${[...bad, ...unexpected].join(", ")}`,
  };
}
