// The vm-test scenarios. Each boots the built image (rootfs/out) in QEMU against the local grid on the
// host (the dev chain on 127.0.0.1, reached from the guest as 10.0.2.2 through QEMU user networking)
// and checks what the node does, from its serial console. Used by `zos vm-test` (all scenarios) and
// by vm-tests/direct-boot.test.ts (the CI one).
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Vm } from "./lib/qemu.ts";
import { forbiddenFiles, netbootInitrd } from "../rootfs/build.ts";
import { NODE_TOOLS } from "../rootfs/image-config.ts";
import { checkSandboxFacts, type KernelEventLike, kernelEventsFromConsole } from "./lib/sandbox-facts.ts";
import { DEFAULT_PORTS, sweepGuestPorts } from "./lib/port-probe.ts";
import { imageKernelVars } from "./lib/image-vars.ts";
import { GATEWAY_PORT, ZDB_PORT } from "../kernel/pid1/init.ts";

/** The reviewed node manifest the booted image's processes are checked against. */
export const GOLDEN_MANIFEST = join(fileURLToPath(new URL(".", import.meta.url)), "..", "rootfs", "golden", "manifest.json");

export const READY = /zos-boot: READY/;
// tsc=reliable: on a busy host the guest kernel's clocksource watchdog sees TCG's TSC drift and falls back to
// the HPET, whose every read traps into QEMU — the node's processes then start several times slower.
export const BASE_CMDLINE = "console=ttyS0 panic=-1 mitigations=off tsc=reliable";

export interface Grid {
  chainUrl: string;
  relayUrl: string;
  /** the activation service that funds the node's account (given to the node as `activation=`) */
  activationUrl: string;
  /** a genesis-funded dev account (alice) for the host-side grid user */
  userFunderMnemonic: string;
  /** the dev account whose twin owns farm 1 (the farmer signs the access node's public config; it may call
   *  zos.admin.*, vm-tests/upgrade.ts) */
  farmerMnemonic: string;
  stop(): Promise<void>;
}

/**
 * The local grid on loopback, on free ports: the dev chain, the RMB relay (which reads twins from it) and
 * the activation service (funded by bob, so the host-side user funded by alice never races it for a nonce).
 */
