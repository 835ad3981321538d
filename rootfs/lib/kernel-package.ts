// Debian's kernel, never installed on the host: `apt-get download` the linux-image .deb into the
// cache, `dpkg -x` it into a folder keyed by the .deb's hash, and pull the uncompressed PVH vmlinux
// out of the bzImage (direct boot is fastest with it: no in-guest decompression under TCG).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

export interface KernelTree {
  package: string;
  /** Debian package version, e.g. 6.1.176-1 */
  version: string;
  /** true when version and sha256 were checked against a pin */
  pinned: boolean;
  debFile: string;
  debSha256: string;
  /** Kernel release, e.g. 6.1.0-56-amd64. */
  release: string;
  root: string;
  bzImage: string;
  vmlinux: string;
  modulesDir: string;
}

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message} (is it installed? .ci/run lists the packages)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-800)}`);
  return r.stdout;
}

/** The newest `linux-image-<abi>-amd64` package apt knows, e.g. linux-image-6.1.0-56-amd64. */
export function newestKernelPackage(): string {
  const out = run("apt-cache", ["search", "--names-only", "^linux-image-[0-9.]+-[0-9]+-amd64$"]);
  const names = out.split("\n").map((l) => l.split(" ")[0]).filter((n) => /^linux-image-[0-9.]+-\d+-amd64$/.test(n));
  if (!names.length) throw new Error("apt knows no linux-image-*-amd64 package; run `apt-get update` first");
  const key = (n: string) => n.match(/\d+/g)!.map(Number);
  names.sort((a, b) => {
    const ka = key(a), kb = key(b);
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) if ((ka[i] ?? 0) !== (kb[i] ?? 0)) return (ka[i] ?? 0) - (kb[i] ?? 0);
    return 0;
  });
  return names[names.length - 1];
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Which kernel package to use: a pin (version + sha256, rootfs/image-config.ts) or just a name. */
export interface KernelWant {
  package: string;
  version?: string;
  /** sha256 of the .deb; when set, a file with another hash is never used. */
  sha256?: string;
}

/** The file name apt-get download gives a package version (an epoch's colon is escaped). */
export function debFileName(pkg: string, version: string): string {
  return `${pkg}_${version.replace(/:/g, "%3a")}_amd64.deb`;
}

/** Version and SHA256 of `pkg`=`version` in apt's package lists, or null when apt does not have it. */
export function aptRecord(pkg: string, version: string): { version: string; sha256: string } | null {
  const r = spawnSync("apt-cache", ["show", `${pkg}=${version}`], { encoding: "utf8" });
  if (r.error) throw new Error(`apt-cache could not run: ${r.error.message} (the image build needs apt; .ci/run lists the packages)`);
  for (const rec of (r.stdout ?? "").split(/\n\n+/)) {
    const v = /^Version: (\S+)$/m.exec(rec)?.[1];
    const h = /^SHA256: ([0-9a-f]{64})$/m.exec(rec)?.[1];
    if (v === version && h) return { version: v, sha256: h };
  }
  return null;
}

function notAvailable(want: KernelWant, cacheDir: string): Error {
  return new Error(
    `the pinned kernel ${want.package} ${want.version} (KERNEL in rootfs/image-config.ts) is not in apt's package lists.\n` +
      "Fix: run `apt-get update` and build again. If it is still missing, Debian has dropped that build; then either\n" +
      `  - put its .deb (${debFileName(want.package, want.version!)}, sha256 ${want.sha256}) into ${cacheDir}/, or\n` +
      "  - pin a kernel apt has: `apt-cache show linux-image-<abi>-amd64` gives Package, Version and SHA256 for KERNEL\n" +
      "    in rootfs/image-config.ts (a reviewed change: the kernel is part of the image), or\n" +
      "  - build once unpinned with `zos image build --kernel-package linux-image-<abi>-amd64`.",
  );
}

/** apt-get download into a private folder, then rename: a killed build never leaves a half .deb in the cache. */
function download(cacheDir: string, spec: string): string {
  const tmp = join(cacheDir, `.download-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    run("apt-get", ["download", spec], tmp);
    const got = readdirSync(tmp).filter((f) => f.endsWith(".deb"));
    if (got.length !== 1) throw new Error(`apt-get download ${spec} produced ${got.length} files`);
    renameSync(join(tmp, got[0]), join(cacheDir, got[0]));
    return join(cacheDir, got[0]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Returns the cached .deb of the wanted kernel, downloading it with apt-get when absent. A pinned
 * kernel is checked against its sha256: a cached file with another hash is thrown away and fetched
 * again, a download with another hash is an error, and a version apt does not have says what to do.
 */
export function ensureDeb(cacheDir: string, want: KernelWant | string): string {
  const w: KernelWant = typeof want === "string" ? { package: want } : want;
  mkdirSync(cacheDir, { recursive: true });
  if (!w.version) {
    const have = readdirSync(cacheDir).filter((f) => f.startsWith(w.package + "_") && f.endsWith("_amd64.deb")).sort();
    return have.length ? join(cacheDir, have[have.length - 1]) : download(cacheDir, w.package);
  }
  const file = join(cacheDir, debFileName(w.package, w.version));
  if (existsSync(file)) {
    if (!w.sha256 || sha256File(file) === w.sha256) return file;
    rmSync(file, { force: true }); // a corrupt or substituted cache entry: never used
  }
  const rec = aptRecord(w.package, w.version);
  if (!rec) throw notAvailable(w, cacheDir);
  if (w.sha256 && rec.sha256 !== w.sha256) {
    throw new Error(
      `apt's package lists give ${w.package} ${w.version} the sha256 ${rec.sha256}, but the pin (KERNEL in rootfs/image-config.ts) says ${w.sha256}.\n` +
        "Fix: check your apt sources (a different archive or a rebuilt package); update the pin only after reviewing that .deb.",
    );
  }
  const got = download(cacheDir, `${w.package}=${w.version}`);
  const h = sha256File(got);
  if (w.sha256 && h !== w.sha256) {
    rmSync(got, { force: true });
    throw new Error(`the downloaded ${basename(got)} has sha256 ${h}, the pin says ${w.sha256}; it was deleted. Check your apt sources.`);
  }
  return got;
}

