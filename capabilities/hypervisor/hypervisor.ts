// The hypervisor: starts, stops and watches QEMU processes, one folder per VM under `<state>/vms/<id>`
// (vm.json, qmp.sock, qemu.pid, console.log, seed.vfat). A VM that dies without being asked is restarted
// with backoff; the 4th death within 2 minutes marks it failed with the reason (Zero-OS vmd's rule).
// QEMU runs in its own session, so it outlives this driver: after a restart the driver adopts every VM
// whose pidfile names a live QEMU with that VM's name in its argv (and reconnects QMP) instead of
// starting a duplicate. QEMU runs with no Linux capabilities (setpriv) and QEMU's seccomp sandbox.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, fsyncSync, writeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, linkSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { writeFileAtomic } from "../lib/fs/atomic.ts";
import { type Accel, guestName, qemuArgs, vmFiles } from "./cmdline.ts";
import { Qmp } from "./qmp.ts";
import { buildSeed } from "./seed.ts";
import { closeFd, inNamespace, killPid, openTap, procCmdline } from "./sys.ts";
import type { VmSpec } from "./spec.ts";

export type VmState = "starting" | "running" | "paused" | "restarting" | "failed" | "stopped";

export interface HypervisorOptions {
  stateDir: string;
  qemu?: string;
  /** the command that runs QEMU (default `[qemu]`); the node's image fetches it as a pinned extension (qemu-extension.ts) */
  qemuCommand?: () => Promise<string[]>;
  accel?: Accel;
  /** the network namespace file where the NR bridges and VM taps are (the node's host side): each tap is opened there and handed to QEMU; "" = ours */
  netns?: string;
  /** the TUN device node the driver opens VM taps through (its own where /dev/net/tun is root-only); "" = /dev/net/tun */
  tun?: string;
  /** backoff before each restart, the last repeats */
  restartDelaysMs?: number[];
  crashLimit?: number;
  crashWindowMs?: number;
  /** how long a guest gets to power off before QEMU is told to quit */
  stopGraceMs?: number;
  /** where NR namespaces are pinned (zlogs streamers run in the VM's NR); "" = the netns file's folder */
  nsDir?: string;
  log?: (line: string) => void;
}

export interface VmInfo {
  id: string;
  owner: number;
  grantee: string;
  state: VmState;
  reason: string;
  pid: number;
  restarts: number;
  cpu: number;
  memory: number;
  consoleBytes: number;
}

interface Stream {
  url: string;
  /** the NR namespace the streamer runs in ("" = the driver's own) */
  netns: string;
  pid: number;
}

interface Record {
  spec: VmSpec;
  streams?: Stream[];
  grantee: string;
  desired: "running" | "paused";
  failed: string;
  crashes: number[];
  restarts: number;
}

interface Vm {
  rec: Record;
  state: VmState;
  pid: number;
  child: ChildProcess | null;
  qmp: Qmp | null;
  stopping: boolean;
  watch: ReturnType<typeof setInterval> | null;
  restart: ReturnType<typeof setTimeout> | null;
  lastExit: string;
}

const ZLOGS_SCRIPT = new URL("./zlogs-stream.ts", import.meta.url).pathname;
const ZLOGS = ZLOGS_SCRIPT;

