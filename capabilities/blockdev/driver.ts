// The block-device driver's work: the node's data disks (exactly the devices given at start) become btrfs
// pools mounted under the driver's own mount root; subvolumes with qgroup limits and NOCOW preallocated
// files inside them. Callers name disks by their kernel name ("loop3"), pools by label and volumes by a
// plain name; every name is checked here, so no caller can make the driver touch another device or path.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { must, run } from "./tools.ts";
import { parseBlkidExport, parseFsUsage, parseQgroups, parseSubvolumes } from "./parse.ts";
import { VM_GID } from "../lib/linux-groups.ts";
import { joinVmGroup } from "../lib/fs/vm-group.ts";
import { chmod, chown, ENOSPC, mountBtrfs, nocowAllocate, qgroupLimit, subvolumeCreate, subvolumeDelete, syncFilesystem, SyscallError, unmount } from "./syscalls.ts";
import { measureSeekTime, type SeekTime } from "./seektime.ts";
import { writeFileAtomic } from "../lib/fs/atomic.ts";

/** Pool ids and volume names: no path separators, no dot names, bounded. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,127}$/;
/** Subvolumes the driver itself keeps at a pool root. */
const VDISKS = "vdisks";
/** zos keeps a pool's measured type at its root, so a pool keeps its type across boots */
const SEEKTIME_FILE = ".seektime";
/** btrfs gives every subvolume's root directory this inode number (BTRFS_FIRST_FREE_OBJECTID) */
const SUBVOL_ROOT_INO = 256;

export interface DiskInfo {
  disk: string;
  size: number;
  fstype: string;
  label: string;
  uuid: string;
  /** the kernel's rotational flag: a hint only (loop devices and VMs report their backing's) */
  rotational: boolean;
  /** zos's rule: measured random-read time (seektime.ts); null when the probe failed (then the flag decides) */
  seek: SeekTime | null;
}

export interface PoolUsage {
  pool: string;
  disk: string;
  size: number;
  used: number;
  free: number;
  rotational: boolean;
  seek: SeekTime | null;
}

function deny(msg: string): never {
  throw new Error(`denied: blockdev: ${msg}`);
}

function checkName(what: string, name: string): void {
  if (!NAME.test(name) || name.includes("..")) deny(`${what} ${JSON.stringify(name)} is not a valid name (letters, digits, _ . : -; at most 128)`);
}

export class BlockDevDriver {
  readonly #devices: Map<string, string>;
  readonly #mntRoot: string;
  readonly #seek = new Map<string, SeekTime | null>();
  readonly #recipients: Map<string, string>;

  /**
   * `devices`: absolute device paths (the node's data disks); `mntRoot`: where pools are mounted;
   * `recipients`: drivers that may be handed a subvolume, by name → their state folder (whose owner they run as).
   */
  constructor(devices: string[], mntRoot: string, recipients = new Map<string, string>()) {
    this.#devices = new Map(devices.map((d) => [basename(d), d]));
    this.#mntRoot = mntRoot;
    this.#recipients = recipients;
    mkdirSync(mntRoot, { recursive: true, mode: 0o711 });
  }