/** Extracts the uncompressed vmlinux (an ELF with the PVH note) from a bzImage. */
export function extractVmlinux(bzImage: string, out: string): void {
  const d = readFileSync(bzImage);
  if (d.readUInt32LE(0x202) !== 0x53726448) throw new Error(`${bzImage} is not a bzImage (no HdrS signature)`);
  const setupSects = d[0x1f1] || 4;
  const payloadOffset = d.readUInt32LE(0x248);
  const payloadLength = d.readUInt32LE(0x24c);
  const start = (setupSects + 1) * 512 + payloadOffset;
  const payload = d.subarray(start, start + payloadLength);
  let tool: string[];
  if (payload.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) tool = ["xz", "-dc", "--single-stream"];
  else if (payload.readUInt32LE(0) === 0xfd2fb528) tool = ["zstd", "-dcq"];
  else if (payload[0] === 0x1f && payload[1] === 0x8b) tool = ["gzip", "-dc"];
  else throw new Error(`${bzImage}: unknown kernel payload compression (${payload.subarray(0, 4).toString("hex")})`);
  // Through a file, not spawnSync's `input`: a large input can deadlock (child blocked on a full
  // stdout while the parent is still writing its stdin).
  const payloadFile = `${out}.payload`;
  writeFileSync(payloadFile, payload);
  try {
    const r = spawnSync(tool[0], [...tool.slice(1), payloadFile], { maxBuffer: 1 << 30 });
    if (r.error || r.status !== 0) throw new Error(`${tool[0]} could not decompress the kernel: ${r.error?.message ?? r.stderr}`);
    writeFileSync(out, r.stdout);
  } finally {
    rmSync(payloadFile, { force: true });
  }
  const head = readFileSync(out).subarray(0, 4);
  if (head.readUInt32BE(0) !== 0x7f454c46) throw new Error("decompressed kernel payload is not an ELF file");
}

/** Download (if needed), extract and prepare the kernel tree; cached by the .deb's hash. */
export function prepareKernel(cacheDir: string, want: KernelWant | string, progress: (msg: string) => void): KernelTree {
  const w: KernelWant = typeof want === "string" ? { package: want } : want;
  const pkg = w.package;
  progress(`kernel package ${pkg}${w.version ? ` ${w.version}` : ""}${w.sha256 ? ` (pinned, sha256 ${w.sha256.slice(0, 16)}…)` : " (not pinned)"}`);
  const debFile = ensureDeb(cacheDir, w);
  const debSha256 = sha256File(debFile);
  const root = join(cacheDir, `kernel-${debSha256.slice(0, 16)}`);
  if (!existsSync(join(root, ".complete"))) {
    progress(`extracting ${debFile.split("/").pop()} (dpkg -x)`);
    const tmp = `${root}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      run("dpkg", ["-x", debFile, tmp]);
      const bz = readdirSync(join(tmp, "boot")).find((f) => f.startsWith("vmlinuz-"));
      if (!bz) throw new Error(`${debFile} has no boot/vmlinuz-*`);
      progress("extracting the PVH vmlinux from the bzImage");
      extractVmlinux(join(tmp, "boot", bz), join(tmp, "vmlinux"));
      writeFileSync(join(tmp, ".complete"), debSha256 + "\n");
      rmSync(root, { recursive: true, force: true });
      renameSync(tmp, root);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }
  const bz = readdirSync(join(root, "boot")).find((f) => f.startsWith("vmlinuz-"))!;
  const release = bz.slice("vmlinuz-".length);
  const modulesDir = existsSync(join(root, "lib/modules", release)) ? join(root, "lib/modules", release) : join(root, "usr/lib/modules", release);
  return {
    package: pkg,
    version: basename(debFile).slice(pkg.length + 1, -"_amd64.deb".length).replace(/%3a/g, ":"),
    pinned: Boolean(w.version && w.sha256),
    debFile,
    debSha256,
    release,
    root,
    bzImage: join(root, "boot", bz),
    vmlinux: join(root, "vmlinux"),
    modulesDir,
  };
}
