// `zos image build`: builds the stateless boot image into rootfs/out/ (see rootfs/build.ts).
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";

const HELP = `zos image build — build the stateless node image (kernel + initramfs + iPXE script)

usage: zos image build [--out DIR] [--kernel-package NAME] [--zstd-level N] [--no-kernel] [--json]

  --out DIR              output folder (default rootfs/out); replaced atomically when the build succeeds
  --kernel-package NAME  build with another Debian kernel package, unpinned ("auto": the newest
                         linux-image-<abi>-amd64 apt knows). Default: the pinned KERNEL of
                         rootfs/image-config.ts, whose .deb must match its sha256
  --zstd-level N         netboot initramfs as initramfs.cpio.zst at zstd level 1..22 (fast builds; default:
                         initramfs.cpio.xz, xz -9 with the x86 filter, the smallest download)
  --no-kernel            leave the capability kernel bundle out (PID 1 duties only)
  --json                 print the result as JSON (progress still goes to stderr)

Outputs: bzImage, vmlinux (PVH, for direct boot), initramfs.cpio (raw, direct boot), initramfs.cpio.xz
(netboot; .zst with --zstd-level), boot.ipxe, image-files.txt (every file in the image), image.json, manifest.json (the node
manifest as stored in the image), hello-initramfs.cpio (benchmark baseline) and SHA256SUMS. Building twice from the same inputs gives the same hashes.
Needs apt-get (kernel download), dpkg, xz, zstd and ldd on the build host. Downloads nothing but the kernel
.deb: the bundles are made by the esbuild that \`npm ci\` installed, so an empty Deno cache is fine.`;

export const command: Command = {
  summary: "build the bootable node image",
  async run(argv) {
    const p = parse(argv, {
      out: { type: "string" },
      "kernel-package": { type: "string" },
      "zstd-level": { type: "string" },
      "no-kernel": { type: "boolean" },
    }, "image");
    if (p.help) {
      console.log(HELP);
      return 0;
    }
    const [sub, ...extra] = p.positionals;
    if (sub !== "build" || extra.length) {
      throw new UserError(`zos image: expected \`zos image build\`, got \`zos image ${p.positionals.join(" ")}\`. Run \`zos image --help\`.`, 2);
    }
    let level: number | undefined;
    const lv = str(p, "zstd-level");
    if (lv !== undefined) {
      if (!/^\d+$/.test(lv) || Number(lv) < 1 || Number(lv) > 22) throw new UserError(`zos image build: --zstd-level must be 1..22, got "${lv}"`, 2);
      level = Number(lv);
    }
    const pkg = str(p, "kernel-package");
    if (pkg !== undefined && pkg !== "auto" && !/^linux-image-[0-9][\w.+-]*$/.test(pkg)) {
      throw new UserError(`zos image build: --kernel-package must name a linux-image-* package, got "${pkg}"`, 2);
    }
    const { buildImage, BuildError, relativeOut } = await import("../../rootfs/build.ts");
    const { resolve } = await import("node:path");
    try {
      const r = await buildImage({
        outDir: str(p, "out") ? resolve(str(p, "out")!) : undefined,
        kernelPackage: pkg,
        zstdLevel: level,
        withKernel: !p.values["no-kernel"],
        progress: (m) => console.error(m),
      });
      if (p.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(`image built in ${r.seconds.toFixed(1)} s → ${relativeOut(r.outDir)}/ (kernel ${r.kernelRelease} ${r.kernelPinned ? "pinned" : "UNPINNED"}, ${r.modules.length} modules, ${r.imageEntries} entries)`);
        for (const f of r.files) console.log(`  ${f.sha256.slice(0, 16)}  ${(f.bytes / 2 ** 20).toFixed(1).padStart(7)} MiB  ${f.name}`);
      }
      return 0;
    } catch (err) {
      if (err instanceof BuildError) throw new UserError(`zos image build: ${err.message}`, 1);
      const msg = (err as Error).message;
      if (/apt|dpkg|zstd|xz|ldd|kernel module/.test(msg)) throw new UserError(`zos image build: ${msg}`, 1);
      throw err;
    }
  },
};