export async function startGrid(opts: { log?: (line: string) => void } = {}): Promise<Grid> {
  const log = opts.log ?? (() => {});
  const { startChain } = await import("../grid/chain/mod.ts");
  const { startRelay } = await import("../grid/relay/mod.ts");
  const { startActivation } = await import("../grid/activation/mod.ts");
  const chain = await startChain({ blockTimeMs: 500, log: (l) => log(`chain: ${l}`) });
  const stops: (() => Promise<void>)[] = [() => chain.stop()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    const relay = await startRelay({ chainUrl: chain.url, log: (l: string) => log(`relay: ${l}`) });
    stops.push(() => relay.stop());
    const account = (name: string) => chain.devAccounts.find((a) => a.name === name)!.mnemonic;
    const activation = await startActivation({ chainUrl: chain.url, funderMnemonic: account("bob"), log: (l) => log(`activation: ${l}`) });
    stops.push(() => activation.stop());
    return {
      chainUrl: chain.url,
      relayUrl: relay.url,
      activationUrl: activation.url,
      userFunderMnemonic: account("alice"),
      farmerMnemonic: account("farmer"),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
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
  /** The capability kernel's events read off the console (per-process start timings, sandbox facts). */
  events?: KernelEventLike[];
}

export interface ScenarioContext {
  outDir: string;
  grid: Grid;
  keepLogs?: boolean;
  /** Per-boot hard timeout (TCG on a busy 2-core machine is slow). */
  bootTimeoutMs?: number;
  /** The golden manifest text the verified sandbox facts are checked against (default rootfs/golden/manifest.json). */
  golden?: string;
  /**
   * direct-disk: also probe the guest's ports from the host and deploy a zmount, a volume and a network
   * (default true; the boot benchmark turns it off so its reboot timings stay comparable).
   */
  workloads?: boolean;
}

/**
 * The verified sandbox facts of every process (the kernel's spawned/ready events on the console)
 * against the golden manifest; throws naming every difference. Call once every process answered.
 */
function verifySandbox(ctx: ScenarioContext, vm: Vm, r: ScenarioResult, vars: Record<string, string>, from = 0): void {
  const golden = ctx.golden ?? readFileSync(GOLDEN_MANIFEST, "utf8");
  const events = kernelEventsFromConsole(vm.lines.slice(from).map((l) => l.text));
  // In the image the kernel runs as root (PID 1's child), so every process must have switched identity.
  // exact: every ${…} of the golden substituted with the variables PID 1 gives the kernel (vm-tests/lib/image-vars.ts)
  const diffs = checkSandboxFacts(golden, events, { kernelIsRoot: true, vars });
  if (diffs.length) throw new Error(`the processes' verified sandbox differs from the golden manifest:\n  - ${diffs.join("\n  - ")}`);
  const n = new Set(events.filter((e) => e.sandbox).map((e) => e.process)).size;
  // the image's read-only V8 code cache each process started with (kernel/code-cache.ts; null when refused or absent)
  const cached = new Set(events.filter((e) => e.event === "spawned" && typeof (e as { codeCache?: unknown }).codeCache === "string").map((e) => e.process)).size;
  r.notes.push(`sandbox: ${n} processes verified against the golden manifest (no -A, modules without permissions, permissions and arguments exactly as substituted, own uid, capabilities as listed, no_new_privs); ${cached} started from the image's code cache`);
}

const NET = ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"];

export function nodeCmdline(ctx: ScenarioContext, extra: string): string {
  return `${BASE_CMDLINE} runmode=dev farmer_id=1 substrate=${guestUrl(ctx.grid.chainUrl)} relay=${guestUrl(ctx.grid.relayUrl)} ` +
    `activation=${guestUrl(ctx.grid.activationUrl)} ${extra}`.trim();
}

/** A blank data disk (sparse file): the node makes it a btrfs pool (virtio → /dev/vdb after the state disk). */
export function makeDataDisk(dir: string, name: string, sizeGiB = 4): string {
  const img = join(dir, name);
  const r = spawnSync("truncate", ["-s", `${sizeGiB}G`, img], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`truncate failed: ${r.stderr}`);
  return img;
}

/**
 * The guest's TCP ports probed from the host through QEMU user networking (hostfwd, batch by batch):
 * only the manifest's listeners may answer: the gateway's 443, and the 0-db server on 9900 once the node hosts a
 * zdb workload (it starts on demand, as Zero-OS's 0-db runs only for its namespaces): `zdbState` "serving" = it must
 * answer a RESP PING (the probe's positive control), "idle" = 9900 must not answer.
 */
async function probeListeners(vm: Vm, r: ScenarioResult, when: string, zdbState: "serving" | "idle", ports = DEFAULT_PORTS): Promise<void> {
  const verdicts = await sweepGuestPorts((cmds) => vm.monitorBatch(cmds), { netdev: "n0", ports });
  const open = verdicts.filter((v) => v.open);
  // the manifest's listeners (PID 1's declaredListeners): 0-db, and the gateway's TLS passthrough proxy
  const undeclared = open.filter((v) => v.port !== ZDB_PORT && v.port !== GATEWAY_PORT);
  if (undeclared.length) {
    throw new Error(`${when}: the guest answers on undeclared TCP ports seen from the host: ${undeclared.map((v) => `${v.port}${v.answer ? ` (${JSON.stringify(v.answer.slice(0, 40))})` : ""}`).join(", ")}`);
  }
  const zdb = open.find((v) => v.port === ZDB_PORT);
  if (zdbState === "idle" && zdb) {
    throw new Error(`${when}: the node hosts no zdb workload, yet its 0-db server answers on ${ZDB_PORT} (it starts on demand): ${JSON.stringify(zdb)}`);
  }
  if (zdbState === "serving" && ports.includes(ZDB_PORT) && !(zdb?.answer ?? "").startsWith("+PONG")) {
    throw new Error(`${when}: the 0-db server (the manifest's one listener, ${ZDB_PORT}) did not answer PING through the probe: ${JSON.stringify(zdb ?? null)} — the probe cannot tell an open port`);
  }
  r.notes.push(`probe ${when}: ${verdicts.length} TCP ports swept from the host, open: ${open.map((v) => v.port).join(",") || "none"}`);
}

/** A blank-but-formatted state disk: btrfs on a sparse file (mkfs.btrfs works on a plain file, no loop device). */
export function makeStateDisk(dir: string, sizeMb = 256, name = "state.img"): string {
  const img = join(dir, name);
  spawnSync("truncate", ["-s", `${sizeMb}M`, img]);
  const r = spawnSync("mkfs.btrfs", ["-q", "-f", "-L", "zos-cache", img], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mkfs.btrfs failed: ${r.stderr}`);
  return img;
}

export async function withVm(
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
export async function bootMilestones(vm: Vm, r: ScenarioResult, prefix: string, timeoutMs: number, from = 0): Promise<number> {
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

/** Waits until every manifest process has reported `ready` (the kernel's events on the console). */
export async function waitAllReady(vm: Vm, timeoutMs: number, from = 0): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const events = kernelEventsFromConsole(vm.lines.slice(from).map((l) => l.text));
    const started = events.find((e) => e.event === "kernel-starting");
    const ready = new Set(events.filter((e) => e.event === "ready" || e.event === "restarted").map((e) => e.process));
    // on-demand processes (kernel/README.md) start at their first use, not at boot: every other one
    const onDemand = Array.isArray(started?.onDemand) ? started.onDemand.length : 0;
    if (started && typeof started.processes === "number" && ready.size >= started.processes - onDemand) return;
    if (performance.now() > deadline) throw new Error(`not every process became ready within ${timeoutMs} ms after the API answered (ready: ${[...ready].join(", ")})`);
    await new Promise((res) => setTimeout(res, 500));
  }
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
 * Ctrl-Alt-Del through the monitor: PID 1 gets SIGINT and reboots in order (stop kernel, sync, unmount,
 * reboot(2)); QEMU runs with -no-reboot, so an orderly reboot ends it with status 0.
 */
export async function orderlyReboot(vm: Vm, from: number): Promise<void> {
  await vm.monitorCommand("sendkey ctrl-alt-delete");
  const line = await vm.waitFor(/zos-boot: rebooting/, 30_000, from);
  const exit = await vm.exited;
  if (exit.code !== 0) throw new Error(`QEMU exited ${exit.code ?? exit.signal} after Ctrl-Alt-Del (expected an orderly reboot)`);
  const bad = vm.lines.slice(vm.lines.indexOf(line)).find((l) => /zos-boot: (stopping services|unmount) failed/.test(l.text));
  if (bad) throw new Error(`the reboot was not orderly: ${bad.text}`);
}

/**
 * Direct kernel boot (PVH vmlinux + raw initramfs) with a btrfs state disk: the node boots, gets its
 * address by DHCP, reaches the dev chain, counts boot #1 on the disk, gets its account funded by the
 * activation service and registers (twin + node of farm 1 appear on the chain), answers
 * zos.system.version over the host's relay to the official rmb_direct_client, reboots in order
 * (Ctrl-Alt-Del), comes back with boot #2 and the same twin (the seed is on the state disk: no second
 * twin or node) answering again.
 * The reboot is a power cycle: QEMU exits on it (-no-reboot) and a new QEMU boots the same disk, because
 * after a warm reset under TCG the kernel took ≈ 26 s (instead of ≈ 1 s) to unpack the initramfs.
 * Milestones are ms since the first QEMU started; `reboot_*` ones belong to the second QEMU.
 */
export async function directBootWithDisk(ctx: ScenarioContext): Promise<ScenarioResult> {
  const timeout = ctx.bootTimeoutMs ?? 150_000;
  const { diskNode, bootAndRegister, bootAsSameNode, joinRuns } = await import("./lib/disk-node.ts");
  const wl = await import("./lib/workloads.ts");
  // the host-side grid user is made while the node boots
  const n = await diskNode(ctx, "zt-vm-image-", { timeoutMs: timeout * 2 + 30_000 });
  let node: { nodeId: number; twinId: number } | null = null;
  let deployed: Awaited<ReturnType<typeof wl.deployStorageAndNetwork>> | null = null;
  try {
    const first = await withVm("direct-disk", ctx, n.vmOpts, async (vm, r) => {
      const since = () => Math.round(performance.now() - vm.started);
      const reg = await bootAndRegister(n, vm, r, timeout);
      node = reg;
      const next = reg.next;
      r.notes.push(`zos.system.version: ${JSON.stringify(reg.version)}`);
      // the api module answered over RMB, so every process of the node has started by now
      await waitAllReady(vm, 60_000);
      verifySandbox(ctx, vm, r, imageKernelVars({ outDir: ctx.outDir, cmdline: n.vmOpts.append!, dataDisks: ["vdb"] }));
      if (ctx.workloads === false) return await orderlyReboot(vm, next);
      // no zdb workload yet: nothing listens (the positive control is the second probe's 0-db)
      await probeListeners(vm, r, "after registration", "idle");
      // storage and networks on the image: the data disk became a pool; a zmount, a volume and a network
      // deployed over RMB by our client reach ok
      const u = await wl.nodeUser(ctx.grid.chainUrl, ctx.grid.relayUrl, (await n.user).mnemonic, reg.nodeId);
      try {
        deployed = await wl.deployStorageAndNetwork(u, { minPoolBytes: 3 * wl.GiB, timeoutMs: timeout });
        r.notes.push(...deployed.notes);
        r.notes.push((await wl.deployZdb(u, timeout)).note); // starts the 0-db server (on demand)
      } finally {
        await u.close();
      }
      r.milestones.workloads_ok = since();
      await probeListeners(vm, r, "with workloads deployed", "serving");
      await orderlyReboot(vm, next);
    });
    if (!first.ok || !node) return first;
    const { twinId, nodeId } = node as { nodeId: number; twinId: number };
    const offset = Math.round(performance.now() - n.t0);
    const second = await withVm("direct-disk-reboot", ctx, n.vmOpts, async (vm, r) => {
      const { next, version } = await bootAsSameNode(n, vm, r, twinId, 2, timeout);
      r.notes.push(`after reboot: same twin ${twinId} answers ${JSON.stringify(version)}; still one node`);
      // the pool came back from the data disk and the workloads are still ok
      if (!deployed) return await orderlyReboot(vm, next);
      const d: NonNullable<typeof deployed> = deployed;
      const u = await wl.nodeUser(ctx.grid.chainUrl, ctx.grid.relayUrl, (await n.user).mnemonic, nodeId);
      try {
        const pools = (await u.call("zos.storage.pools")) as { name: string }[];
        const want = d.pools.map((p) => p.name).sort();
        if (JSON.stringify(pools.map((p) => p.name).sort()) !== JSON.stringify(want)) {
          throw new Error(`after the reboot the pools are ${JSON.stringify(pools)}, before they were ${JSON.stringify(want)}`);
        }
        const states = { ...(await wl.workloadStates(u, d.zmount.contract)), ...(await wl.workloadStates(u, d.volume.contract)), ...(await wl.workloadStates(u, d.network.contract)) };
        if (!Object.values(states).every((st) => st === "ok")) throw new Error(`after the reboot the workloads are ${JSON.stringify(states)}`);
        r.notes.push(`after reboot: pools ${want.join(",")} back, workloads ${JSON.stringify(states)}`);
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

/**
 * No disk at all: the node still boots, and says why it will not register. Then Ctrl-Alt-Del (QEMU
 * sendkey) must reach PID 1 as SIGINT and give an orderly reboot (QEMU runs with -no-reboot, so it
 * exits 0), not the kernel's hard reset.
 */
export function noDisk(ctx: ScenarioContext, opts: { ctrlAltDel?: boolean; allReady?: boolean } = {}): Promise<ScenarioResult> {
  const timeout = ctx.bootTimeoutMs ?? 150_000;
  // waiting for every process needs the node to stay up after READY: power off through Ctrl-Alt-Del
  const cad = (opts.ctrlAltDel ?? true) || Boolean(opts.allReady);
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
    if (opts.allReady) {
      await waitAllReady(vm, timeout);
      const last = vm.lines.filter((l) => /zos-kernel: \{.*"event":"(ready|restarted)"/.test(l.text)).at(-1);
      if (last) r.milestones.all_ready = Math.round(last.t);
    }
    r.events = kernelEventsFromConsole(vm.lines.map((l) => l.text));
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
  const initrd = netbootInitrd(outDir);
  const files: Record<string, string> = { "/bzImage": "bzImage", [`/${initrd}`]: initrd };
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/boot.ipxe") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`#!ipxe\nkernel bzImage ${cmdline}\ninitrd ${initrd}\nboot\n`);
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

/** Network boot as farmers do it: QEMU's iPXE ROM fetches boot.ipxe, bzImage and the compressed initramfs over HTTP. */
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
      for (const want of ["/boot.ipxe", "/bzImage", `/${netbootInitrd(ctx.outDir)}`]) {
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
  // setpriv: the kernel starts each process through it (uid, capabilities, no_new_privs); it only execs.
  // NODE_TOOLS: the programs the drivers' manifests let them run (btrfs-progs, nft, ip, wireguard-go …).
  const tools = new Set(NODE_TOOLS.map((t) => t.slice(1)));
  const allowed = (p: string) => p === "usr/bin/deno" || p === "usr/bin/setpriv" || p === "init" || tools.has(p) || /^lib(64)?\/.*\.so(\.\d+)*$/.test(p) || /^lib\/x86_64-linux-gnu\/[^/]+\.so[.\d]*$/.test(p);
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
