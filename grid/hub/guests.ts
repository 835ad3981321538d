// The dev hub's ready-made guests, built from Debian packages only (the pinned kernel .deb the image
// uses, taken from apt's cache or downloaded by apt-get; the host's busybox-static), cached by their
// inputs so the second `npm start` only copies them onto the hub:
//   guests/base.fl        /boot/vmlinuz (the PVH vmlinux) + /boot/initrd.img — the base flist whose kernel
//                         boots container-mode guests (as Zero-OS's base flist does)
//   guests/busybox.fl     a small busybox root (container mode: shared over 9p, tag "vroot")
//   guests/busybox.flist  the same root in the legacy 0-fs format
//   guests/busybox-vm.fl  /image.raw (ext4, LABEL=zosroot, the busybox root) + /boot/vmlinuz + initrd (full VM)
//   guests/debian-guest.fl  the busybox root with that kernel and initrd in its /boot: a container-mode guest
//                         that boots on any node, with or without a base flist (examples/vm.json)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { DirStore } from "../../capabilities/lib/flist/store.ts";
import { packFlist } from "../../capabilities/lib/flist/pack.ts";
import { packLegacyFlist } from "../../capabilities/lib/flist/legacy/writer.ts";
import { KERNEL } from "../../rootfs/image-config.ts";
import { debFileName, prepareKernel } from "../../rootfs/lib/kernel-package.ts";
import { selectModules } from "../../rootfs/lib/modules-select.ts";
import { writeNewc, type ImageEntry } from "../../rootfs/lib/newc.ts";
import { INITRD_INIT, INITTAB, ROOT_RC } from "./guest-init.ts";

/** Bump when what is built changes (the cache key). */
const RECIPE = "guests-v2";
const GUEST_MODULES = ["virtio_pci", "virtio_net", "virtio_blk", "9p", "9pnet_virtio", "ext4", "vfat", "nls_cp437", "nls_ascii", "crc32c_generic"];
const BUSYBOX = "/usr/bin/busybox";
const PLACEHOLDER = "http://hub.invalid/blocks";

export interface GuestBuild {
  dir: string;
  /** "guests/name" → packed flist file (routes point at PLACEHOLDER until published) */
  flists: Record<string, string>;
  blocks: string;
  buildMs: number;
}

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" } });
}

