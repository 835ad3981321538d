// Data disks for a node on a host (`zos dev`, startNode in tests): sparse files under the node's state dir,
// attached as loop devices by the caller (root) before the kernel starts, and handed to the block-device
// driver as its only devices. Loop devices always measure as SSD (WORKLOADS.md §1), so the last `hdd` of
// them are declared HDD to the storage module. Detach unmounts the pools on them and frees the loops; a
// second start reuses the same files (pools and data kept) and any loop still attached to them.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parentPids } from "../../capabilities/lib/proc-parents.ts";
import process from "node:process";

export interface DevDiskOptions {
  /** folder for the disk files (created) */
  dir: string;
  /** number of disks (default 2) */
  count?: number;
  /** how many of them (the last ones) are HDD (default 1) */
  hdd?: number;
  /** size of each sparse file in GiB (default 20) */
  sizeGiB?: number;
}

export interface DevDisks {
  /** /dev/loopN of each disk, in file order */
  devices: string[];
  /** kernel names ("loop7") of the ones declared HDD */
  hdd: string[];
  files: string[];
  /** unmounts whatever is mounted from these loops, then detaches them (files are kept) */
  detach(): Promise<void>;
  /** the same, synchronously, for process exit hooks (a crashed test must not leak loops) */
  detachSync(): void;
}

function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" } }, (err, out, errOut) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${String(errOut).trim() || err.message}`));
      else resolve(String(out));
    });
  });
}

export function canAttachLoops(): boolean {
  return process.getuid?.() === 0 && existsSync("/dev/loop-control");
}

/** Mount points (from /proc/self/mountinfo) whose source is `device`. */
export function mountsOf(device: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!post) continue;
    const source = post.split(" ")[1];
    if (source === device) out.push(pre.split(" ")[4].replace(/\\040/g, " "));
  }
  return out;
}

/**
 * Processes outside this mount namespace that still hold a mount of one of `devices` — any program started in a
 * fresh mount namespace (a copy of the pool mounts) that outlives the node: the loop devices under those mounts
 * cannot be detached (`losetup -d` only marks them autoclear). The node's own such namespaces (wireguard-go's,
 * the image chroots) drop the mounts they do not need first (capabilities/lib/fs/drop-mounts.ts); this is the
 * net for anything else. Only orphans
 * (reparented to PID 1) and this process's own descendants count: another node on the same host (`zos dev --nodes
 * N`, tests two at a time) whose namespaces were made while our pools were mounted holds copies too, and its live
 * wireguard-go (its netlink driver still its parent) is not ours to end.
 */
export function foreignHolders(devices: string[]): number[] {
  if (!devices.length) return [];
  const own = ownMountNs();
  const wanted = new Set(devices);
  const parent = parentPids();
  const ourTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === process.pid) return true;
    return false;
  };
  const out: number[] = [];
  for (const [pid, ppid] of parent) {
    if (!(ppid === 1 || ourTree(ppid))) continue;
    try {
      if (readlinkSync(`/proc/${pid}/ns/mnt`) === own) continue;
      const held = readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n").some((l) => wanted.has(l.split(" - ")[1]?.split(" ")[1] ?? ""));
      if (held) out.push(pid);
    } catch { /* exited meanwhile, or a kernel thread */ }
  }
  return out;
}

function ownMountNs(): string {
  try {
    return readlinkSync("/proc/self/ns/mnt");
  } catch {
    return "";
  }
}

