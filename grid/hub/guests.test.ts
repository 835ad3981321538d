// The dev hub's ready-made guests: built from Debian packages (cached: the second build is a lookup),
// published on a hub, and what a node downloads is what the vm area boots — the base flist's kernel is
// a PVH ELF and its initrd a newc archive with the virtio/9p/ext4 modules and our /init, the container
// root a busybox tree with /sbin/init, the full-VM flist an ext4 image labelled zosroot holding that root,
// and the legacy copy the same tree as the .fl.
import { execFileSync } from "node:child_process";
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { materialise, openFlist, RoutedStore, storeForUrl } from "../../capabilities/lib/flist/mod.ts";
import { describeTree } from "../../capabilities/lib/flist/test-helpers.ts";
import { repoRoot } from "../../kernel/sandbox.ts";
import { readNewc } from "../../rootfs/lib/newc.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { buildGuests, publishGuests } from "./guests.ts";
import { startHub } from "./mod.ts";

const t = suite("dev hub guests");
const dir = tempDir("zt-flist-guests-");

t("built once from Debian packages, published, and each flist holds what its guest needs", async () => {
  const cache = join(repoRoot, "rootfs", "cache");
  const first = await buildGuests(cache);
  const again = await buildGuests(cache);
  assert.is(again.dir, first.dir);
  assert.ok(again.buildMs < 5000, `the second build is a cache lookup (${again.buildMs.toFixed(0)} ms)`);
  const hub = await startHub({ dir: join(dir, "hub") });
  try {
    const urls = publishGuests(again, join(dir, "hub"), hub.url);
    assert.equal(Object.keys(urls).sort(), ["guests/base.fl", "guests/busybox-vm.fl", "guests/busybox.fl", "guests/busybox.flist", "guests/debian-guest.fl"]);
    assert.equal(Object.keys(hub.flists()).sort(), Object.keys(urls).sort());
    const fetchTree = async (name: string) => {
      const file = join(dir, name.replace("/", "-"));
      writeFileSync(file, new Uint8Array(await (await fetch(urls[name])).arrayBuffer())); // the hub runs in this process: no sync tools
      const f = openFlist(file, dir);
      const target = join(dir, `${name.replace(/\W/g, "-")}-root`);
      const store = f.format === "flist" ? storeForUrl(`${hub.url}/blocks`) : new RoutedStore(f.routes);
      await materialise({ flist: f, store, target });
      return target;
    };
    const base = await fetchTree("guests/base.fl");
    assert.is(readFileSync(join(base, "boot/vmlinuz")).subarray(0, 4).toString("hex"), "7f454c46", "the PVH vmlinux (ELF)");
    const initrd = readNewc(readFileSync(join(base, "boot/initrd.img")));
    const paths = initrd.map((e) => e.path);
    for (const p of ["init", "bin/busybox", "dev/console", "lib/modules/virtio_net.ko", "lib/modules/9pnet_virtio.ko", "lib/modules/ext4.ko"]) {
      assert.ok(paths.includes(p), `initrd has ${p}`);
    }
    const root = await fetchTree("guests/busybox.fl");
    assert.is(readlinkSync(join(root, "sbin/init")), "../bin/busybox");
    assert.match(readFileSync(join(root, "etc/rc"), "utf8"), /LABEL=cidata/);
    const legacy = await fetchTree("guests/busybox.flist");
    assert.equal(describeTree(legacy), describeTree(root), "the legacy copy is the same tree");
    const guest = await fetchTree("guests/debian-guest.fl");
    assert.equal(readFileSync(join(guest, "boot/vmlinuz")), readFileSync(join(base, "boot/vmlinuz")), "its own kernel");
    assert.is(readlinkSync(join(guest, "sbin/init")), "../bin/busybox", "and the busybox root");
    const vm = await fetchTree("guests/busybox-vm.fl");
    const fs = execFileSync("blkid", ["-o", "export", join(vm, "image.raw")], { encoding: "utf8" });
    assert.match(fs, /LABEL=zosroot/);
    assert.match(fs, /TYPE=ext4/);
    assert.match(execFileSync("debugfs", ["-R", "stat /sbin/init", join(vm, "image.raw")], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }), /Type: symlink/);
  } finally {
    await hub.stop();
  }
});

t.run();
