// The block-device driver and the storage policy on real loop devices (root): bring-up on several disks,
// a second start with the pools kept, quota exceeded (EDQUOT), a full pool, grow, delete, the no-SSD rule,
// and the driver's scoping (another device, a path, a forged pool id). Loops and mounts are removed in
// `after` even when an assertion failed.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { Buffer } from "node:buffer";
import { tempDir } from "../../../tools/test-tmp.ts";
import { BlockDevDriver } from "../../../capabilities/blockdev/driver.ts";
import { attachDevDisks, canAttachLoops, type DevDisks } from "../../node/dev-disks.ts";
import { StoragePools } from "../pools.ts";
import { classify, HDD_THRESHOLD_US } from "../../../capabilities/blockdev/seektime.ts";
import { Store } from "../../../capabilities/zdb/store.ts";
import { CommandServer } from "../../../capabilities/zdb/commands.ts";
import { needs } from "../../../tools/test-env.ts";
import { VM_GID } from "../../../capabilities/lib/linux-groups.ts";
import { canAs } from "../../../capabilities/lib/fs/test/as-uid.ts";

/** uvu has no rejects(): the promise must reject with a message matching `re` (or passing the check). */
async function rejects(p: Promise<unknown>, re: RegExp | ((e: Error) => boolean)): Promise<void> {
  try {
    await p;
  } catch (e) {
    const ok = typeof re === "function" ? re(e as Error) : re.test((e as Error).message);
    assert.ok(ok, `rejected with: ${(e as Error).message}`);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}

const t = suite("storage: blockdev driver + pool policy on real loop devices");
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
let dir = "";
let disks: DevDisks | null = null;
let other: DevDisks | null = null;
const root = () => join(dir, "blockdev", "mnt");

/** Search permission on the test's folders above the pools (the kernel gives it on `${state}`). */
function traversable(): void {
  for (const d of [dir, join(dir, "blockdev")]) chmodSync(d, 0o711);
}

/** The 0-db server's state folder: the driver hands zdb volumes to its owner. */
const zdbState = () => join(dir, "zdb");

function driver(): BlockDevDriver {
  return new BlockDevDriver(disks!.devices, root(), new Map([["zdb", zdbState()]]));
}

t.before(async () => {
  if (!canAttachLoops()) return;
  dir = tempDir("zt-storage-pools-");
  // three disks: two SSD, the last forced HDD; 2 GiB each (sparse)
  disks = await attachDevDisks({ dir: join(dir, "disks"), count: 3, hdd: 1, sizeGiB: 2 });
  other = await attachDevDisks({ dir: join(dir, "other"), count: 1, hdd: 0, sizeGiB: 1 });
  // a crash skips `after`: never leave loops or mounts behind
  process.on("exit", () => {
    disks?.detachSync();
    other?.detachSync();
  });
});

t.after(async () => {
  await disks?.detach();
  await other?.detach();
});

const skip = () => !needs("storage pools on loop devices", canAttachLoops(), "root and /dev/loop-control");

t("bring-up: every empty disk becomes a pool labelled with its id, SSD/HDD as declared, cache on an SSD", async () => {
  if (skip()) return;
  const p = new StoragePools(driver(), disks!.hdd);
  await p.bringUp();
  const list = [...p.pools.values()];
  assert.is(list.length, 3);
  assert.equal(list.map((x) => x.type).sort(), ["hdd", "ssd", "ssd"]);
  for (const x of list) {
    const label = execFileSync("blkid", ["-p", "-s", "LABEL", "-o", "value", `/dev/${x.disk}`], { encoding: "utf8" }).trim();
    assert.is(label, x.name, "btrfs label = pool id");
    assert.ok(statSync(join(root(), x.name)).dev !== statSync(root()).dev, "pool mounted");
  }
  const tot = p.totals();
  assert.is(tot.problem, "");
  assert.ok(tot.sru >= 2 * 1.9 * GiB && tot.sru <= 4 * GiB, `sru ${tot.sru}`);
  assert.ok(tot.hru > 1.9 * GiB && tot.hru <= 2 * GiB, `hru ${tot.hru}`);
  assert.ok(tot.cache && p.pools.get(tot.cache.pool)!.type === "ssd", "cache on an SSD pool");
  assert.ok(existsSync(join(root(), tot.cache!.pool, "zos-cache")));
});

t("SSD/HDD by zos's seek-time rule: the driver times random reads on each disk, the pool records it, auto mode uses it", async () => {
  if (skip()) return;
  assert.is(classify(HDD_THRESHOLD_US - 1), "ssd");
  assert.is(classify(HDD_THRESHOLD_US), "hdd", "≥ 500 µs is a spinning disk");
  const d = driver();
  const listed = await d.disks();
  for (const x of listed) {
    assert.ok(x.seek && x.seek.elapsedUs > 0, `${x.disk} measured: ${JSON.stringify(x.seek)}`);
    assert.is(x.seek!.type, classify(x.seek!.elapsedUs));
    const rec = JSON.parse(readFileSync(join(root(), x.label, ".seektime"), "utf8"));
    assert.equal({ type: rec.type, elapsedUs: rec.elapsedUs }, x.seek, "the pool keeps its measured type at its root (as zos)");
  }
  // auto: no override, the measurement decides (the rotational flag of a loop says nothing)
  const p = new StoragePools(d, null);
  await p.bringUp();
  for (const pool of p.pools.values()) assert.is(pool.type, listed.find((x) => x.disk === pool.disk)!.seek!.type);
});

t("volume: subvolume with a qgroup limit; writing past it fails with EDQUOT; resize not below used; delete frees", async () => {
  if (skip()) return;
  const p = new StoragePools(driver(), disks!.hdd);
  await p.bringUp(); // the pools exist: mounted again, nothing formatted
  const v = await p.volumeCreate("volume", "7-1-vol", 64 * MiB);
  assert.is(p.pools.get(v.pool)!.type, "ssd");
  const path = join(root(), v.pool, "7-1-vol");
  // a VM's 9p share: QEMU writes it through the vm group (set-gid: what it makes stays in the group)
  traversable();
  assert.is(statSync(path).mode & 0o7777, 0o2770);
  assert.ok(canAs(62992, [VM_GID], "create", join(path, "from-qemu")), "the vm group writes a volume");
  assert.is(statSync(join(path, "from-qemu")).gid, VM_GID);
  assert.not.ok(canAs(62992, [], "read", join(path, "from-qemu")), "a uid without the vm group cannot");
  const dd = spawnSync("dd", ["if=/dev/zero", `of=${path}/big`, "bs=1M", "count=100", "oflag=sync"], { encoding: "utf8" });
  assert.is.not(dd.status, 0);
  assert.match(dd.stderr, /Disk quota exceeded/);
  const before = p.free(v.pool);
  await rejects(p.volumeResize("7-1-vol", 16 * MiB), /cannot limit it/);
  await p.volumeResize("7-1-vol", 128 * MiB);
  assert.is(p.free(v.pool), before - 64 * MiB, "grown limit is promised on the pool");
  const dd2 = spawnSync("dd", ["if=/dev/zero", `of=${path}/more`, "bs=1M", "count=32", "oflag=sync"], { encoding: "utf8" });
  assert.is(dd2.status, 0, dd2.stderr);
  await p.volumeDelete("7-1-vol");
  assert.not.ok(existsSync(path));
  assert.is(p.free(v.pool), before + 64 * MiB, "space returned");
});

t("zdb space: a volume on the HDD pool handed to the 0-db server; its namespace is bounded by the quota; delete frees", async () => {
  if (skip()) return;
  // the 0-db server's folder, owned by a uid of its own (as the kernel makes it)
  mkdirSync(zdbState(), { mode: 0o700 });
  execFileSync("chown", ["61077:61077", zdbState()]);
  const p = new StoragePools(driver(), disks!.hdd);
  await p.bringUp();
  const hddPool = [...p.pools.values()].find((x) => x.type === "hdd")!.name;
  const before = p.free(hddPool);
  const v = await p.volumeCreate("zdb", "7-5-db", 8 * MiB);
  assert.is(p.pools.get(v.pool)!.type, "hdd", "0-db goes on HDD");
  const path = join(root(), v.pool, "7-5-db");
  const st = statSync(path);
  assert.is(st.uid, 61077, "handed to the 0-db server's uid");
  assert.is(st.mode & 0o777, 0o700, "closed to everyone else");
  assert.is(statSync(join(root(), v.pool)).mode & 0o777, 0o711, "the pool root lists nothing to others");
  assert.is((await p.volumeCreate("zdb", "7-5-db", 8 * MiB)).pool, v.pool, "a replay finds it, still handed over");
  // a 0-db store with its namespace in that volume (as the driver runs it: data root + pools mount root)
  const store = new Store(join(dir, "zdb-data"), { volumes: root() });
  const ns = store.create("7-5-db", { maxsize: BigInt(8 * MiB), password: null, public: true }, v.pool);
  assert.ok(existsSync(join(path, "zdb-namespace")), "the namespace's files are in the volume");
  const srv = new CommandServer({ store, admin: "a", protect: false });
  const session = srv.session();
  const call = (...a: string[]) => session.execute(a.map((x) => Buffer.from(x)));
  call("SELECT", "7-5-db");
  const value = "x".repeat(256 * 1024);
  let stored = 0;
  let refusal = "";
  for (let i = 0; i < 64 && !refusal; i++) {
    // overwriting one key keeps the live size small: only the volume's quota (the files) stops it
    const r = call("SET", "k", value + i);
    store.flush();
    if (r.t === "error") refusal = r.s;
    else stored++;
  }
  assert.is(refusal, "No space left on this namespace", `refused once the volume is full (after ${stored} writes)`);
  assert.ok(stored >= 20 && stored < 32, `${stored} writes of 256 KiB fit in an 8 MiB volume`);
  const nsinfo = call("NSINFO", "7-5-db");
  const info = nsinfo.t === "bulk" ? String(nsinfo.b) : JSON.stringify(nsinfo);
  const free = Number(/data_disk_freespace_bytes: (\d+)/.exec(info)?.[1] ?? -1);
  assert.ok(free >= 0 && free < 256 * 1024, `NSINFO reports the volume's free space: ${free}`);
  const used = (await p.volumeInfo("7-5-db"))!.used;
  assert.ok(used <= 8 * MiB, `the quota holds: ${used} bytes used`);
  store.close();
  const reopened = new Store(join(dir, "zdb-data"), { volumes: root() });
  assert.is(reopened.get("7-5-db")!.pool, v.pool, "a restart finds the namespace in its volume");
  assert.equal(reopened.get("7-5-db")!.entries, 1);
  reopened.remove("7-5-db");
  assert.equal(readdirSync(path), [], "removing the namespace empties the volume");
  await p.volumeDelete("7-5-db");
  assert.not.ok(existsSync(path));
  assert.is(p.free(v.pool), before, "delete frees the space");
  reopened.close();
  ns.close();
  // a node without HDD: 0-db space on SSD (Zero-OS)
  const allSsd = new StoragePools(driver(), []);
  await allSsd.bringUp();
  const z = await allSsd.volumeCreate("zdb", "7-6-z", MiB);
  assert.is(allSsd.pools.get(z.pool)!.type, "ssd");
  await allSsd.volumeDelete("7-6-z");
});

t("vdisk: NOCOW, preallocated, grows never shrinks; a pool that cannot hold it says what is free where", async () => {
  if (skip()) return;
  const p = new StoragePools(driver(), disks!.hdd);
  await p.bringUp();
  const d = await p.diskCreate("7-2-disk", 256 * MiB);
  const file = join(root(), d.pool, "vdisks", "7-2-disk");
  assert.is(statSync(file).size, 256 * MiB);
  assert.ok(statSync(file).blocks * 512 >= 256 * MiB, "preallocated, not sparse");
  assert.match(lsattr(file), /C/);
  // QEMU under the hypervisor's uid opens it through the vm group, read-write; without the group nothing;
  // the group lists no vdisks (the test's own folders are made searchable, as the kernel does for ${state})
  traversable();
  assert.is(statSync(file).gid, VM_GID);
  assert.ok(canAs(62992, [VM_GID], "write", file), "the vm group opens a vdisk read-write");
  assert.not.ok(canAs(62992, [], "read", file), "a uid without the vm group cannot read a vdisk");
  assert.not.ok(canAs(62992, [VM_GID], "list", dirname(file)), "nobody lists the vdisks");
  await p.diskResize("7-2-disk", 512 * MiB);
  assert.is(statSync(file).size, 512 * MiB);
  await rejects(p.diskResize("7-2-disk", 128 * MiB), /not safe to shrink/);
  await rejects(p.diskCreate("7-3-huge", 50 * GiB), (e: Error) => /cannot fulfill required disk size of 50 GiB/.test(e.message) && /pool \S+ \(loop\d+\) has [\d.]+ GiB free of/.test(e.message));
  // a full pool: promise nothing past its size, and a disk that fills it is refused by fallocate
  await p.diskDelete("7-2-disk");
  assert.not.ok(existsSync(file));
  // the driver alone (no policy in front): fallocate(2) past the pool's space is ENOSPC, said plainly
  const bd = driver();
  await rejects(bd.vdiskCreate(d.pool, "7-4-full", 4 * GiB), /fallocate 7-4-full to \d+ bytes: no space left on the pool/);
  await bd.vdiskDelete(d.pool, "7-4-full");
  // an empty leftover of a crash (made before NOCOW was set) gets NOCOW and its space on the replay
  const left = join(root(), d.pool, "vdisks", "7-5-left");
  writeFileSync(left, "");
  assert.not.match(lsattr(left), /C/);
  await bd.vdiskCreate(d.pool, "7-5-left", 8 * MiB);
  assert.match(lsattr(left), /C/);
  assert.is(statSync(left).size, 8 * MiB);
  assert.ok(statSync(left).blocks * 512 >= 8 * MiB, "preallocated, not sparse");
  await bd.vdiskDelete(d.pool, "7-5-left");
});

/** The attribute letters lsattr prints for a file (C = NOCOW). */
function lsattr(file: string): string {
  return execFileSync("lsattr", [file], { encoding: "utf8" }).split(" ")[0];
}

t("a second start keeps the pools and the data; no SSD → a problem that says why", async () => {
  if (skip()) return;
  const p1 = new StoragePools(driver(), disks!.hdd);
  await p1.bringUp();
  const v = await p1.volumeCreate("volume", "7-4-keep", 32 * MiB);
  execFileSync("sh", ["-c", `echo kept > ${join(root(), v.pool, "7-4-keep", "f")}`]);
  const names = [...p1.pools.keys()].sort();
  for (const name of names) await driver().unmount(name);
  const p2 = new StoragePools(driver(), disks!.hdd);
  await p2.bringUp();
  assert.equal([...p2.pools.keys()].sort(), names, "same pools, nothing reformatted");
  assert.is((await p2.volumeInfo("7-4-keep"))?.size, 32 * MiB);
  assert.is(execFileSync("cat", [join(root(), v.pool, "7-4-keep", "f")], { encoding: "utf8" }).trim(), "kept");
  await p2.volumeDelete("7-4-keep");
  const allHdd = new StoragePools(driver(), disks!.devices.map((d) => d.slice(5)));
  await allHdd.bringUp();
  assert.match(allHdd.totals().problem, /^no SSD disk: a node needs at least one SSD pool/);
  assert.is(allHdd.totals().sru, 0);
});

t("escape: the driver refuses an unlisted device, paths and dot names, a forged pool id", async () => {
  if (skip()) return;
  const d = driver();
  const stranger = other!.devices[0].slice(5);
  await rejects(d.format(stranger, "x1"), /denied: blockdev: disk "loop\d+" is not one of this node's data disks/);
  await rejects(d.format("../../dev/sda", "x1"), /denied/);
  await rejects(d.mount("../../etc"), /denied: blockdev: pool "..\/..\/etc" is not a valid name/);
  await rejects(d.mount("no-such-pool"), /denied: blockdev: no pool "no-such-pool"/);
  const pool = (await d.disks()).find((x) => x.fstype === "btrfs")!.label;
  await rejects(d.subvolCreate(pool, "../../escape", 1), /not a valid name/);
  await rejects(d.subvolCreate(pool, "a/b", 1), /not a valid name/);
  await rejects(d.vdiskCreate(pool, "..", 1), /not a valid name/);
  await rejects(d.subvolDelete(pool, "vdisks"), /reserved/);
  // a folder that is not a subvolume is never taken for (or turned into) a volume
  mkdirSync(join(root(), pool, "7-9-plain"));
  await rejects(d.subvolCreate(pool, "7-9-plain", MiB), /exists in the pool and is not a volume/);
  // formatting a disk that holds a filesystem is refused whatever the caller says
  const used = (await d.disks()).find((x) => x.fstype)!.disk;
  await rejects(d.format(used, "x2"), /is not empty/);
  assert.is(spawnSync("blkid", ["-p", other!.devices[0]]).status, 2, "the stranger disk is still blank");
});

t.run();
