// PID 1's boot sequence in the image. Each step is a traced phase:
//   mounts → cmdline → nic (drivers for network devices only) → network (zos bridge + DHCP)
//   → chain (retry until it answers) → clock (set to the chain's time, kept every minute) → storage (remaining drivers, state disk) → kernel → checks → ready
// Only runs as PID 1 (init.ts guards), because it mounts, loads modules and powers off.
import { mkdirSync, readFileSync } from "node:fs";
import { limitHugePages } from "./thp.ts";
import { type BootParams, describeParams, parseCmdline, substrateUrls } from "./cmdline.ts";
import { waitForChain } from "./chain-probe.ts";
import { describeOffset, keepClock, syncClock } from "./clock-sync.ts";
import { EBUSY, type Sys, SysError } from "./libc.ts";
import { listeningSockets } from "./listening.ts";
import { isNetworkAlias, ModuleLoader } from "./modprobe.ts";
import { type NetResult, setupNetwork } from "./net-setup.ts";
import { powerDown } from "./power.ts";
import { dataDisks, NODE_MODULES, shareDataDisks } from "./node-devices.ts";
import { countBoot, type DiskInfo, listDisks, STATE_MOUNT } from "./state-disk.ts";
import { parseUptime, Tracer, writeAtomic } from "./trace.ts";

const MS_NOSUID = 0x2, MS_NODEV = 0x4, MS_NOEXEC = 0x8, MS_RELATIME = 0x200000;

export const TRACE_FILE = "/run/zos/boot-trace.json";
export const STATUS_FILE = "/run/zos/status.json";
export const READY_LINE = "zos-boot: READY";

/** What the capability kernel gives PID 1 back: a way to stop it for an orderly power-off. */
export interface RunningKernel {
  stop(): Promise<void>;
  /** Processes that were not ready when start-up returned. */
  notReady?: string[];
}

export interface BootOptions {
  sys: Sys;
  modulesDir: string;
  /** Starts the capability kernel; absent when the image carries no kernel bundle. */
  startKernel?: (ctx: { params: BootParams; net: NetResult; stateDisk: string | null; dataDisks: DiskInfo[]; trace: Tracer }) => Promise<RunningKernel>;
  log?: (line: string) => void;
  /**
   * TCP/UDP ports a manifest process is granted to listen on (the 0-db server's, which Zero-OS serves zdb
   * namespaces on): the boot check reports them and fails only on a listener nobody declared.
   */
  declaredListeners?: { port: number; who: string }[];
}

