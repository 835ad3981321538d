// The hypervisor with a real QEMU (TCG) booting the smallest Debian guest (test/guest.ts) on a real tap in a
// `zt-` namespace: boot → the guest answers ping on its seed's address; QMP pause/resume; kill -9 of QEMU →
// restarted; the driver as a real process killed with -9 → QEMU survives and is adopted, not duplicated; kill -9 four times
// in the window → failed with the reason; destroy → QEMU gone, folder removed. One VM, about a minute
// under TCG on a busy machine. Root (namespaces, taps); every QEMU killed by PID and the namespace removed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { Buffer } from "node:buffer";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { tempDir } from "../../tools/test-tmp.ts";
import { macFor, tapName } from "../lib/vm-names.ts";
import { guestName } from "./cmdline.ts";
import { Hypervisor, pidAlive } from "./hypervisor.ts";
import { parseSpec, type Scope } from "./spec.ts";
import { buildGuest, GUEST_CMDLINE } from "./test/guest.ts";
import { rootOnly } from "../../tools/test-env.ts";

const root = rootOnly("the hypervisor driver (namespaces, taps, QEMU)");
const HERE = new URL(".", import.meta.url).pathname;
const NS = `zt-vm-${process.pid}`;
const ID = "7-1-vmtest";
const TAP = tapName("t-", ID, 0);
const MAC = macFor(TAP);

let dir = "";
let scope: Scope;
let hv: Hypervisor | null = null;
const started = new Set<number>();

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function ping(addr: string, tries = 1): boolean {
  for (let i = 0; i < tries; i++) {
    if (spawnSync("ip", ["netns", "exec", NS, "ping", "-c1", "-W1", addr]).status === 0) return true;
  }
  return false;
}

async function until(what: string, fn: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function qemuCount(): number {
  const out = spawnSync("pgrep", ["-f", guestName(ID)], { encoding: "utf8" }).stdout.trim();
  return out ? out.split("\n").length : 0;
}

function open(): Hypervisor {
  const h = new Hypervisor({ stateDir: join(dir, "hv"), netns: `/run/netns/${NS}`, restartDelaysMs: [300], stopGraceMs: 1500 });
  return h;
}

test.before(() => {
  if (!root) return;
  dir = tempDir("zt-vm-hv-");
  const g = buildGuest();
  // the guest's files sit under a root the grant lists, as a flist's kernel would
  mkdirSync(join(dir, "flist"), { recursive: true });
  mkdirSync(join(dir, "pools", "p1"), { recursive: true });
  copyFileSync(g.kernel, join(dir, "flist", "vmlinux"));
  copyFileSync(g.initrd, join(dir, "flist", "initrd"));
  scope = { roots: new Map([["pools", join(dir, "pools")], ["flist", join(dir, "flist")]]), tapPrefix: "t-", owners: null };
  ip("netns", "add", NS);
  ip("-n", NS, "link", "add", "zt-br0", "type", "bridge");
  ip("-n", NS, "addr", "add", "10.77.0.1/24", "dev", "zt-br0");
  ip("-n", NS, "link", "set", "zt-br0", "up");
  // the network module's side: a persistent tap owned by the driver's uid (here root), on the bridge
  ip("-n", NS, "tuntap", "add", "name", TAP, "mode", "tap", "user", String(process.getuid!()));
  ip("-n", NS, "link", "set", TAP, "master", "zt-br0", "up");
});

test.after(async () => {
  if (!root) return;
  await hv?.stopAll().catch(() => {});
  for (const pid of started) if (pidAlive(pid, guestName(ID))) process.kill(pid, "SIGKILL");
  spawnSync("ip", ["netns", "del", NS]);
});

function request(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: ID, owner: 7, cpu: 1, memory: 256 * 1024 * 1024,
    kernel: join(dir, "flist", "vmlinux"), initrd: join(dir, "flist", "initrd"), cmdline: GUEST_CMDLINE,
    nics: [{ tap: TAP, mac: MAC }],
    seed: { hostname: "vmtest", network: [{ mac: MAC, addresses: ["10.77.0.5/24"], gateway4: "10.77.0.1" }], marker: "zt-seed-ok" },
    ...extra,
  });
}