/** A zlogs output URL as Zero-OS accepts it: redis, ws or wss, with a host. */
export function zlogsTarget(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid: zlogs: output "${url}" is not a URL`);
  }
  if (!["redis:", "ws:", "wss:"].includes(u.protocol)) throw new Error(`invalid: zlogs: output scheme ${u.protocol} is not supported (redis, ws, wss)`);
  if (!u.hostname || /[,\s]/.test(u.hostname)) throw new Error(`invalid: zlogs: output "${url}" has no usable host`);
  return u.toString();
}
const SETPRIV = "/usr/bin/setpriv";

export function pidAlive(pid: number, name: string): boolean {
  if (!pid) return false;
  let argv: string;
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch (e) {
    if ((e as Error).name !== "NotCapable") return false;
    // Deno reads /proc/<pid>/ only with --allow-all: the driver reads it through libc (sys.ts)
    argv = procCmdline(pid);
  }
  // a zombie has an empty cmdline; argv is NUL-separated
  return argv.split("\0").includes(name);
}

/** Copies a VM image onto a disk whose first MiB is blank (Zero-OS writes the image once, then the disk is the VM's). */
export function writeImage(image: string, disk: string): boolean {
  const head = new Uint8Array(1 << 20);
  const fd = openSync(disk, "r+");
  try {
    const n = readSync(fd, head, 0, head.length, 0);
    if (head.subarray(0, n).some((b) => b !== 0)) return false;
    const size = statSync(image).size;
    if (size > statSync(disk).size) throw new Error(`failed: the image (${size} bytes) is larger than the disk (${statSync(disk).size} bytes); make the zmount bigger`);
    const src = openSync(image, "r");
    try {
      const buf = new Uint8Array(4 << 20);
      for (let pos = 0; pos < size;) {
        const r = readSync(src, buf, 0, buf.length, pos);
        if (r <= 0) break;
        writeSync(fd, buf, 0, r, pos);
        pos += r;
      }
    } finally {
      closeSync(src);
    }
    fsyncSync(fd);
    return true;
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Hypervisor {
  readonly #o: Required<HypervisorOptions>;
  readonly #vms = new Map<string, Vm>();
  readonly #root: string;
  /** connects through the QMP alias one at a time (#viaAlias) */
  #aliasTurn: Promise<void> = Promise.resolve();

  constructor(o: HypervisorOptions) {
    this.#o = {
      qemu: "/usr/bin/qemu-system-x86_64",
      qemuCommand: () => Promise.resolve([o.qemu ?? "/usr/bin/qemu-system-x86_64"]),
      accel: { kind: "tcg" },
      netns: "",
      tun: "",
      nsDir: o.netns ? dirname(o.netns) : "",
      restartDelaysMs: [1000, 2000, 4000, 8000],
      crashLimit: 4,
      crashWindowMs: 120_000,
      stopGraceMs: 5000,
      log: () => {},
      ...o,
    };
    this.#root = join(o.stateDir, "vms");
    mkdirSync(this.#root, { recursive: true, mode: 0o700 });
  }

  /** The uid QEMU runs under (taps are made for it): this driver's, read from the folder it just created,
   * since asking the runtime would need another Deno permission (--allow-sys=uid). */
  uid(): number {
    return statSync(this.#root).uid;
  }

  /** Adopts the VMs a previous run left (QEMU still running) and restarts those that died meanwhile. */
  async open(): Promise<void> {
    for (const id of readdirSync(this.#root)) {
      const f = join(this.#root, id, "vm.json");
      if (!existsSync(f)) {
        rmSync(join(this.#root, id), { recursive: true, force: true }); // a create that never finished
        continue;
      }
      const rec = JSON.parse(readFileSync(f, "utf8")) as Record;
      const vm: Vm = { rec, state: rec.failed ? "failed" : "starting", pid: 0, child: null, qmp: null, stopping: false, watch: null, restart: null, lastExit: "" };
      this.#vms.set(id, vm);
      for (const st of rec.streams ?? []) {
        if (pidAlive(st.pid, ZLOGS)) this.#kill(st.pid); // a previous driver's streamer: replaced below
        st.pid = 0;
        this.#startStream(vm, st);
      }
      if (rec.failed) continue;
      const files = vmFiles(join(this.#root, id));
      const pid = Number(existsSync(files.pidfile) ? readFileSync(files.pidfile, "utf8").trim() : 0);
      if (pidAlive(pid, guestName(id))) {
        vm.pid = pid;
        try {
          vm.qmp = await this.#connectQmp(vm);
          const st = (await vm.qmp.execute("query-status")) as { status: string };
          vm.state = st.status === "paused" ? "paused" : "running";
          this.#watch(vm);
          this.#o.log(`hypervisor: adopted ${id} (QEMU pid ${pid}, ${vm.state})`);
          continue;
        } catch (e) {
          // a QEMU we cannot control is not ours to keep: stop it and start a fresh one
          this.#o.log(`hypervisor: ${id}: QEMU pid ${pid} does not answer QMP (${(e as Error).message}); restarting it`);
          this.#kill(pid);
        }
      }
      // after a power cut its taps come back only with the network's replay: the failed start leaves it
      // stopped, and the zmachine manager's create (same spec) starts it then
      await this.#start(vm).catch((e) => this.#o.log(`hypervisor: ${id}: start after adoption failed: ${(e as Error).message}`));
    }
  }

  /** Starts a VM; the same request again answers its info (idempotent), another spec restarts it with that spec. */
  async create(spec: VmSpec, grantee: string): Promise<VmInfo> {
    const have = this.#vms.get(spec.id);
    if (have && have.rec.grantee !== grantee) throw new Error(`denied: vm "${spec.id}" belongs to another grant`);
    if (have && JSON.stringify(have.rec.spec) === JSON.stringify(spec)) {
      // its last start failed (after adoption its taps may not have been there yet): start it as it is, disks kept
      if (have.state === "stopped") {
        await this.#start(have);
        return this.#info(have);
      }
      if (have.state !== "failed") return this.#info(have);
    }
    if (have) await this.#stopVm(have);
    const dir = join(this.#root, spec.id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (spec.image) writeImage(spec.image, spec.disks[0].path);
    if (spec.seed) buildSeed(dir, spec.id, spec.seed);
    else rmSync(join(dir, "seed.vfat"), { force: true });
    const vm: Vm = {
      rec: { spec, grantee, desired: "running", failed: "", crashes: [], restarts: 0 },
      state: "starting", pid: 0, child: null, qmp: null, stopping: false, watch: null, restart: null, lastExit: "",
    };
    this.#save(vm);
    this.#vms.set(spec.id, vm);
    await this.#start(vm);
    return this.#info(vm);
  }

  /** Stops QEMU (power button, then quit, then SIGKILL) and removes the VM's folder. */
  async destroy(id: string, grantee: string): Promise<boolean> {
    const vm = this.#vms.get(id);
    if (!vm || vm.rec.grantee !== grantee) return false;
    for (const st of vm.rec.streams ?? []) this.#stopStream(st);
    await this.#stopVm(vm);
    this.#vms.delete(id);
    rmSync(join(this.#root, id), { recursive: true, force: true });
    return true;
  }

  async pause(id: string, grantee: string): Promise<VmInfo> {
    const vm = this.#mine(id, grantee);
    if (!vm.qmp) throw new Error(`failed: vm "${id}" is ${vm.state}, not running`);
    await vm.qmp.execute("stop");
    vm.state = "paused";
    vm.rec.desired = "paused";
    this.#save(vm);
    return this.#info(vm);
  }

  async resume(id: string, grantee: string): Promise<VmInfo> {
    const vm = this.#mine(id, grantee);
    if (!vm.qmp) throw new Error(`failed: vm "${id}" is ${vm.state}, not running`);
    await vm.qmp.execute("cont");
    vm.state = "running";
    vm.rec.desired = "running";
    this.#save(vm);
    return this.#info(vm);
  }

  info(id: string, grantee: string): VmInfo | null {
    const vm = this.#vms.get(id);
    return vm && vm.rec.grantee === grantee ? this.#info(vm) : null;
  }

  list(grantee: string): VmInfo[] {
    return [...this.#vms.values()].filter((v) => v.rec.grantee === grantee).map((v) => this.#info(v));
  }

  /** Console bytes from `offset` (at most `max`); `next` is the offset to ask for next. */
  console(id: string, grantee: string, offset: number, max: number): { data: Uint8Array; next: number } {
    const vm = this.#mine(id, grantee);
    const path = vmFiles(join(this.#root, vm.rec.spec.id)).console;
    if (!existsSync(path)) return { data: new Uint8Array(), next: 0 };
    const size = statSync(path).size;
    const from = Math.min(Math.max(0, offset), size);
    const n = Math.min(size - from, Math.max(0, Math.min(max, 1 << 20)));
    const buf = new Uint8Array(n);
    const fd = openSync(path, "r");
    try {
      let got = 0;
      while (got < n) {
        const r = readSync(fd, buf, got, n - got, from + got);
        if (r <= 0) break;
        got += r;
      }
      return { data: buf.subarray(0, got), next: from + got };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * zlogs: streams the VM's console to `url` (redis://, ws://, wss://) from inside the NR namespace `netns`
   * (a name under the pin folder, e.g. "n-<netid>"). Idempotent per url.
   */
  stream(id: string, grantee: string, url: string, netns: string): void {
    const vm = this.#mine(id, grantee);
    const t = zlogsTarget(url);
    if (netns && (!/^n-[A-Za-z0-9]{1,13}$/.test(netns) || !this.#o.nsDir || !existsSync(join(this.#o.nsDir, netns)))) {
      throw new Error(`invalid: zlogs: network namespace "${netns}" does not exist on this node`);
    }
    const streams = vm.rec.streams ??= [];
    const have = streams.find((x) => x.url === t);
    if (have && have.netns === netns && pidAlive(have.pid, ZLOGS)) return;
    if (have) this.#stopStream(have);
    const st: Stream = have ?? { url: t, netns, pid: 0 };
    st.netns = netns;
    if (!have) streams.push(st);
    this.#startStream(vm, st);
  }

  unstream(id: string, grantee: string, url: string): boolean {
    const vm = this.#mine(id, grantee);
    const streams = vm.rec.streams ?? [];
    const t = zlogsTarget(url);
    const i = streams.findIndex((x) => x.url === t);
    if (i < 0) return false;
    this.#stopStream(streams[i]);
    streams.splice(i, 1);
    this.#save(vm);
    return true;
  }

  #startStream(vm: Vm, st: Stream): void {
    const dir = join(this.#root, vm.rec.spec.id);
    const u = new URL(st.url);
    const port = u.port || (u.protocol === "redis:" ? "6379" : u.protocol === "wss:" ? "443" : "80");
    const denoDir = join(this.#o.stateDir, "deno");
    mkdirSync(denoDir, { recursive: true, mode: 0o700 });
    const deno = [
      process.execPath, "run", "--quiet", "--no-prompt", "--no-lock", "--no-remote", "--no-config", "--node-modules-dir=manual",
      `--allow-read=${vmFiles(dir).console}`, `--allow-net=${u.hostname.replace(/^\[|\]$/g, "")}:${port}`,
      "--deny-write", "--deny-run", "--deny-env", "--deny-sys", "--deny-ffi",
      ZLOGS_SCRIPT, vmFiles(dir).console, st.url,
    ];
    const argv = [SETPRIV, "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", ...deno];
    const errFd = openSync(join(dir, "zlogs.err"), "a");
    try {
      // started from this thread while it is in the VM's NR namespace (sys.ts): the child is born there, no nsenter
      const child = inNamespace(st.netns ? join(this.#o.nsDir, st.netns) : "", () =>
        spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", errFd], cwd: dir, env: { DENO_DIR: denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } })
      );
      st.pid = child.pid ?? 0;
      child.unref();
      child.on("error", (e) => this.#o.log(`hypervisor: zlogs for ${vm.rec.spec.id}: ${e.message}`));
    } finally {
      closeSync(errFd);
    }
    this.#save(vm);
  }

  #stopStream(st: Stream): void {
    if (pidAlive(st.pid, ZLOGS)) this.#kill(st.pid);
    st.pid = 0;
  }

  /** Stops watching without touching QEMU (the VMs keep running for the next driver to adopt). */
  detach(): void {
    for (const vm of this.#vms.values()) {
      vm.stopping = true;
      if (vm.watch) clearInterval(vm.watch);
      if (vm.restart) clearTimeout(vm.restart);
      vm.qmp?.close();
      vm.child?.unref();
    }
  }

  /**
   * Stops every VM (tests; a node shutting down for good). `graceMs` bounds the guest's ACPI power-down: the
   * kernel gives a stopping process 2 s before SIGKILL, and a QEMU still running then outlives the node.
   */
  async stopAll(graceMs = this.#o.stopGraceMs): Promise<void> {
    for (const vm of this.#vms.values()) for (const st of vm.rec.streams ?? []) this.#stopStream(st);
    await Promise.all([...this.#vms.values()].map((v) => this.#stopVm(v, graceMs, Math.min(3000, graceMs))));
  }

  #mine(id: string, grantee: string): Vm {
    const vm = this.#vms.get(id);
    if (!vm || vm.rec.grantee !== grantee) throw new Error(`not found: no vm "${id}" was created through this grant`);
    return vm;
  }

  #info(vm: Vm): VmInfo {
    const c = vmFiles(join(this.#root, vm.rec.spec.id)).console;
    return {
      id: vm.rec.spec.id,
      owner: vm.rec.spec.owner,
      grantee: vm.rec.grantee,
      state: vm.state,
      reason: vm.rec.failed,
      pid: vm.pid,
      restarts: vm.rec.restarts,
      cpu: vm.rec.spec.cpu,
      memory: vm.rec.spec.memory,
      consoleBytes: existsSync(c) ? statSync(c).size : 0,
    };
  }

  #save(vm: Vm): void {
    writeFileAtomic(join(this.#root, vm.rec.spec.id, "vm.json"), JSON.stringify(vm.rec), { mode: 0o600 });
  }

  async #start(vm: Vm): Promise<void> {
    const id = vm.rec.spec.id;
    const dir = join(this.#root, id);
    const files = vmFiles(dir);
    if (existsSync(join(dir, "seed.vfat"))) files.seed = join(dir, "seed.vfat");
    rmSync(files.qmp, { force: true });
    rmSync(files.pidfile, { force: true });
    vm.stopping = false;
    vm.state = "starting";
    const command = await this.#o.qemuCommand();
    const errFd = openSync(join(dir, "qemu.err"), "w");
    // the taps, attached here and inherited by QEMU (sys.ts): QEMU needs no shell, no mount namespace and no
    // setns; between their open and close nothing else is spawned (all synchronous on this thread)
    const tapFds: number[] = [];
    let child: ChildProcess;
    try {
      for (const n of vm.rec.spec.nics) tapFds.push(openTap(this.#o.tun || "/dev/net/tun", this.#o.netns, n.tap));
      files.tapFds = tapFds;
      // no Linux capabilities for QEMU, whatever this driver holds
      const argv = [SETPRIV, "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--", ...command, ...qemuArgs(vm.rec.spec, files, this.#o.accel)];
      child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", "ignore", errFd], cwd: dir, env: {} });
    } catch (e) {
      vm.state = "stopped"; // not running: a create with the same spec starts it again (e.g. once its taps are back)
      throw new Error(`failed: vm "${id}": ${(e as Error).message}`);
    } finally {
      closeSync(errFd);
      for (const fd of tapFds) closeFd(fd);
    }
    vm.child = child;
    vm.pid = child.pid ?? 0;
    const exited = new Promise<void>((resolve) => child.once("exit", (code, sig) => {
      vm.lastExit = sig ? `killed by ${sig}` : `exit code ${code}`;
      resolve();
      this.#check(vm);
    }));
    child.once("error", (e) => {
      vm.lastExit = e.message;
      this.#check(vm);
    });
    try {
      vm.qmp = await Promise.race([
        this.#connectQmp(vm, 20_000),
        exited.then(() => { throw new Error(`QEMU exited at start (${vm.lastExit}): ${this.#errTail(dir)}`); }),
      ]);
    } catch (e) {
      if (!vm.stopping) this.#kill(vm.pid);
      vm.state = "stopped";
      throw new Error(`failed: vm "${id}": ${(e as Error).message}`);
    }
    if (vm.rec.desired === "paused") await vm.qmp.execute("stop");
    vm.state = vm.rec.desired === "paused" ? "paused" : "running";
    this.#watch(vm);
    this.#o.log(`hypervisor: started ${id} (QEMU pid ${vm.pid})`);
  }

  /**
   * Connects through one fixed name, `<state>/qmp.sock`, a hard link to the VM's socket for the moment of
   * connect(2): Deno allows unix sockets by exact path only (`--allow-net=unix:PATH`, no folders), so the
   * manifest names that one path and connects take turns on it (a symlink would need unscoped permissions).
   */
  #viaAlias(target: string, timeoutMs: number): Promise<Qmp> {
    const alias = join(this.#o.stateDir, "qmp.sock");
    const turn = this.#aliasTurn.then(() => new Promise<void>((release) => {
      rmSync(alias, { force: true });
      linkSync(target, alias);
      const done = () => {
        rmSync(alias, { force: true });
        release();
      };
      result = Qmp.connect(alias, timeoutMs, done);
      result.catch(done);
    }));
    let result: Promise<Qmp> | undefined;
    this.#aliasTurn = turn.catch(() => {});
    return turn.then(() => result!);
  }

  async #connectQmp(vm: Vm, timeoutMs = 5000): Promise<Qmp> {
    const path = vmFiles(join(this.#root, vm.rec.spec.id)).qmp;
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const q = await this.#viaAlias(path, Math.max(1000, until - Date.now()));
        q.onEvent = (e) => {
          if (e.event === "STOP" && vm.state === "running") vm.state = "paused";
          if (e.event === "RESUME" && vm.state === "paused") vm.state = "running";
        };
        q.onClose = () => this.#check(vm);
        return q;
      } catch (e) {
        if (Date.now() > until || (vm.child && vm.child.exitCode !== null)) throw e;
        await sleep(100);
      }
    }
  }

  #watch(vm: Vm): void {
    if (vm.watch) clearInterval(vm.watch);
    vm.watch = setInterval(() => this.#check(vm), 1000);
  }

  /** Called on any sign of life lost; a dead QEMU that was not being stopped is a crash. */
  #check(vm: Vm): void {
    if (vm.stopping || vm.state === "starting" || vm.state === "restarting" || vm.state === "failed") return;
    if (pidAlive(vm.pid, guestName(vm.rec.spec.id))) return;
    if (vm.watch) clearInterval(vm.watch);
    vm.watch = null;
    vm.qmp?.close();
    vm.qmp = null;
    const now = Date.now();
    const why = vm.lastExit || `QEMU pid ${vm.pid} is gone`;
    vm.rec.crashes = [...vm.rec.crashes.filter((t) => now - t < this.#o.crashWindowMs), now];
    const tail = this.#consoleTail(vm);
    if (vm.rec.crashes.length >= this.#o.crashLimit) {
      vm.state = "failed";
      vm.rec.failed = `crashed ${vm.rec.crashes.length} times within ${this.#o.crashWindowMs / 1000} s; last: ${why}${tail ? `; console: ${tail}` : ""}`;
      this.#save(vm);
      this.#o.log(`hypervisor: ${vm.rec.spec.id} failed: ${vm.rec.failed}`);
      return;
    }
    const delays = this.#o.restartDelaysMs;
    const delay = delays[Math.min(vm.rec.crashes.length - 1, delays.length - 1)];
    vm.state = "restarting";
    vm.rec.restarts++;
    this.#save(vm);
    this.#o.log(`hypervisor: ${vm.rec.spec.id} died (${why}); restart ${vm.rec.restarts} in ${delay} ms`);
    vm.restart = setTimeout(() => {
      vm.restart = null;
      vm.lastExit = "";
      this.#start(vm).catch((e) => {
        this.#o.log(`hypervisor: ${(e as Error).message}`);
        vm.state = "running"; // let #check count this failed start as a crash
        vm.pid = 0;
        this.#check(vm);
      });
    }, delay);
  }

  async #stopVm(vm: Vm, graceMs = this.#o.stopGraceMs, quitWaitMs = 3000): Promise<void> {
    vm.stopping = true;
    if (vm.watch) clearInterval(vm.watch);
    if (vm.restart) clearTimeout(vm.restart);
    vm.watch = vm.restart = null;
    const name = guestName(vm.rec.spec.id);
    if (vm.qmp && pidAlive(vm.pid, name)) {
      try {
        if (vm.state === "paused") await vm.qmp.execute("cont");
        await vm.qmp.execute("system_powerdown");
        const until = Date.now() + graceMs;
        while (Date.now() < until && pidAlive(vm.pid, name)) await sleep(100);
        if (pidAlive(vm.pid, name)) await vm.qmp.execute("quit").catch(() => {});
      } catch {
        // QMP gone: the kill below ends it
      }
      const until = Date.now() + quitWaitMs;
      while (Date.now() < until && pidAlive(vm.pid, name)) await sleep(50);
    }
    if (pidAlive(vm.pid, name)) this.#kill(vm.pid);
    vm.qmp?.close();
    vm.qmp = null;
    vm.state = "stopped";
  }

  #kill(pid: number): void {
    try {
      process.kill(pid, "SIGKILL");
    } catch (e) {
      // Deno allows kill(2) only with unscoped --allow-run: the driver calls it through libc (sys.ts)
      if ((e as Error).name === "NotCapable") killPid(pid, 9);
    }
  }

  #errTail(dir: string): string {
    try {
      return readFileSync(join(dir, "qemu.err"), "utf8").trim().split("\n").slice(-3).join(" | ").slice(-400);
    } catch {
      return "";
    }
  }

  #consoleTail(vm: Vm): string {
    const dir = join(this.#root, vm.rec.spec.id);
    const err = this.#errTail(dir);
    if (err) return err;
    try {
      const c = readFileSync(vmFiles(dir).console, "utf8");
      return c.trim().split("\n").slice(-2).join(" | ").slice(-300);
    } catch {
      return "";
    }
  }
}