function mountAll(sys: Sys): string[] {
  const mounts: [string, string, string, number, string?][] = [
    ["proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC],
    ["sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC],
    ["devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"],
    ["tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"],
    ["tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"],
    ["cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME],
  ];
  const done: string[] = [];
  for (const [src, target, fs, flags, data] of mounts) {
    mkdirSync(target, { recursive: true });
    try {
      sys.mount(src, target, fs, flags, data ?? "");
      done.push(target);
    } catch (err) {
      // Already mounted (the kernel mounts devtmpfs itself with CONFIG_DEVTMPFS_MOUNT) is fine.
      if (!(err instanceof SysError && err.errno === EBUSY)) throw err;
    }
  }
  return done;
}

function readUptime(): number | null {
  try {
    return parseUptime(readFileSync("/proc/uptime", "utf8"));
  } catch {
    return null;
  }
}

export async function boot(o: BootOptions): Promise<never> {
  const log = o.log ?? ((l: string) => console.log(l));
  const sys = o.sys;
  log("zos-boot: PID 1 up");
  // /proc is not mounted yet, so the tracer starts unanchored and is re-based after the mounts.
  const mounted = mountAll(sys);
  const tracer = new Tracer(readUptime(), log, TRACE_FILE);
  tracer.note(`mounted ${mounted.join(" ")}`);
  let kernel: RunningKernel | null = null;
  let stateMounted = false;
  const off = (cmd: "poweroff" | "restart") =>
    powerDown(cmd, {
      sys,
      log,
      beforeOff: async () => {
        await kernel?.stop();
      },
      umount: () => {
        if (!stateMounted) return;
        // Programs the drivers started (wireguard-go, QEMU) can outlive the kernel's stop, and pools and pinned
        // namespaces are mounted below the state disk: end every other process, then unmount deepest first.
        try {
          process.kill(-1, "SIGKILL");
        } catch (err) {
          log(`zos-boot: could not end the remaining processes: ${(err as Error).message}`);
        }
        for (const m of mountsBelow(readFileSync("/proc/self/mountinfo", "utf8"), STATE_MOUNT)) {
          try {
            sys.umount(m);
          } catch (err) {
            log(`zos-boot: unmount ${m}: ${(err as Error).message}`);
          }
        }
        sys.umount(STATE_MOUNT);
      },
    });
  // With C-A-D off, Ctrl-Alt-Del arrives as SIGINT: reboot in order instead of a hard reset.
  try {
    sys.reboot("cad-off");
  } catch (err) {
    tracer.note(`could not take over Ctrl-Alt-Del: ${(err as Error).message}`);
  }
  process.on("SIGINT", () => void off("restart"));
  process.on("SIGTERM", () => void off("poweroff"));

  const params = await tracer.phase("cmdline", () => parseCmdline(readFileSync("/proc/cmdline", "utf8")), (p) =>
    `farmer_id=${p.farmerId ?? "none"} runmode=${p.runmode} substrate=${substrateUrls(p).join(",")}`);
  for (const w of params.warnings) tracer.note(`cmdline: ${w}`);
  // before any node process starts: huge pages only where asked (kernel/pid1/thp.ts)
  tracer.note(limitHugePages(readFileSync("/proc/cmdline", "utf8")));

  const loader = new ModuleLoader(sys, o.modulesDir);
  await tracer.phase("nic", () => {
    const ins = loader.coldplug(isNetworkAlias);
    ins.push(...loader.load("bridge"));
    return ins;
  }, (ins) => `loaded ${ins.join(",") || "nothing"}`);

  let net: NetResult | null = null;
  for (let attempt = 1; !net; attempt++) {
    try {
      net = await tracer.phase("network", () => setupNetwork(sys, { hostname: "zos" }), (n) =>
        `${n.nic} in bridge zos mac ${n.mac} addr ${n.address}/${n.prefix} gw ${n.gateway ?? "none"} dhcp ${n.dhcpMs}ms`);
    } catch (err) {
      tracer.note(`network attempt ${attempt} failed: ${(err as Error).message}; retrying`);
      await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * attempt)));
    }
  }

  const chain = await tracer.phase("chain", () =>
    waitForChain(substrateUrls(params), {
      onAttempt: (url, err, n) => tracer.note(`chain attempt ${n} ${url}: ${err}`),
    }), (r) => `${r.url} answered ${r.answer} after ${r.attempts} attempt(s)`);
  // Before anything registers or signs (uptime hints, RMB envelopes, JWTs carry the time): the clock at the
  // chain's time, then kept there (a clock that jumps later is stepped back within a minute).
  const clockSync = { urls: [chain.url, ...substrateUrls(params).filter((u) => u !== chain.url)], setClock: (ms: number) => sys.setWallClock(ms) };
  try {
    await tracer.phase("clock", () => syncClock(clockSync), (r) =>
      `${r.stepped ? "stepped" : "kept"} (off by ${describeOffset(r.offsetMs)}) at the time of ${r.url}, round trip ${r.rttMs} ms`);
  } catch {
    // recorded by the tracer; the node boots on its own clock and the keeper retries every minute
  }
  keepClock({ ...clockSync, log });

  const stateDisk = await tracer.phase("storage", () => {
    const ins = loader.coldplug(() => true);
    const disks = listDisks();
    const found = disks.find((d) => d.fs !== null);
    let boots = 0;
    let usable = found;
    if (found) {
      try {
        ins.push(...loader.load(found.fs!));
        mkdirSync(STATE_MOUNT, { recursive: true });
        sys.mount(`/dev/${found.name}`, STATE_MOUNT, found.fs!, MS_NOSUID | MS_NODEV | MS_RELATIME);
        stateMounted = true;
        boots = countBoot();
      } catch (err) {
        // A disk we cannot mount must not stop the node: it boots stateless and says so.
        tracer.note(`state disk ${found.name} (${found.fs}) could not be mounted: ${(err as Error).message}`);
        usable = undefined;
      }
    }
    return { ins, disks, usable, boots };
  }, (r) => {
    const list = r.disks.map((d) => `${d.name}(${(d.sizeBytes / 2 ** 30).toFixed(1)}G,${d.fs ?? "blank"})`).join(" ") || "no disks";
    return `loaded ${r.ins.join(",") || "nothing"}; ${list}` + (r.usable ? `; state on ${r.usable.name} boot #${r.boots}` : "");
  });
  if (!stateDisk.usable) {
    tracer.note(
      stateDisk.disks.length
        ? "no disk carries a filesystem yet: state is not persistent and the node will not register until storage prepares one"
        : "no disk: the node has nowhere to keep its identity and will not register (Zero-OS: no cache disk)",
    );
  }
  // The data disks (every disk but the state disk: blank ones become pools, pools of an earlier boot are
  // mounted again) go to the block-device driver; the modules its tools and the network module's ask the
  // kernel for are loaded now, since the image has no modprobe for the kernel's request_module().
  const data = dataDisks(stateDisk.disks, stateDisk.usable?.name ?? null);
  await tracer.phase("devices", () => {
    const shared = shareDataDisks(data);
    const ins: string[] = [];
    const failed: string[] = [];
    for (const m of NODE_MODULES) {
      try {
        ins.push(...loader.load(m));
      } catch (err) {
        failed.push(`${m} (${(err as Error).message})`);
      }
    }
    return { shared, ins, failed };
  }, (r) => `data disks ${r.shared.join(",") || "none"}; loaded ${r.ins.join(",") || "nothing"}` +
    (r.failed.length ? `; could not load ${r.failed.join(", ")}` : ""));
  if (params.farmerId === null) tracer.note("no farmer_id on the kernel command line: the node is an orphan and will not register");
  const persistent = Boolean(stateDisk.usable);

  let kernelState = "absent";
  if (o.startKernel) {
    try {
      kernel = await tracer.phase("kernel", () =>
        o.startKernel!({ params, net: net!, stateDisk: persistent ? STATE_MOUNT : null, dataDisks: data, trace: tracer }), (k) =>
        k.notReady?.length ? `capability kernel started; not ready: ${k.notReady.join(", ")}` : "capability kernel started, every process ready");
      kernelState = kernel.notReady?.length ? `partial(not-ready:${kernel.notReady.join(",")})` : "ready";
    } catch (err) {
      // The node stays up (reachable for a post-mortem on the console); PID 1 must never exit.
      kernelState = "failed";
      tracer.note(`the capability kernel did not start: ${(err as Error).message.split("\n")[0]}`);
    }
  } else {
    tracer.note("this image carries no capability kernel bundle: PID 1 duties only");
  }

  const declared = o.declaredListeners ?? [];
  let declaredSeen: string[] = [];
  await tracer.phase("checks", () => {
    const all = listeningSockets();
    const who = (port: number) => declared.find((d) => d.port === port)?.who;
    const l = all.filter((s) => !who(s.port));
    declaredSeen = all.filter((s) => who(s.port)).map((s) => `${s.proto}:${s.port} (${who(s.port)})`);
    if (l.length) throw new Error(`listening sockets found: ${l.map((s) => `${s.proto}:${s.port}`).join(" ")}`);
    return l;
  }, () => declaredSeen.length ? `no listening sockets but the manifest's: ${declaredSeen.join(" ")}` : "no listening sockets")
    .catch(() => undefined);

  writeAtomic(STATUS_FILE, JSON.stringify({ params: describeParams(params), net, persistent, boots: stateDisk.boots, kernel: kernelState }, null, 2) + "\n");
  log(tracer.summary());
  log(`${READY_LINE} addr=${net!.address} boots=${stateDisk.boots} persistent=${persistent} kernel=${kernelState}`);

  // Test hook for the vm-tests (dev runmode only): reboot until the state disk has seen N boots, then power off.
  const hook = params.raw.get("zos-vmtest")?.at(-1);
  if (hook && params.runmode === "dev") {
    const m = /^cycle:(\d+)$/.exec(hook);
    if (m && stateDisk.boots < Number(m[1])) return off("restart");
    if (m || hook === "poweroff") return off("poweroff");
  }
  // PID 1 never exits; the kernel's children keep the event loop busy, this keeps it alive without them.
  setInterval(() => {}, 1 << 30);
  return new Promise<never>(() => {});
}

/** Mount points strictly below `dir` in /proc/self/mountinfo text, deepest first (the order to unmount them). */
export function mountsBelow(mountinfo: string, dir: string): string[] {
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = mountinfo.split("\n").map((l) => l.split(" ")[4]).filter((p): p is string => !!p).map(unescape);
  return [...new Set(points.filter((p) => p.startsWith(dir + "/")))].sort((a, b) => b.split("/").length - a.split("/").length || b.localeCompare(a));
}
