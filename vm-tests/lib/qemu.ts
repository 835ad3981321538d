// Boots an image in QEMU for a test: KVM only where kvm_intel/kvm_amd is loaded (TCG otherwise — on
// these machines /dev/kvm is nested PVM and cannot run Debian's kernel), serial console captured
// line by line with arrival times, a hard timeout, QEMU killed by its PID, the serial log kept on
// failure.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const VM_LOG_DIR = join(fileURLToPath(new URL(".", import.meta.url)), "..", "out");

export function accelerator(): { accel: string[]; name: "kvm" | "tcg" } {
  const kvm = existsSync("/dev/kvm") && (existsSync("/sys/module/kvm_intel") || existsSync("/sys/module/kvm_amd"));
  return kvm ? { accel: ["-accel", "kvm", "-cpu", "host"], name: "kvm" } : { accel: ["-accel", "tcg", "-cpu", "max"], name: "tcg" };
}

export interface SerialLine {
  /** ms since QEMU was spawned */
  t: number;
  text: string;
}

export interface VmOptions {
  name: string;
  /** Direct boot: kernel (vmlinux or bzImage) + initrd + command line. */
  kernel?: string;
  initrd?: string;
  append?: string;
  /** Extra QEMU arguments (network, disks, boot order). */
  extra?: string[];
  memoryMb?: number;
  /** Virtual CPUs (default 1; ZOS_VM_SMP overrides for benchmarks). */
  smp?: number;
  /** Hard limit for the whole run; QEMU is killed when it passes. */
  timeoutMs: number;
  /** Reboots restart the guest inside the same QEMU unless this is set (then a reboot exits QEMU). */
  noReboot?: boolean;
  /** Open QEMU's human monitor on a unix socket in a private temp folder (for sendkey, system_reset). */
  monitor?: boolean;
}

export class Vm {
  readonly lines: SerialLine[] = [];
  readonly started = performance.now();
  readonly exited: Promise<{ code: number | null; signal: string | null; timedOut: boolean }>;
  readonly logFile: string;
  readonly pid: number;
  readonly name: string;
  private readonly child: ChildProcess;
  private partial = "";
  private waiters: { re: RegExp; from: number; resolve: (l: SerialLine) => void }[] = [];
  private timedOut = false;
  private done = false;
  private readonly monitorDir: string | null;

