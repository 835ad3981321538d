// The block-device driver: the only process that runs mkfs and btrfs and makes the mount, btrfs, file-flag
// and fallocate system calls (syscalls.ts). It may touch exactly the data disks in its second argument and
// mounts pools under its own state folder.
// Args: <state dir> <disks: comma-separated device paths, "-" for none> [<recipients: name=state folder of
// the driver that may receive subvolumes, comma-separated, e.g. zdb=/var/state/zdb; "-" for none>].
// Grant: blockdev {} — one grantee (the storage module); no restrictions to widen or narrow.
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import { chmodSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { BlockDev$Server } from "../schema/gen/storage.ts";
import { startProcess } from "../lib/guest/process.ts";
import { toJson } from "../../modules/node/json.ts";
import { BlockDevDriver } from "./driver.ts";

const stateDir = process.argv[2];
const diskArg = process.argv[3];
const recipientArg = process.argv[4] ?? "-";
if (!stateDir || diskArg === undefined) {
  console.error("blockdev: usage: blockdev/main.ts <state dir> <disk,disk,…|->");
  process.exit(2);
}
const devices = diskArg === "-" || diskArg === "" ? [] : diskArg.split(",");
for (const d of devices) {
  if (!/^\/dev\/[a-z0-9]+$/.test(d)) {
    console.error(`blockdev: "${d}" is not a whole-disk device path like /dev/vdb`);
    process.exit(2);
  }
}
// Other processes (a future 0-db server) may need to traverse to a pool: search permission, no listing.
try {
  chmodSync(stateDir, 0o711);
} catch { /* not ours to change: pools stay private */ }
const recipients = new Map<string, string>();
for (const r of recipientArg === "-" || recipientArg === "" ? [] : recipientArg.split(",")) {
  const i = r.indexOf("=");
  if (i <= 0 || !r.slice(i + 1).startsWith("/")) {
    console.error(`blockdev: recipient "${r}" is not NAME=/absolute/state/folder`);
    process.exit(2);
  }
  recipients.set(r.slice(0, i), r.slice(i + 1));
}
const driver = new BlockDevDriver(devices, join(stateDir, "mnt"), recipients);

const n = (x: bigint) => Number(x);
const server = new BlockDev$Server({
  async disks(_p, r) { r.json = toJson(await driver.disks()); },
  async format(p) { await driver.format(p.disk, p.pool); },
  async mount(p, r) { r.json = toJson(await driver.mount(p.pool)); },
  async usage(p, r) { r.json = toJson(await driver.usage(p.pool)); },
  async unmount(p) { await driver.unmount(p.pool); },
  async subvolCreate(p) { await driver.subvolCreate(p.pool, p.name, n(p.limit)); },
  async subvolLimit(p) { await driver.subvolLimit(p.pool, p.name, n(p.limit)); },
  async subvolDelete(p) { await driver.subvolDelete(p.pool, p.name); },
  async subvolList(p, r) { r.json = toJson(await driver.subvolList(p.pool)); },
  async vdiskCreate(p) { await driver.vdiskCreate(p.pool, p.name, n(p.size)); },
  async vdiskResize(p) { await driver.vdiskResize(p.pool, p.name, n(p.size)); },
  async vdiskDelete(p) { await driver.vdiskDelete(p.pool, p.name); },
  async vdiskList(p, r) { r.json = toJson(await driver.vdiskList(p.pool)); },
  async subvolHandOver(p) { await driver.subvolHandOver(p.pool, p.name, p.to); },
});

startProcess({
  provide: {
    blockdev: (r) => {
      if (Object.keys(r).length) throw new Error(`denied: blockdev: "blockdev" takes no restrictions (got ${Object.keys(r).join(", ")})`);
      return server;
    },
  },
});
