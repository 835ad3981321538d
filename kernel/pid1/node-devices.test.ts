// PID 1's device preparation for the node's drivers, on files in a temp folder: which disks become data
// disks and the manifest variables for them, group disk on their nodes, /run/wireguard → the UAPI folder.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { lstatSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { dataDisks, DISK_GID, diskVars, NODE_MODULES, prepareWireguard, shareDataDisks } from "./node-devices.ts";
import type { DiskInfo } from "./state-disk.ts";
import { FEATURE_MODULES } from "../../rootfs/image-config.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { rootOnly } from "../../tools/test-env.ts";

const disk = (name: string, fs: DiskInfo["fs"] = null): DiskInfo => ({ name, sizeBytes: 4 << 30, rotational: true, fs });

test("data disks: every disk but the state disk, pools of an earlier boot included", () => {
  const all = [disk("vda", "btrfs"), disk("vdb"), disk("vdc", "btrfs"), disk("vdd")];
  assert.equal(dataDisks(all, "vda").map((d) => d.name), ["vdb", "vdc", "vdd"]);
  assert.equal(dataDisks(all, null).map((d) => d.name), ["vda", "vdb", "vdc", "vdd"]);
});

test("manifest variables: device paths, zos-debug-vm's HDDs (vdd, vde), no SSD → no registration", () => {
  const data = [disk("vdb"), disk("vdc"), disk("vdd"), disk("vde")];
  assert.equal(diskVars(data, true), { disks: "/dev/vdb,/dev/vdc,/dev/vdd,/dev/vde", hdd: "vdd,vde", requiressd: "yes" });
  assert.equal(diskVars(data.slice(0, 2), true), { disks: "/dev/vdb,/dev/vdc", hdd: "-", requiressd: "yes" });
  assert.equal(diskVars(data, false).hdd, "auto");
  assert.equal(diskVars([], false), { disks: "-", hdd: "auto", requiressd: "yes" });
});

test("every module PID 1 loads for the drivers is in the image", () => {
  for (const m of NODE_MODULES) assert.ok(FEATURE_MODULES.includes(m), m);
});

test("data disks get root:disk 0660 (as udev would), /run/wireguard points at the netlink driver's UAPI folder", () => {
  const dir = tempDir("zt-image-devices-");
  writeFileSync(join(dir, "vdb"), "");
  if (rootOnly("data disks chgrp to disk")) {
    assert.equal(shareDataDisks([disk("vdb")], dir), ["vdb"]);
    const st = statSync(join(dir, "vdb"));
    assert.is(st.gid, DISK_GID);
    assert.is(st.mode & 0o777, 0o660);
  }
  writeFileSync(join(dir, "tun"), "");
  const uapi = join(dir, "state", "netlink", "wg");
  const run = join(dir, "run-wireguard");
  prepareWireguard(uapi, run, join(dir, "tun"));
  assert.ok(lstatSync(run).isSymbolicLink());
  assert.is(readlinkSync(run), uapi);
  assert.ok(statSync(uapi).isDirectory());
  assert.is(statSync(join(dir, "tun")).mode & 0o777, 0o666);
  prepareWireguard(uapi, run, join(dir, "tun")); // again (a second kernel start): replaced, not an error
  assert.is(readlinkSync(run), uapi);
});

test.run();