  #device(disk: string): string {
    const dev = this.#devices.get(disk);
    if (!dev) deny(`disk ${JSON.stringify(disk)} is not one of this node's data disks (${[...this.#devices.keys()].join(", ") || "none"})`);
    return dev;
  }

  async #probe(disk: string): Promise<DiskInfo> {
    const dev = this.#device(disk);
    const r = await run("blkid", ["-p", "-o", "export", dev]);
    if (r.code !== 0 && r.code !== 2) throw new Error(`failed: blockdev: blkid ${disk}: ${r.stderr.trim()}`);
    const b = r.code === 0 ? parseBlkidExport(r.stdout) : {};
    // lsblk reads size and rotational from sysfs (Deno itself may not read /sys or /dev without --allow-all)
    const l = (await must("lsblk", ["-b", "-d", "-n", "-o", "SIZE,ROTA", dev], `lsblk ${disk}`)).trim().split(/\s+/);
    const size = Number(l[0]);
    const label = b.LABEL ?? "";
    return { disk, size, fstype: b.TYPE ?? "", label, uuid: b.UUID ?? "", rotational: l[1] === "1", seek: this.#seekTime(disk, dev, size, label) };
  }

  /** The disk's seek time: the pool's recorded one, else measured once per start (128 reads, a few ms). */
  #seekTime(disk: string, dev: string, size: number, label: string): SeekTime | null {
    if (label && NAME.test(label) && this.#mounted(label)) {
      try {
        const rec = JSON.parse(readFileSync(join(this.#mnt(label), SEEKTIME_FILE), "utf8"));
        if ((rec.type === "ssd" || rec.type === "hdd") && Number.isFinite(rec.elapsedUs)) return { type: rec.type, elapsedUs: rec.elapsedUs };
      } catch { /* not recorded yet */ }
    }
    if (!this.#seek.has(disk)) {
      let s: SeekTime | null = null;
      try {
        s = measureSeekTime(dev, size);
      } catch (e) {
        console.error(`blockdev: seek-time probe of ${disk} failed (${(e as Error).message}); its rotational flag decides`);
      }
      this.#seek.set(disk, s);
    }
    return this.#seek.get(disk)!;
  }

  async disks(): Promise<DiskInfo[]> {
    const out: DiskInfo[] = [];
    for (const disk of this.#devices.keys()) out.push(await this.#probe(disk));
    return out;
  }

  async format(disk: string, pool: string): Promise<void> {
    checkName("pool", pool);
    const info = await this.#probe(disk);
    if (info.fstype) deny(`disk ${disk} is not empty (blkid finds ${info.fstype}${info.label ? ` labelled ${info.label}` : ""}); only empty disks become pools`);
    for (const d of await this.disks()) if (d.label === pool) deny(`a pool labelled ${pool} already exists on ${d.disk}`);
    // zos's profile: single data, metadata DUP (mkfs default); -f is safe, blkid just said the disk is empty
    await must("mkfs", ["-q", "-f", "-L", pool, this.#device(disk)], `mkfs.btrfs on ${disk}`);
  }

  /** The disk holding pool `pool` (by btrfs label); refused for a label on none of the node's disks. */
  async #diskOf(pool: string): Promise<string> {
    checkName("pool", pool);
    for (const d of await this.disks()) if (d.fstype === "btrfs" && d.label === pool) return d.disk;
    deny(`no pool ${JSON.stringify(pool)} on this node's disks`);
  }

  #mnt(pool: string): string {
    return join(this.#mntRoot, pool);
  }

  #mounted(pool: string): boolean {
    try {
      return statSync(this.#mnt(pool)).dev !== statSync(this.#mntRoot).dev;
    } catch {
      return false;
    }
  }

  /** Mounted pool's root, refused for a pool this driver has not mounted. */
  #root(pool: string): string {
    checkName("pool", pool);
    if (!this.#mounted(pool)) deny(`pool ${JSON.stringify(pool)} is not mounted (mount it first)`);
    return this.#mnt(pool);
  }

  async mount(pool: string): Promise<PoolUsage> {
    const disk = await this.#diskOf(pool);
    const mnt = this.#mnt(pool);
    if (!this.#mounted(pool)) {
      mkdirSync(mnt, { recursive: true, mode: 0o711 });
      mountBtrfs(this.#device(disk), mnt);
    }
    // a fresh filesystem's root belongs to root: take it over once, so subvolumes and vdisks can be made
    // (who we are, from the folder we created: reading our uid would need another Deno permission)
    const me = statSync(this.#mntRoot);
    if (me.uid !== 0 && statSync(mnt).uid !== me.uid) chown(mnt, me.uid, me.gid);
    // others may pass through to a volume handed to them, never list the pool's volumes
    if ((statSync(mnt).mode & 0o777) !== 0o711) chmod(mnt, 0o711);
    await must("btrfs", ["quota", "enable", mnt], `quota enable on ${pool}`);
    const seek = this.#seek.get(disk);
    const rec = join(mnt, SEEKTIME_FILE);
    if (seek) {
      try {
        statSync(rec);
      } catch {
        writeFileAtomic(rec, JSON.stringify({ device: disk, ...seek }) + "\n");
      }
    }
    return await this.usage(pool);
  }

  async unmount(pool: string): Promise<void> {
    const mnt = this.#root(pool);
    unmount(mnt);
  }

  async usage(pool: string): Promise<PoolUsage> {
    const mnt = this.#root(pool);
    const disk = await this.#diskOf(pool);
    const u = parseFsUsage(await must("btrfs", ["filesystem", "usage", "-b", mnt], `usage of ${pool}`));
    const info = await this.#probe(disk);
    return { pool, disk, size: u.size, used: u.used, free: u.free, rotational: info.rotational, seek: info.seek };
  }

  // ------------------------------------------------------------------ subvolumes

  async #subvols(mnt: string): Promise<{ id: number; name: string }[]> {
    return parseSubvolumes(await must("btrfs", ["subvolume", "list", "-o", mnt], "subvolume list"));
  }

  /** `owner`: the recipient a volume was handed to ("" = the driver's own). */
  async subvolList(pool: string): Promise<{ name: string; limit: number; used: number; owner: string }[]> {
    const mnt = this.#root(pool);
    await must("btrfs", ["filesystem", "sync", mnt], "filesystem sync");
    const q = parseQgroups(await must("btrfs", ["qgroup", "show", "-re", "--raw", mnt], "qgroup show"));
    return (await this.#subvols(mnt)).filter((s) => s.name !== VDISKS).map((s) => ({
      name: s.name,
      limit: q.get(s.id)?.limit ?? 0,
      used: q.get(s.id)?.referenced ?? 0,
      owner: this.#ownerOf(join(mnt, s.name)),
    }));
  }

  #ownerOf(path: string): string {
    try {
      const st = statSync(path);
      if ((st.mode & 0o777) !== 0o700) return "";
      for (const [name, folder] of this.#recipients) if (statSync(folder).uid === st.uid) return name;
    } catch { /* gone meanwhile, or a recipient without its folder yet */ }
    return "";
  }

  async subvolCreate(pool: string, name: string, limit: number): Promise<void> {
    const mnt = this.#root(pool);
    checkName("volume", name);
    if (name === VDISKS) deny(`"${VDISKS}" is reserved`);
    const path = join(mnt, name);
    // the two ioctls btrfs-progs makes, without its two processes (and a stat instead of a listing)
    if (!this.#isSubvolume(path)) {
      subvolumeCreate(mnt, name);
      qgroupLimit(path, limit);
      shareWithVm(path, 0o2770); // a VM's 9p share: QEMU writes it through the vm group (set-gid: new files stay in it)
      syncFilesystem(mnt); // durable before "ok": a power cut must not bring it back without its limit
      return;
    }
    // a replay after a crash between create and limit lands here: the limit is (re)applied, through the pool
    // root (the volume may have been handed to another driver, whose root this driver cannot open)
    await this.#limitById(mnt, name, limit);
    syncFilesystem(mnt);
  }

  async #limitById(mnt: string, name: string, limit: number): Promise<void> {
    const sv = (await this.#subvols(mnt)).find((s) => s.name === name);
    if (!sv) deny(`no volume ${JSON.stringify(name)} in the pool`);
    qgroupLimit(mnt, limit, sv.id);
  }

  /** Gives volume `name` to the driver `to` (a recipient from the driver's arguments): chmod 0700, chown. */
  subvolHandOver(pool: string, name: string, to: string): Promise<void> {
    const mnt = this.#root(pool);
    checkName("volume", name);
    if (name === VDISKS) deny(`"${VDISKS}" is reserved`);
    const folder = this.#recipients.get(to);
    if (!folder) deny(`${JSON.stringify(to)} may not receive volumes (recipients: ${[...this.#recipients.keys()].join(", ") || "none"})`);
    const path = join(mnt, name);
    if (!this.#isSubvolume(path)) deny(`no volume ${JSON.stringify(name)} in pool ${pool}`);
    const owner = statSync(folder);
    const st = statSync(path);
    if (st.uid === owner.uid && (st.mode & 0o777) === 0o700) return Promise.resolve(); // done before (replay)
    chmod(path, 0o700);
    chown(path, owner.uid, owner.gid);
    syncFilesystem(mnt); // the owner is how the storage module tells a zdb volume after a reboot
    return Promise.resolve();
  }

  /** Is `path` a subvolume? false when absent; refused when it is something else (never overwritten). */
  #isSubvolume(path: string): boolean {
    let st;
    try {
      st = statSync(path);
    } catch {
      return false;
    }
    if (!st.isDirectory() || st.ino !== SUBVOL_ROOT_INO) deny(`${basename(path)} exists in the pool and is not a volume`);
    return true;
  }

  async subvolLimit(pool: string, name: string, limit: number): Promise<void> {
    const mnt = this.#root(pool);
    checkName("volume", name);
    const found = (await this.subvolList(pool)).find((s) => s.name === name);
    if (!found) deny(`no volume ${JSON.stringify(name)} in pool ${pool}`);
    if (limit && limit < found.used) throw new Error(`failed: blockdev: volume ${name} uses ${found.used} bytes; cannot limit it to ${limit}`);
    await this.#limitById(mnt, name, limit);
    syncFilesystem(mnt);
  }

  async subvolDelete(pool: string, name: string): Promise<void> {
    const mnt = this.#root(pool);
    checkName("volume", name);
    if (name === VDISKS) deny(`"${VDISKS}" is reserved`);
    const sv = (await this.#subvols(mnt)).find((s) => s.name === name);
    if (!sv) return; // already gone: deletes are idempotent
    subvolumeDelete(mnt, name);
    // commit now so the space and the qgroup are released at once (WORKLOADS.md §1: else ~30 s)
    await run("btrfs", ["filesystem", "sync", mnt]);
    await run("btrfs", ["qgroup", "destroy", `0/${sv.id}`, mnt]);
  }

  // ------------------------------------------------------------------ vdisks

  /** The pool's vdisks subvolume, made on first use (a stat, not a `btrfs subvolume list`, per call). */
  #vdiskDir(pool: string): string {
    const mnt = this.#root(pool);
    const dir = join(mnt, VDISKS);
    if (!this.#isSubvolume(dir)) subvolumeCreate(mnt, VDISKS);
    // QEMU (the vm group) reaches a vdisk by its path; nobody lists them
    const st = statSync(dir);
    if (st.gid !== VM_GID || (st.mode & 0o777) !== 0o710) shareWithVm(dir, 0o710);
    return dir;
  }

  async vdiskList(pool: string): Promise<{ name: string; size: number }[]> {
    const dir = this.#vdiskDir(pool);
    return readdirSync(dir).filter((n) => NAME.test(n)).map((n) => ({ name: n, size: statSync(join(dir, n)).size }));
  }

  async vdiskCreate(pool: string, name: string, size: number): Promise<void> {
    checkName("vdisk", name);
    if (!(size > 0)) deny("a vdisk needs a size > 0");
    // create, NOCOW while empty (WORKLOADS.md §1: it only takes on an empty file; an empty leftover of a crash
    // gets it again) and preallocate: open + two ioctls + fallocate(2), no chattr/fallocate processes
    const path = join(this.#vdiskDir(pool), name);
    this.#allocate(path, name, size);
    // read-write for QEMU through the vm group (again on a replay: a crash may have come between)
    const st = statSync(path);
    if (st.gid !== VM_GID || (st.mode & 0o777) !== 0o660) shareWithVm(path, 0o660);
  }

  #allocate(path: string, name: string, size: number): void {
    try {
      nocowAllocate(path, size);
    } catch (e) {
      if (e instanceof SyscallError && e.errno === ENOSPC) throw new Error(`failed: blockdev: fallocate ${name} to ${size} bytes: no space left on the pool`);
      throw e;
    }
  }

  async vdiskResize(pool: string, name: string, size: number): Promise<void> {
    checkName("vdisk", name);
    const path = join(this.#vdiskDir(pool), name);
    let current: number;
    try {
      current = statSync(path).size;
    } catch {
      deny(`no vdisk ${JSON.stringify(name)} in pool ${pool}`);
    }
    if (size < current) throw new Error(`failed: blockdev: vdisk ${name} is ${current} bytes; shrinking a disk is not safe`);
    if (size > current) this.#allocate(path, name, size);
  }

  async vdiskDelete(pool: string, name: string): Promise<void> {
    checkName("vdisk", name);
    const dir = this.#vdiskDir(pool);
    rmSync(join(dir, name), { force: true });
    await run("btrfs", ["filesystem", "sync", this.#mnt(pool)]);
  }
}

/** Hands `path` to the vm group (the driver keeps its uid; chgrp to a group it is in needs no capability). */
function shareWithVm(path: string, mode: number): void {
  if (!joinVmGroup(path)) throw new Error(`failed: blockdev: cannot hand ${path} to the vm group (the driver is not in it: its manifest lists linux.groups)`);
  chmod(path, mode); // after chown, which clears set-gid
}