test("boot from a typed request: the guest reads its seed and answers ping; pause/resume over QMP", async () => {
  if (!root) return console.log("skipped: needs root (namespaces, taps)");
  hv = open();
  await hv.open();
  const info = await hv.create(parseSpec(request(), scope), "provision");
  started.add(info.pid);
  assert.is(info.state, "running");
  assert.ok(pidAlive(info.pid, guestName(ID)));
  const consoleText = () => new TextDecoder().decode(hv!.console(ID, "provision", 0, 1 << 20).data);
  await until("the guest's ready line", () => consoleText().includes("zt-guest: ready"), 120_000);
  assert.match(consoleText(), `eth0 ${MAC} 10.77.0.5/24 via 10.77.0.1`);
  assert.match(consoleText(), "zt-guest: user-data zt-seed-ok");
  assert.ok(ping("10.77.0.5", 20), "the guest answers ping from the bridge");

  // the same request again is a no-op (a replayed job), another grantee does not see the VM
  const again = await hv.create(parseSpec(request(), scope), "provision");
  assert.is(again.pid, info.pid);
  assert.is(hv.info(ID, "someone-else"), null);
  assert.is(await hv.destroy(ID, "someone-else"), false);
  try {
    await hv.create(parseSpec(request(), scope), "someone-else");
    assert.unreachable("another grant took over the id");
  } catch (e) {
    assert.match((e as Error).message, /belongs to another grant/);
  }

  assert.is((await hv.pause(ID, "provision")).state, "paused");
  assert.not.ok(ping("10.77.0.5", 2), "a paused guest does not answer");
  assert.is((await hv.resume(ID, "provision")).state, "running");
  assert.ok(ping("10.77.0.5", 10), "it answers again after resume");
});

test("kill -9 of QEMU → restarted; kill -9 of the driver process → the next one adopts QEMU, no duplicate", async () => {
  if (!root) return;
  const before = hv!.info(ID, "provision")!;
  process.kill(before.pid, "SIGKILL");
  await until("a new QEMU", () => {
    const i = hv!.info(ID, "provision")!;
    return i.state === "running" && i.pid !== before.pid;
  }, 30_000);
  const after = hv!.info(ID, "provision")!;
  started.add(after.pid);
  assert.is(after.restarts, 1);

  // the driver as a real process: it adopts the VM, is killed with -9, QEMU (its own session) survives
  hv!.detach();
  const child = spawn(process.execPath, ["run", "-A", "--no-lock", join(HERE, "test", "driver-child.ts"), join(dir, "hv"), `/run/netns/${NS}`], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]);
    });
    child.once("exit", () => reject(new Error("the driver process exited before adopting")));
  });
  const seen = JSON.parse(line) as { pid: number; state: string }[];
  assert.is(seen[0].pid, after.pid, "the driver process adopted the running QEMU");
  process.kill(child.pid!, "SIGKILL");
  await new Promise((r) => child.once("exit", r));
  assert.ok(pidAlive(after.pid, guestName(ID)), "QEMU outlives its driver's kill -9");
  hv = open();
  await hv.open();
  const adopted = hv.info(ID, "provision")!;
  assert.is(adopted.pid, after.pid, "the running QEMU is adopted");
  assert.is(adopted.state, "running");
  assert.is(qemuCount(), 1, "no duplicate QEMU");
  assert.is(adopted.restarts, 1, "restart count survives the driver");
  // QMP works on the adopted VM
  assert.is((await hv.pause(ID, "provision")).state, "paused");
  assert.is((await hv.resume(ID, "provision")).state, "running");
});

test("crashing 4 times within the window → failed with the reason; destroy cleans up", async () => {
  if (!root) return;
  for (let i = 0; i < 3; i++) {
    const cur = hv!.info(ID, "provision")!;
    if (cur.state === "failed") break;
    process.kill(cur.pid, "SIGKILL");
    await until(`crash ${i + 2} handled`, () => {
      const x = hv!.info(ID, "provision")!;
      return x.state === "failed" || (x.state === "running" && x.pid !== cur.pid);
    }, 30_000);
    started.add(hv!.info(ID, "provision")!.pid);
  }
  const failed = hv!.info(ID, "provision")!;
  assert.is(failed.state, "failed");
  assert.match(failed.reason, /^crashed 4 times within 120 s; last: (killed by SIGKILL|QEMU pid \d+ is gone)/, failed.reason);
  assert.is(qemuCount(), 0);
  const vmDir = join(dir, "hv", "vms", ID);
  assert.match(readFileSync(join(vmDir, "vm.json"), "utf8"), /crashed 4 times/, "failure is durable");
  assert.ok(await hv!.destroy(ID, "provision"));
  assert.not.ok(existsSync(vmDir));
});

test.run();
