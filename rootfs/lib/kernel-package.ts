// Debian's kernel, never installed on the host: `apt-get download` the linux-image .deb into the
// cache, `dpkg -x` it into a folder keyed by the .deb's hash, and pull the uncompressed PVH vmlinux
// out of the bzImage (direct boot is fastest with it: no in-guest decompression under TCG).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface KernelTree {
  package: string;
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

/** Returns the cached .deb for `pkg`, downloading it with apt-get download when absent. */
export function ensureDeb(cacheDir: string, pkg: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const have = readdirSync(cacheDir).filter((f) => f.startsWith(pkg + "_") && f.endsWith("_amd64.deb")).sort();
  if (have.length) return join(cacheDir, have[have.length - 1]);
  // Download into a private folder, then rename: a killed build never leaves a half .deb in the cache.
  const tmp = join(cacheDir, `.download-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    run("apt-get", ["download", pkg], tmp);
    const got = readdirSync(tmp).filter((f) => f.endsWith(".deb"));
    if (got.length !== 1) throw new Error(`apt-get download ${pkg} produced ${got.length} files`);
    renameSync(join(tmp, got[0]), join(cacheDir, got[0]));
    return join(cacheDir, got[0]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
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
export function prepareKernel(cacheDir: string, pkg: string, progress: (msg: string) => void): KernelTree {
  progress(`kernel package ${pkg}`);
  const debFile = ensureDeb(cacheDir, pkg);
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
    debFile,
    debSha256,
    release,
    root,
    bzImage: join(root, "boot", bz),
    vmlinux: join(root, "vmlinux"),
    modulesDir,
  };
}