function busyboxRoot(root: string): void {
  for (const d of ["bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "run", "root", "www", "usr/bin", "usr/sbin"]) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(BUSYBOX, join(root, "bin/busybox"));
  chmodSync(join(root, "bin/busybox"), 0o755);
  for (const app of ["sh", "mount", "umount", "ip", "awk", "sed", "grep", "cat", "ls", "hostname", "findfs", "httpd", "tr", "echo", "mkdir", "ping", "poweroff", "reboot", "wget", "ps", "kill", "sleep", "dmesg"]) {
    symlinkSync("busybox", join(root, "bin", app));
  }
  symlinkSync("../bin/busybox", join(root, "sbin/init"));
  writeFileSync(join(root, "etc/rc"), ROOT_RC, { mode: 0o755 });
  writeFileSync(join(root, "etc/inittab"), INITTAB);
  writeFileSync(join(root, "etc/hostname"), "zos-guest\n");
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\n");
  chmodSync(join(root, "tmp"), 0o1777);
}

function initrd(out: string, modulesDir: string): void {
  const sel = selectModules(modulesDir, GUEST_MODULES);
  const entries: ImageEntry[] = [
    { path: "bin", type: "dir", mode: 0o755 },
    { path: "bin/busybox", type: "file", mode: 0o755, source: BUSYBOX },
    { path: "init", type: "file", mode: 0o755, data: new TextEncoder().encode(INITRD_INIT) },
    { path: "etc", type: "dir", mode: 0o755 },
    { path: "etc/modules-order", type: "file", mode: 0o644, data: new TextEncoder().encode(sel.modules.map((m) => m.name).join("\n") + "\n") },
    { path: "lib", type: "dir", mode: 0o755 },
    { path: "lib/modules", type: "dir", mode: 0o755 },
    { path: "dev", type: "dir", mode: 0o755 },
    { path: "dev/console", type: "char", mode: 0o600, major: 5, minor: 1 },
    { path: "dev/null", type: "char", mode: 0o666, major: 1, minor: 3 },
  ];
  for (const m of sel.modules) entries.push({ path: `lib/modules/${m.name}.ko`, type: "file", mode: 0o644, source: m.source });
  writeNewc(out, entries);
}

/** Builds (or finds in `cacheDir`) the guests' flists and blocks. */
export async function buildGuests(cacheDir: string, log: (l: string) => void = () => {}): Promise<GuestBuild> {
  const t0 = performance.now();
  mkdirSync(cacheDir, { recursive: true });
  // cache key: the recipe, the pinned kernel (its sha256 is checked by prepareKernel when building), the
  // host's busybox and the guest scripts — a complete build with that key is reused without touching
  // the kernel package again
  const key = createHash("sha256").update(`${RECIPE}\n${KERNEL.package}\n${KERNEL.version}\n${KERNEL.sha256}\n`)
    .update(readFileSync(BUSYBOX)).update(INITRD_INIT + ROOT_RC + INITTAB).digest("hex").slice(0, 16);
  const dir = join(cacheDir, `${RECIPE}-${key}`);
  const names = ["guests/base.fl", "guests/busybox.fl", "guests/busybox.flist", "guests/busybox-vm.fl", "guests/debian-guest.fl"];
  const result = (): GuestBuild => ({
    dir,
    blocks: join(dir, "blocks"),
    flists: Object.fromEntries(names.map((n) => [n, join(dir, "flists", n.split("/")[1])])),
    buildMs: performance.now() - t0,
  });
  if (existsSync(join(dir, ".complete"))) return result();
  // the pinned kernel: from apt's own cache when it is there, else prepareKernel asks apt-get
  const deb = debFileName(KERNEL.package, KERNEL.version);
  const aptCopy = join("/var/cache/apt/archives", deb);
  if (!existsSync(join(cacheDir, deb)) && existsSync(aptCopy)) copyFileSync(aptCopy, join(cacheDir, deb));
  const kernel = prepareKernel(cacheDir, KERNEL, (m) => log(`guests: ${m}`));
  log(`guests: building ${names.join(", ")} (kernel ${kernel.release}, busybox) into ${dir}`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "flists"), { recursive: true });
  try {
    const store = new DirStore(join(tmp, "blocks"));
    const routes = [{ start: 0, end: 255, url: PLACEHOLDER }];
    const base = join(tmp, "base");
    mkdirSync(join(base, "boot"), { recursive: true });
    copyFileSync(kernel.vmlinux, join(base, "boot/vmlinuz"));
    initrd(join(base, "boot/initrd.img"), kernel.modulesDir);
    await packFlist({ source: base, output: join(tmp, "flists/base.fl"), store, routes, tags: { description: "zos dev hub: base flist (kernel + initrd) for container-mode guests" } });
    const root = join(tmp, "root");
    busyboxRoot(root);
    await packFlist({ source: root, output: join(tmp, "flists/busybox.fl"), store, routes, tags: { description: "zos dev hub: busybox container root" } });
    await packLegacyFlist({ source: root, output: join(tmp, "flists/busybox.flist"), store, scratch: tmp });
    const vm = join(tmp, "vm");
    mkdirSync(join(vm, "boot"), { recursive: true });
    copyFileSync(join(base, "boot/vmlinuz"), join(vm, "boot/vmlinuz"));
    copyFileSync(join(base, "boot/initrd.img"), join(vm, "boot/initrd.img"));
    // an ext4 image of the busybox root, made without mounting (mke2fs -d); sparse, 32 MiB
    sh("mkfs.ext4", ["-q", "-F", "-L", "zosroot", "-E", "root_owner=0:0", "-d", root, join(vm, "image.raw"), "32M"]);
    await packFlist({ source: vm, output: join(tmp, "flists/busybox-vm.fl"), store, routes, tags: { description: "zos dev hub: full-VM busybox guest (image.raw)" } });
    mkdirSync(join(root, "boot"), { recursive: true });
    copyFileSync(join(base, "boot/vmlinuz"), join(root, "boot/vmlinuz"));
    copyFileSync(join(base, "boot/initrd.img"), join(root, "boot/initrd.img"));
    await packFlist({ source: root, output: join(tmp, "flists/debian-guest.fl"), store, routes, tags: { description: "zos dev hub: container-mode guest with its own kernel (Debian's) and the busybox root" } });
    for (const d of [base, root, vm]) rmSync(d, { recursive: true, force: true });
    writeFileSync(join(tmp, ".complete"), `${key}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const r = result();
  log(`guests: built in ${(r.buildMs / 1000).toFixed(1)} s`);
  return r;
}

/** Copies the built guests onto a hub's folder: blocks (hard links when possible) and flists whose
 * route is rewritten to the hub's block URL. Returns "guests/name" → the hub's download URL. */
export function publishGuests(build: GuestBuild, hubDir: string, hubUrl: string): Record<string, string> {
  const blocks = join(hubDir, "blocks");
  for (const sub of readdirSync(build.blocks)) {
    mkdirSync(join(blocks, sub), { recursive: true, mode: 0o700 });
    for (const f of readdirSync(join(build.blocks, sub))) {
      const to = join(blocks, sub, f);
      if (existsSync(to)) continue;
      try {
        linkSync(join(build.blocks, sub, f), to);
      } catch {
        copyFileSync(join(build.blocks, sub, f), to);
      }
    }
  }
  const out: Record<string, string> = {};
  mkdirSync(join(hubDir, "flists", "guests"), { recursive: true, mode: 0o700 });
  for (const [name, file] of Object.entries(build.flists)) {
    const to = join(hubDir, "flists", name);
    const tmp = `${to}.publish-${process.pid}`;
    copyFileSync(file, tmp);
    if (name.endsWith(".fl")) {
      const db = new DatabaseSync(tmp);
      db.prepare("UPDATE route SET url = ?").run(`${hubUrl.replace(/\/+$/, "")}/blocks`);
      db.close();
    }
    renameSync(tmp, to);
    out[name] = `${hubUrl.replace(/\/+$/, "")}/${name}`;
  }
  return out;
}
