// The node's QEMU as an extension flist (rootfs/extensions/qemu.ts): built from the build host's Debian
// packages with the same tree digest every time; published on a dev hub; fetched and verified by the
// node's flist driver (its manifests/node.json entry, under the kernel, over Cap'n Proto); checked against
// the pin by the hypervisor's QemuProvider; and the QEMU in that root (its own loader, libraries, TCG
// module and firmware, environment empty) boots the node image's kernel under TCG until the kernel
// prints its banner. A hub that serves a different tree under the same name is refused, nothing runs.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { extensionCommand, QemuProvider } from "../../capabilities/hypervisor/qemu-extension.ts";
import { treeDigest } from "../../capabilities/lib/flist/tree-digest.ts";
import { flistClient } from "../../capabilities/flist/client.ts";
import { pushToHub } from "../../grid/hub/push.ts";
import { startHub, type RunningHub } from "../../grid/hub/mod.ts";
import { type KernelHandle, startKernel } from "../../kernel/mod.ts";
import { NODE_MANIFEST } from "../../modules/node.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { KERNEL } from "../image-config.ts";
import { DEFAULT_CACHE } from "../build.ts";
import { prepareKernel } from "../lib/kernel-package.ts";
import { buildQemuExtension, publishQemuExtension, QEMU_EXTENSION_NAME, stageQemuExtension } from "./qemu.ts";

const t = suite("qemu extension flist");
const dir = tempDir("zt-image-qemu-ext-");
let hub: RunningHub | null = null;
let kernel: KernelHandle | null = null;

t.after(async () => {
  await kernel?.stop(10_000);
  await hub?.stop();
});

t("staged twice from the same packages: the same tree and digest; loader, libc and firmware inside", () => {
  const a = join(dir, "stage-a");
  const b = join(dir, "stage-b");
  const sa = stageQemuExtension(a);
  stageQemuExtension(b);
  assert.is(treeDigest(a), treeDigest(b));
  for (const f of ["lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/libc.so.6", "lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so", "usr/share/qemu/bios-256k.bin", "usr/bin/qemu-system-x86_64"]) {
    assert.ok(existsSync(join(a, f)), f);
  }
  assert.ok(sa.bytes > 20e6 && sa.files > 20, `${sa.files} files, ${sa.bytes} bytes`);
});

t("fetched through the node's flist driver, checked against the pin, and its QEMU boots a kernel under TCG", async () => {
  const ext = await buildQemuExtension(DEFAULT_CACHE);
  assert.is(ext.pin.name, QEMU_EXTENSION_NAME);
  assert.is(treeDigest(ext.tree), ext.pin.tree_sha256, "the cached tree is the pinned one");
  hub = await startHub({ dir: join(dir, "hub") });
  const urls = publishQemuExtension(ext, join(dir, "hub"), hub.url);
  const url = urls[QEMU_EXTENSION_NAME];
  // a hub serving another tree under another name: one changed firmware byte is enough to be refused
  const evilSrc = join(dir, "evil");
  cpSync(ext.tree, evilSrc, { recursive: true });
  const bios = join(evilSrc, "usr/share/qemu/bios-256k.bin");
  const bytes = readFileSync(bios);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(bios, bytes);
  const evilUrl = (await pushToHub({ hubUrl: hub.url, source: evilSrc, name: "extensions/evil.fl" })).url;

  const node = JSON.parse(readFileSync(NODE_MANIFEST, "utf8").replace(/^\s*\/\/.*$/gm, ""));
  const manifest = {
    version: 1,
    root: join(NODE_MANIFEST, "..", ".."),
    description: "qemu extension test: the node's flist driver and a module holding the hypervisor's flist grant",
    processes: {
      flist: node.processes.flist,
      holder: { kind: "module", entry: "modules/registrar/test/grant-holder.ts", grants: { flist: node.processes.hypervisor.grants.flist } },
    },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  kernel = await startKernel({
    manifest: join(dir, "manifest.json"),
    stateDir: join(dir, "state"),
    bootTimeoutMs: 60_000,
    vars: { hubhosts: new URL(hub.url).host, hubstore: `${hub.url}/blocks` },
  });
  const k = kernel;
  const flist = flistClient((fn) => k.kernel.grantFor("holder", "flist").then(fn));

  const wrong = new QemuProvider({ kind: "flist", url: evilUrl, treeSha256: ext.pin.tree_sha256 }, flist);
  const refused = await wrong.command().then(() => "", (e: Error) => e.message);
  assert.match(refused, /does not match its pin/);
  assert.is((await flist.list()).length, 0, "the refused root was released (and removed)");

  const provider = new QemuProvider({ kind: "flist", url, treeSha256: ext.pin.tree_sha256 }, flist);
  const argv = await provider.command();
  const root = (await flist.list())[0].root;
  assert.equal(argv, extensionCommand(root));
  assert.ok(root.startsWith(join(dir, "state", "flist", "roots")), root);
  assert.is(await provider.command(), argv, "prepared once");

  // the image's own kernel (PVH), no initramfs: it panics for want of a root and QEMU exits (-no-reboot)
  const vmlinux = prepareKernel(DEFAULT_CACHE, { ...KERNEL }, () => {}).vmlinux;
  const serial = join(dir, "serial.txt");
  const qemu = spawn(argv[0], [
    ...argv.slice(1), "-accel", "tcg", "-cpu", "max", "-m", "256M", "-nodefaults", "-no-user-config", "-no-reboot",
    "-display", "none", "-monitor", "none", "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
    "-serial", `file:${serial}`, "-kernel", vmlinux, "-append", "console=ttyS0 panic=-1",
    "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0",
  ], { env: {}, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  qemu.stderr.on("data", (d) => (err += d));
  try {
    const deadline = Date.now() + 120_000;
    while (!(existsSync(serial) && /Linux version 6\./.test(readFileSync(serial, "utf8")))) {
      assert.ok(qemu.exitCode === null || existsSync(serial), `QEMU exited: ${err}`);
      assert.ok(Date.now() < deadline, `no kernel banner on the serial console within 120 s: ${err}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    qemu.kill("SIGKILL");
  }
  assert.not.match(err, /could not load|failed to find romfile|No such file/i, err);
  await flist.release((await flist.list())[0].hash);
  rmSync(serial, { force: true });
});

t.run();
