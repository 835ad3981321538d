// The node's QEMU as an extension flist, as Zero-OS ships its daemons ("zos packages"): not in the
// netboot image but on the hub, pinned by the image. Built from the Debian packages installed on the
// build host (no download): qemu-system-x86_64, every library it links (its own loader and libc
// included, so it runs on an image that carries other versions or none), the TCG accelerator module
// and the firmware the hypervisor's machines load. Reproducible: the tree holds only regular files
// with fixed modes and times, so the same packages give the same tree digest on every build host;
// the `.fl` (routes, inode times) is rebuilt per hub and is not what the image pins.
//   <cache>/qemu-ext-<key>/tree/          the staged tree (the flist's content)
//   <cache>/qemu-ext-<key>/qemu.fl        packed, route = a placeholder until published on a hub
//   <cache>/qemu-ext-<key>/blocks/        its blocks
//   <cache>/qemu-ext-<key>/pin.json       {name, tree_sha256, files, bytes, packages}
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { QEMU_LAYOUT } from "../../capabilities/hypervisor/qemu-extension.ts";
import { packFlist } from "../../capabilities/lib/flist/pack.ts";
import { DirStore } from "../../capabilities/lib/flist/store.ts";
import { publishGuests } from "../../grid/hub/guests.ts";
import { treeDigest } from "../../capabilities/lib/flist/tree-digest.ts";
import { runtimeLibs } from "../lib/ldd.ts";

/** Bump when what goes into the tree changes (part of the cache key). */
const RECIPE = "qemu-ext-v1";
/** The name the extension has on a hub (`<hub>/extensions/qemu.fl`). */
export const QEMU_EXTENSION_NAME = "extensions/qemu.fl";
export const QEMU_BINARY = "/usr/bin/qemu-system-x86_64";
/** TCG is a loadable module in Debian's QEMU; nothing else the hypervisor's command line uses is. */
export const QEMU_MODULES = ["/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"];
/** What the hypervisor's machines load: SeaBIOS (full VMs), the PVH and linuxboot option ROMs
 * (`-kernel`), the KVM vAPIC ROM and virtio-net's boot ROM (QEMU refuses a NIC whose ROM is missing). */
export const QEMU_FIRMWARE = [
  "/usr/share/seabios/bios-256k.bin",
  "/usr/share/qemu/pvh.bin",
  "/usr/share/qemu/linuxboot_dma.bin",
  "/usr/share/qemu/kvmvapic.bin",
  "/usr/lib/ipxe/qemu/efi-virtio.rom",
];
const PACKAGES = "qemu-system-x86 qemu-system-data seabios ipxe-qemu";
const PLACEHOLDER = "http://hub.invalid/blocks";

export interface QemuExtensionPin {
  name: string;
  tree_sha256: string;
  files: number;
  bytes: number;
  packages: string;
}

export interface QemuExtensionBuild {
  dir: string;
  tree: string;
  fl: string;
  blocks: string;
  pin: QemuExtensionPin;
  /** true when this call built it (false: from the cache) */
  built: boolean;
}