  constructor(o: VmOptions) {
    const { accel } = accelerator();
    this.name = o.name;
    this.monitorDir = o.monitor ? mkdtempSync(join(tmpdir(), "zt-qemu-")) : null;
    const monitor = this.monitorDir ? `unix:${join(this.monitorDir, "monitor.sock")},server=on,wait=off` : "none";
    const args = [
      ...accel, "-m", String(o.memoryMb ?? (Number(process.env.ZOS_VM_MEM_MB) || 1024)), "-smp", String(o.smp ?? (Number(process.env.ZOS_VM_SMP) || 1)), "-display", "none", "-monitor", monitor,
      "-serial", "stdio", "-nodefaults", "-no-user-config",
      ...(o.noReboot ? ["-no-reboot"] : []),
      ...(o.kernel ? ["-kernel", o.kernel] : []),
      ...(o.initrd ? ["-initrd", o.initrd] : []),
      ...(o.append !== undefined ? ["-append", o.append] : []),
      ...(o.extra ?? []),
    ];
    mkdirSync(VM_LOG_DIR, { recursive: true });
    this.logFile = join(VM_LOG_DIR, `${o.name}-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
    this.child = spawn("qemu-system-x86_64", args, { stdio: ["pipe", "pipe", "pipe"] });
    if (!this.child.pid) throw new Error("qemu-system-x86_64 did not start (is qemu-system-x86 installed?)");
    this.pid = this.child.pid;
    this.lines.push({ t: 0, text: `# qemu-system-x86_64 ${args.join(" ")}` });
    const onData = (d: Buffer) => this.feed(d.toString("utf8"));
    this.child.stdout!.on("data", onData);
    this.child.stderr!.on("data", (d: Buffer) => this.feed(d.toString("utf8").split("\n").map((l) => (l ? `# qemu: ${l}` : l)).join("\n")));
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.kill();
    }, o.timeoutMs);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        clearTimeout(timer);
        this.done = true;
        if (this.partial) this.pushLine(this.partial);
        this.partial = "";
        resolve({ code, signal, timedOut: this.timedOut });
      });
    });
  }

  private feed(s: string): void {
    const parts = (this.partial + s.replace(/\r/g, "")).split("\n");
    this.partial = parts.pop() ?? "";
    for (const p of parts) this.pushLine(p);
  }

  private pushLine(text: string): void {
    const line = { t: performance.now() - this.started, text };
    // ZOS_VM_ECHO=1: every serial line on stderr as it arrives, prefixed with the VM's name (watching a farm boot)
    if (process.env.ZOS_VM_ECHO === "1") process.stderr.write(`[${this.name} ${(line.t / 1000).toFixed(1)}] ${text}\n`);
    this.lines.push(line);
    const idx = this.lines.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (idx >= w.from && w.re.test(text)) {
        w.resolve(line);
        return false;
      }
      return true;
    });
  }

  /** Resolves with the first serial line (at or after index `from`) matching `re`. */
  waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<SerialLine> {
    const found = this.lines.slice(from).find((l) => re.test(l.text));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${re} did not appear on the serial console within ${timeoutMs} ms (log: ${this.logFile})`)), timeoutMs);
      this.exited.then(() => {
        setTimeout(() => reject(new Error(`QEMU exited before ${re} appeared (log: ${this.logFile})`)), 10);
      });
      this.waiters.push({ re, from, resolve: (l) => {
        clearTimeout(timer);
        resolve(l);
      } });
    });
  }

  /** Sends one human-monitor command (e.g. "sendkey ctrl-alt-delete"). */
  monitorCommand(cmd: string): Promise<void> {
    if (!this.monitorDir) return Promise.reject(new Error("this VM was started without a monitor"));
    return new Promise((resolve, reject) => {
      const sock = connect(join(this.monitorDir!, "monitor.sock"));
      sock.on("error", reject);
      sock.on("connect", () => {
        sock.write(cmd + "\n");
        // Give QEMU a moment to read the command before the connection closes.
        setTimeout(() => {
          sock.end();
          resolve();
        }, 300);
      });
      sock.on("data", () => {});
    });
  }

  /**
   * Runs human-monitor commands on one connection and resolves with what QEMU printed once it prompted
   * after the last one (hostfwd_add/remove for the port probe: vm-tests/lib/port-probe.ts).
   */
  monitorBatch(commands: string[], timeoutMs = 30_000): Promise<string> {
    if (!this.monitorDir) return Promise.reject(new Error("this VM was started without a monitor"));
    return new Promise((resolve, reject) => {
      const sock = connect(join(this.monitorDir!, "monitor.sock"));
      let out = "";
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`the QEMU monitor did not finish ${commands.length} command(s) within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.on("connect", () => sock.write(commands.join("\n") + "\n"));
      sock.on("data", (d: Buffer) => {
        out += d.toString("utf8");
        // one prompt when the connection opens, then one after each command
        if ((out.match(/\(qemu\)/g) ?? []).length > commands.length) {
          clearTimeout(timer);
          sock.end();
          // the echo of each command carries terminal escapes; keep only the printable lines
          resolve(out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, ""));
        }
      });
    });
  }

  text(): string {
    return this.lines.map((l) => `[${(l.t / 1000).toFixed(3).padStart(8)}] ${l.text}`).join("\n") + "\n";
  }

  kill(): void {
    if (this.done) return;
    try {
      process.kill(this.pid, "SIGKILL");
    } catch { /* already gone */ }
  }

  /** Kills QEMU if still running, waits for it, and keeps the serial log only when `failed`. */
  async finish(failed: boolean): Promise<string | null> {
    this.kill();
    await this.exited;
    if (this.monitorDir) rmSync(this.monitorDir, { recursive: true, force: true });
    if (failed) {
      writeFileSync(this.logFile, this.text());
      return this.logFile;
    }
    rmSync(this.logFile, { force: true });
    return null;
  }
}