/** SIGKILLs `pids` and waits (up to `ms`) until they are gone. */
async function killAndWait(pids: number[], ms = 3000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  const end = Date.now() + ms;
  while (pids.some(isAlive) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

function isAlive(pid: number): boolean {
  try {
    // a zombie is gone for our purpose: its mounts and namespaces were released when it exited
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** Whether `dev` (/dev/loopN) is still attached to `file` (an autoclear detach waits for the last user; then the
 * name is free for any other node on the host). */
function backedBy(dev: string, file: string): boolean {
  try {
    const backing = readFileSync(`/sys/block/${basename(dev)}/loop/backing_file`, "utf8").trim();
    return backing === resolve(file);
  } catch {
    return false;
  }
}

async function attached(file: string): Promise<string | null> {
  const out = await sh("losetup", ["-j", file]);
  const m = /^(\/dev\/loop\d+):/m.exec(out);
  return m ? m[1] : null;
}

export async function attachDevDisks(o: DevDiskOptions): Promise<DevDisks> {
  const count = o.count ?? 2;
  const hdd = o.hdd ?? 1;
  const size = Math.round((o.sizeGiB ?? 20) * 1024 ** 3);
  if (!Number.isInteger(count) || count < 0 || count > 16) throw new Error(`disk count must be 0-16, got ${count}`);
  if (!Number.isInteger(hdd) || hdd < 0 || hdd > count) throw new Error(`HDD count must be 0-${count}, got ${hdd}`);
  if (!(size >= 1024 ** 3)) throw new Error(`disk size must be at least 1 GiB, got ${o.sizeGiB}`);
  mkdirSync(o.dir, { recursive: true, mode: 0o711 });
  chmodSync(o.dir, 0o711);
  const devices: string[] = [];
  const files: string[] = [];
  // Device names are reused: once our loop is gone (autoclear, or detached by a previous call) another node on this
  // host may attach the same /dev/loopN, so every step first checks the device is still backed by our file.
  const ours = () => devices.filter((dev, i) => backedBy(dev, files[i]));
  const detach = async () => {
    await killAndWait(foreignHolders(ours()));
    for (const dev of ours()) {
      for (const m of mountsOf(dev).reverse()) await sh("umount", [m]).catch(() => sh("umount", ["-l", m]).catch(() => {}));
      await sh("losetup", ["-d", dev]).catch(() => {});
    }
    // a busy loop is only marked autoclear: it goes once its last mount is released — the lazily unmounted pools
    // finish their last commit first (with 10,000 vdisks on them that took more than 3 s on the busy machine)
    const end = Date.now() + 30_000;
    while (ours().length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const left = ours();
    if (left.length) throw new Error(`loop devices still attached after the node stopped: ${left.join(", ")} (something outside the node holds a mount of them)`);
  };
  try {
    for (let i = 0; i < count; i++) {
      const file = join(o.dir, `disk${i}.img`);
      files.push(file);
      if (!existsSync(file) || statSync(file).size < size) await sh("truncate", ["-s", String(size), file]);
      // mkfs.btrfs follows a loop device to its backing file (mount check): group disk may read it
      await sh("chgrp", ["disk", file]);
      await sh("chmod", ["0640", file]);
      const dev = (await attached(file)) ?? (await sh("losetup", ["--find", "--show", file])).trim();
      devices.push(dev);
      // the blockdev driver runs under its own uid with group disk (no udev here: nodes come root 0600)
      await sh("chgrp", ["disk", dev]);
      await sh("chmod", ["0660", dev]);
    }
  } catch (e) {
    await detach();
    throw e;
  }
  const detachSync = () => {
    const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
    const mine = ours();
    for (const pid of foreignHolders(mine)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    for (const dev of mine) {
      for (const m of mountsOf(dev).reverse()) spawnSync("umount", ["-l", m], { env });
      spawnSync("losetup", ["-d", dev], { env });
    }
  };
  return { devices, hdd: devices.slice(count - hdd).map((d) => basename(d)), files, detach, detachSync };
}

/**
 * Frees what a node whose state dir is `dir` may have left after a kill -9 (no detach ran): every mount below
 * `dir` (pools, namespace pins) and every loop device whose backing file lies below it. Touches nothing else:
 * both are matched by path under `dir`. Synchronous, for exit hooks and test cleanup; a no-op when not root.
 */
export function releaseUnder(dir: string): { unmounted: string[]; detached: string[] } {
  const done = { unmounted: [] as string[], detached: [] as string[] };
  if (process.getuid?.() !== 0) return done;
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n")
    .map((l) => l.split(" ")[4]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && m.startsWith(prefix));
  // deepest first, so a mount inside another comes off before its parent
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    if (spawnSync("umount", ["-l", m], { env }).status === 0) done.unmounted.push(m);
  }
  let loops: string[] = [];
  try {
    loops = readdirSync("/sys/block").filter((n) => /^loop\d+$/.test(n));
  } catch { /* no sysfs: nothing to find */ }
  for (const n of loops) {
    let backing = "";
    try {
      backing = readFileSync(`/sys/block/${n}/loop/backing_file`, "utf8").trim();
    } catch {
      continue; // not attached
    }
    if (!backing.startsWith(prefix)) continue;
    if (spawnSync("losetup", ["-d", `/dev/${n}`], { env }).status === 0) done.detached.push(`/dev/${n}`);
  }
  return done;
}

/** Unmounts (lazily, deepest first) everything mounted below `dir` in this mount namespace. */
export function unmountBelow(dir: string): void {
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]).filter((p): p is string => !!p).map(unescape);
  for (const p of [...new Set(points.filter((x) => x.startsWith(dir + "/")))].sort((a, b) => b.split("/").length - a.split("/").length || b.localeCompare(a))) {
    try {
      execFileSync("umount", ["-l", p], { stdio: "ignore" });
    } catch { /* gone meanwhile */ }
  }
}