/** [path in the tree, file on the host, mode] of everything the extension holds. */
export function qemuExtensionFiles(): [string, string, number][] {
  const missing = [QEMU_BINARY, ...QEMU_MODULES, ...QEMU_FIRMWARE].filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`the build host lacks ${missing.join(", ")} (the node's QEMU extension is built from them); install ${PACKAGES}`);
  const out = new Map<string, [string, string, number]>();
  const add = (inTree: string, host: string, mode: number) => out.set(inTree, [inTree, realpathSync(host), mode]);
  add(QEMU_LAYOUT.binary, QEMU_BINARY, 0o755);
  for (const m of QEMU_MODULES) add(`${QEMU_LAYOUT.modules}/${basename(m)}`, m, 0o644);
  for (const bin of [QEMU_BINARY, ...QEMU_MODULES]) {
    for (const [inImage, host] of runtimeLibs(bin)) {
      if (inImage === QEMU_LAYOUT.loader) add(QEMU_LAYOUT.loader, host, 0o755);
      else add(`${QEMU_LAYOUT.libs}/${basename(inImage)}`, host, 0o755);
    }
  }
  if (!out.has(QEMU_LAYOUT.loader)) throw new Error(`ldd ${QEMU_BINARY} names no /${QEMU_LAYOUT.loader}`);
  for (const f of QEMU_FIRMWARE) add(`${QEMU_LAYOUT.data}/${basename(f)}`, f, 0o644);
  return [...out.values()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** Copies the files into `dir` with fixed modes and times (directories 0755). */
export function stageQemuExtension(dir: string): { files: number; bytes: number } {
  let bytes = 0;
  const files = qemuExtensionFiles();
  const dirs = new Set<string>();
  for (const [inTree, host, mode] of files) {
    const to = join(dir, inTree);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(host, to);
    chmodSync(to, mode);
    utimesSync(to, 0, 0);
    bytes += statSync(to).size;
    for (let d = dirname(inTree); d !== "."; d = dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs, "."]) {
    chmodSync(join(dir, d), 0o755);
    utimesSync(join(dir, d), 0, 0);
  }
  return { files: files.length, bytes };
}

/** The cache key: the recipe and every input file's bytes. */
function cacheKey(): string {
  const h = createHash("sha256").update(`${RECIPE}\n`);
  for (const [inTree, host, mode] of qemuExtensionFiles()) h.update(`${inTree} ${mode.toString(8)}\n`).update(readFileSync(host));
  return h.digest("hex").slice(0, 16);
}

/** Builds (or finds in `cacheDir`) the extension: staged tree, its pin, and the packed `.fl` with its blocks. */
export async function buildQemuExtension(cacheDir: string, log: (l: string) => void = () => {}): Promise<QemuExtensionBuild> {
  const dir = join(cacheDir, `qemu-ext-${cacheKey()}`);
  const result = (built: boolean): QemuExtensionBuild => ({
    dir,
    tree: join(dir, "tree"),
    fl: join(dir, "qemu.fl"),
    blocks: join(dir, "blocks"),
    pin: JSON.parse(readFileSync(join(dir, "pin.json"), "utf8")) as QemuExtensionPin,
    built,
  });
  if (existsSync(join(dir, ".complete"))) return result(false);
  const t0 = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "tree"), { recursive: true });
  try {
    const staged = stageQemuExtension(join(tmp, "tree"));
    const pin: QemuExtensionPin = { name: QEMU_EXTENSION_NAME, tree_sha256: treeDigest(join(tmp, "tree")), ...staged, packages: debVersions() };
    await packFlist({
      source: join(tmp, "tree"),
      output: join(tmp, "qemu.fl"),
      store: new DirStore(join(tmp, "blocks")),
      routes: [{ start: 0, end: 255, url: PLACEHOLDER }],
      tags: { description: `zos extension: QEMU for the hypervisor (${pin.packages})` },
    });
    writeFileSync(join(tmp, "pin.json"), JSON.stringify(pin, null, 2) + "\n");
    writeFileSync(join(tmp, ".complete"), "");
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const r = result(true);
  log(`qemu extension: ${r.pin.files} files, ${(r.pin.bytes / 2 ** 20).toFixed(1)} MiB, tree sha256 ${r.pin.tree_sha256.slice(0, 16)}… (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return r;
}

/** "qemu-system-x86 1:7.2+dfsg-7+deb12u18+b3, …" of the packages it came from (recorded, not part of the digest). */
function debVersions(): string {
  try {
    return execFileSync("dpkg-query", ["-W", "-f", "${Package} ${Version}\n", ...PACKAGES.split(" ")], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } })
      .trim().split("\n").join(", ");
  } catch {
    return PACKAGES;
  }
}

/** Puts the extension on a hub's folder (as the dev hub's guests: blocks linked, route → the hub's blocks);
 * returns its name → download URL. */
export function publishQemuExtension(build: QemuExtensionBuild, hubDir: string, hubUrl: string): Record<string, string> {
  mkdirSync(join(hubDir, "flists", dirname(QEMU_EXTENSION_NAME)), { recursive: true, mode: 0o700 });
  return publishGuests({ dir: build.dir, blocks: build.blocks, flists: { [QEMU_EXTENSION_NAME]: build.fl }, buildMs: 0 }, hubDir, hubUrl);
}
