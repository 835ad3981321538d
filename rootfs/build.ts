// `zos image build`: the stateless node image, reproducibly.
//   Debian kernel (.deb → dpkg -x → PVH vmlinux) + initramfs (Deno + the libs it links, the modules
//   the node needs with our own modules.dep/alias, /init = bundled PID 1 program, the manifest)
//   → rootfs/out/: bzImage, vmlinux, initramfs.cpio (direct boot), initramfs.cpio.xz (netboot; .zst with a zstd level),
//     boot.ipxe, image-files.txt (listing), image.json, manifest.json (read back from the archive),
//     hello-initramfs.cpio (benchmark baseline), SHA256SUMS.
// Reproducible: every input is content-addressed, archive entries are sorted with fixed metadata,
// and nothing from the clock or the host's user ends up in an output.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { CODE_FOLDERS, DEVICE_MODULES, FEATURE_MODULES, FORBIDDEN_BASENAMES, KERNEL, HELPER_ENTRIES, NODE_TOOLS, OPTIONAL_HELPERS } from "./image-config.ts";
import { bundle, BundleError, entryConditions } from "./lib/bundle.ts";
import { checkTree, formatViolations, type ImportViolation } from "./lib/import-guard.ts";
import { type KernelWant, newestKernelPackage, prepareKernel } from "./lib/kernel-package.ts";
import { selectModules } from "./lib/modules-select.ts";
import { canonicalEntries, type ImageEntry, writeNewc } from "./lib/newc.ts";
import { readImageManifest } from "./lib/read-image-manifest.ts";
import { runtimeLibs } from "./lib/ldd.ts";
import { buildQemuExtension, type QemuExtensionPin } from "./extensions/qemu.ts";
import { CODE_CACHE_ROOT, codeCacheEntries, codeCacheRows, materialise, sealDenoDir, standInArg, type WarmRun, warmOne } from "./lib/code-cache.ts";
import { KERNEL_GROUPS } from "../capabilities/lib/linux-groups.ts";

export { runtimeLibs };

export const REPO_ROOT = join(fileURLToPath(new URL(".", import.meta.url)), "..");
export const DEFAULT_OUT = join(REPO_ROOT, "rootfs", "out");
export const DEFAULT_CACHE = join(REPO_ROOT, "rootfs", "cache");
/** /etc/group of the image: root and the kernel's group table (disk: Debian's static gid; vm), no members. */
export const IMAGE_GROUPS = `root:x:0:\n${Object.entries(KERNEL_GROUPS).map(([n, gid]) => `${n}:x:${gid}:\n`).join("")}`;
/** Paths inside the image that other parts rely on. */
export const IMAGE_PATHS = {
  runtime: "usr/bin/deno",
  /** util-linux setpriv: how the kernel starts each process under its own uid, capabilities and no_new_privs. */
  setpriv: "usr/bin/setpriv",
  init: "init",
  /** The PID 1 program, bundled; /init imports it (and the hello image's /init its own). */
  initBundle: "lib/zos/pid1/init.js",
  helloBundle: "lib/zos/pid1/hello.js",
  modules: "lib/modules/current",
  manifest: "lib/zos/manifests/node.json",
  kernelBundle: "lib/zos/kernel/mod.js",
  /** The kernel looks for the runtime under <its root>/node_modules/deno/deno (kernel/sandbox.ts). */
  kernelRuntimeLink: "lib/zos/node_modules/deno/deno",
  info: "lib/zos/image.json",
  /** the extension flists the image pins (kernel/pid1/init.ts reads it): `{ qemu: {name, tree_sha256, …} }` */
  extensions: "lib/zos/extensions.json",
};
export const DEFAULT_CMDLINE = "console=ttyS0 panic=-1 mitigations=off";

export class BuildError extends Error {}

export interface BuildOptions {
  outDir?: string;
  cacheDir?: string;
  kernelPackage?: string;
  /** zstd for the netboot initramfs at this level (fast builds: tests use 3); default xz (smallest, see docs/image.md) */
  zstdLevel?: number;
  /** Include the capability kernel bundle when kernel/mod.ts exists (default true). */
  withKernel?: boolean;
  /** Build each process's read-only V8 code cache into the image (default true; false: a baseline for `bench/boot.ts --compare`). */
  codeCache?: boolean;
  root?: string;
  progress?: (msg: string) => void;
}

export interface OutputFile {
  name: string;
  bytes: number;
  sha256: string;
}

export interface BuildResult {
  outDir: string;
  kernelPackage: string;
  kernelVersion: string;
  /** false when built with --kernel-package (no sha256 pin checked) */
  kernelPinned: boolean;
  kernelRelease: string;
  debSha256: string;
  modules: string[];
  withKernelBundle: boolean;
  files: OutputFile[];
  imageEntries: number;
  seconds: number;
}

function sha256(path: string): string {
  const h = createHash("sha256");
  h.update(readFileSync(path));
  return h.digest("hex");
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: "1" } });
  if (r.error) throw new BuildError(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new BuildError(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

/** Source folders that count as one module each for the import guard. */
function moduleFolders(root: string): string[] {
  const out: string[] = [];
  for (const top of CODE_FOLDERS) {
    const dir = join(root, top);
    if (!existsSync(dir)) continue;
    if (top === "kernel") {
      out.push(dir);
      continue;
    }
    for (const name of readdirSync(dir).sort()) if (statSync(join(dir, name)).isDirectory()) out.push(join(dir, name));
  }
  return out;
}

export function checkImports(root: string): ImportViolation[] {
  return moduleFolders(root).flatMap((d) => checkTree(d));
}

/** esbuild from the lock (rootfs/lib/bundle.ts); its errors are build errors the CLI reports plainly. */
function bundleTo(root: string, entry: string, out: string, conditions: string[] = []): void {
  try {
    bundle(root, entry, out, conditions);
  } catch (err) {
    if (err instanceof BundleError) throw new BuildError(err.message);
    throw err;
  }
}

function zstd(input: string, output: string, level: number): void {
  // -T2 fixed: zstd's multi-threaded output does not depend on the thread count, but single- and
  // multi-threaded modes differ, so the mode is pinned for reproducibility.
  run("zstd", [`-${level}`, ...(level > 19 ? ["--ultra"] : []), "-T2", "-q", "-f", "-o", output, input], "/");
}

/**
 * xz for the netboot download: ≈ 8 % smaller than zstd -19 on the runtime's x86 code (the x86 BCJ filter), which
 * puts the download under 50 MB; the kernel unpacks it (CONFIG_RD_XZ, CONFIG_XZ_DEC_X86) more slowly than zstd
 * (docs/image.md). CRC32: the kernel's decoder checks no CRC64. 32 MiB dictionary → 96 MiB blocks, fixed -T2:
 * the output depends on the block size, not on the thread count, so it is reproducible.
 */
function xz(input: string, output: string): void {
  run("xz", ["-9", "--x86", "--lzma2=preset=9,dict=32MiB", "--check=crc32", "-T2", "-q", "-k", "-f", input], "/");
  renameSync(`${input}.xz`, output);
}

function fileListing(entries: ImageEntry[]): string {
  const lines = canonicalEntries(entries).map((e) => {
    const mode = e.mode.toString(8).padStart(4, "0");
    if (e.type === "file") {
      const data = e.source ? readFileSync(e.source) : (e.data ?? new Uint8Array());
      return `file ${mode} ${String(data.length).padStart(10)} ${createHash("sha256").update(data).digest("hex")} /${e.path}`;
    }
    if (e.type === "symlink") return `link ${mode} ${"".padStart(10)} ${"".padStart(64)} /${e.path} -> ${e.target}`;
    if (e.type === "char") return `char ${mode} ${`${e.major},${e.minor}`.padStart(10)} ${"".padStart(64)} /${e.path}`;
    return `dir  ${mode} ${"".padStart(10)} ${"".padStart(64)} /${e.path}`;
  });
  return lines.join("\n") + "\n";
}

/** Fails when an image listing contains a shell, interpreter or package manager. */
export function forbiddenFiles(listing: string): string[] {
  const bad = new Set(FORBIDDEN_BASENAMES);
  return listing.split("\n").filter(Boolean).map((l) => "/" + (l.split(" /")[1]?.split(" -> ")[0] ?? ""))
    .filter((p) => bad.has(basename(p)) || /^python\d/.test(basename(p)));
}

function baseEntries(root: string, initSource: Uint8Array): ImageEntry[] {
  const deno = realpathSync(join(root, "node_modules/deno/deno"));
  const entries: ImageEntry[] = [
    { path: "dev", type: "dir", mode: 0o755 },
    { path: "dev/console", type: "char", mode: 0o600, major: 5, minor: 1 },
    { path: "dev/null", type: "char", mode: 0o666, major: 1, minor: 3 },
    { path: "proc", type: "dir", mode: 0o555 },
    // Deno reads /proc/self/exe while it starts, before PID 1 can mount procfs. This link answers
    // that one read; the procfs PID 1 mounts on /proc hides it afterwards.
    { path: "proc/self/exe", type: "symlink", mode: 0o777, target: "/" + IMAGE_PATHS.runtime },
    { path: "sys", type: "dir", mode: 0o555 },
    { path: "run", type: "dir", mode: 0o755 },
    { path: "tmp", type: "dir", mode: 0o1777 },
    { path: "etc", type: "dir", mode: 0o755 },
    // Group names a manifest's `linux.groups` may use, with Debian's fixed gids (the kernel resolves them here,
    // as on a host): the blockdev driver opens the data disks through group disk.
    { path: "etc/group", type: "file", mode: 0o644, data: new TextEncoder().encode(IMAGE_GROUPS) },
    { path: "var/cache", type: "dir", mode: 0o755 },
    // wireguard-go keeps its UAPI sockets in /var/run/wireguard (PID 1 links /run/wireguard to the netlink
    // driver's folder); without /var/run the driver's uid cannot create it and every NR fails at wg.up.
    { path: "var/run", type: "symlink", mode: 0o777, target: "/run" },
    { path: IMAGE_PATHS.runtime, type: "file", mode: 0o755, source: deno },
    { path: IMAGE_PATHS.init, type: "file", mode: 0o755, data: initSource },
  ];
  for (const [inImage, host] of runtimeLibs(deno)) entries.push({ path: inImage, type: "file", mode: 0o755, source: host });
  return entries;
}

/**
 * util-linux `setpriv` and the libraries it links: the capability kernel (kernel/sandbox.ts) starts every
 * process through it to switch uid, drop groups, set the capability sets and no_new_privs before Deno
 * runs, exactly as on a host. It is no interpreter: it only execs the runtime the kernel names.
 */
function setprivEntries(): ImageEntry[] {
  const host = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
  if (!host) throw new BuildError("setpriv is missing on the build host (the image starts its processes through it); install util-linux");
  const real = realpathSync(host);
  return [
    { path: IMAGE_PATHS.setpriv, type: "file", mode: 0o755, source: real },
    ...runtimeLibs(real).map(([inImage, file]): ImageEntry => ({ path: inImage, type: "file", mode: 0o755, source: file })),
  ];
}

/** Debian packages that carry each tool (for the error when the build host lacks one). */
const TOOL_PACKAGES = "btrfs-progs util-linux e2fsprogs iproute2 nftables wireguard-go";

/**
 * The drivers' tools (NODE_TOOLS: mkfs.btrfs, btrfs, blkid, … nft, ip, wireguard-go) at the absolute paths
 * their manifests grant, with the libraries they link; and /usr/lib/x86_64-linux-gnu as a link to the
 * libraries' folder (Debian's merged /usr: the blockdev driver's FFI grant names libc there).
 */
function toolEntries(): ImageEntry[] {
  const out: ImageEntry[] = [{ path: "usr/lib/x86_64-linux-gnu", type: "symlink", mode: 0o777, target: "/lib/x86_64-linux-gnu" }];
  const missing = NODE_TOOLS.filter((t) => !existsSync(t));
  if (missing.length) throw new BuildError(`the build host lacks ${missing.join(", ")} (the node's drivers run them); install ${TOOL_PACKAGES}`);
  for (const tool of NODE_TOOLS) {
    const real = realpathSync(tool);
    out.push({ path: tool.slice(1), type: "file", mode: 0o755, source: real });
    for (const [inImage, file] of runtimeLibs(real)) out.push({ path: inImage, type: "file", mode: 0o755, source: file });
  }
  return out;
}

/** Entries listed twice (a library both binaries link) appear once. */
function uniqueEntries(entries: ImageEntry[]): ImageEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => (seen.has(e.path) ? false : (seen.add(e.path), true)));
}

/**
 * The PID 1 program as an executable script: the kernel's binfmt_script runs the runtime, no shell.
 * Deno treats a file without extension as TypeScript and would transpile the whole bundle at every
 * boot, so /init only imports the pre-transpiled bundle (`.js`: parsed, never transpiled) and calls it.
 */
function initScript(bundleInImage: string, call: string | null): Uint8Array {
  const body = call
    ? `import { ${call} } from "/${bundleInImage}";\n${call}();\n`
    : `import "/${bundleInImage}";\n`;
  return new TextEncoder().encode(`#!/${IMAGE_PATHS.runtime} -A\n// zos image: the bundled program is JavaScript, so nothing is transpiled at boot\n${body}`);
}

/**
 * A process entry in the image keeps its manifest path (`…/main.ts`, so the manifest, the kernel's
 * command line and the golden stay as reviewed) but only imports its bundle beside it as `.js`: Deno
 * transpiles a `.ts` file at every cold start (≈ 0.8 s of CPU for the chain driver's 2.5 MB bundle on
 * the host, far more under TCG) and a stateless boot has no transpile cache. Static imports need no
 * read permission, so the process's sandbox is unchanged.
 */
export function processStub(bundleName: string): string {
  return `// zos image: the pre-bundled, pre-transpiled process (see rootfs/build.ts)\nimport "./${bundleName}";\n`;
}

/** `capabilities/chain/main.ts` → `capabilities/chain/main.bundle.js` */
export function bundlePath(entry: string): string {
  return entry.replace(/\.[cm]?[jt]sx?$/, "") + ".bundle.js";
}

/** The netboot initramfs an image folder's boot.ipxe loads (initramfs.cpio.xz, or .zst when built with a zstd level). */
export function netbootInitrd(outDir: string): string {
  const m = /^initrd (\S+)$/m.exec(readFileSync(join(outDir, "boot.ipxe"), "utf8"));
  if (!m) throw new BuildError(`${join(outDir, "boot.ipxe")} names no initrd: rebuild the image`);
  return m[1];
}

export function bootIpxe(cmdline: string, initrd = "initramfs.cpio.zst"): string {
  // Relative names: iPXE resolves them against the script's own URL, so any boot server works.
  return ["#!ipxe", `kernel bzImage ${cmdline}`, `initrd ${initrd}`, "boot", ""].join("\n");
}

/**
 * Scripts the image's code starts as Deno programs of their own (`new URL("./x.ts", import.meta.url)`) that are
 * neither a manifest entry nor listed in HELPER_ENTRIES: each would be missing from the image.
 */
export function unlistedHelperScripts(root: string, listed: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name !== "test" && name !== "node_modules") walk(p);
      } else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) {
        for (const m of readFileSync(p, "utf8").matchAll(/new URL\("(\.\.?\/[^"]+\.ts)", import\.meta\.url\)/g)) {
          const rel = relative(root, join(dirname(p), m[1]));
          if (!listed.includes(rel)) out.push(`${relative(root, p)} starts ${rel}`);
        }
      }
    }
  };
  for (const f of CODE_FOLDERS) walk(join(root, f));
  return out.sort();
}

/** Each entry of the node manifest with the export conditions its process declares (bundled with them), via the
 * kernel's own loader. */
async function manifestEntryConditions(root: string, manifest: string): Promise<Map<string, string[]>> {
  const { loadManifest, formatErrors } = await import("../kernel/mod.ts");
  const r = loadManifest(manifest);
  if (!r.ok) throw new BuildError(`the node manifest is invalid:\n${formatErrors(r.errors, manifest)}`);
  try {
    return entryConditions(root, Object.values(r.manifest.processes));
  } catch (err) {
    if (err instanceof BundleError) throw new BuildError(err.message);
    throw err;
  }
}

/**
 * How the kernel starts each process of the node manifest, as a code-cache warm run: its image entry, its
 * arguments (variables PID 1 fills at boot get stand-ins that reach nothing) and its V8 flags.
 */
async function warmRuns(root: string, manifest: string, imageRoot: string): Promise<WarmRun[]> {
  const { loadManifest } = await import("../kernel/mod.ts");
  const { v8FlagsArg } = await import("../kernel/sandbox.ts");
  const r = loadManifest(manifest);
  if (!r.ok) throw new BuildError("the node manifest is invalid");
  return r.manifest.processes.map((spec) => ({
    name: spec.name,
    entry: `/${imageRoot}/${relative(root, spec.entryPath)}`,
    args: spec.args.map((a) => standInArg(a, `/tmp/zt-codecache-state/${spec.name}`, `/${imageRoot}`)),
    v8Args: v8FlagsArg(spec),
  })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * The V8 code cache of every manifest process (rootfs/lib/code-cache.ts): each bundle runs once in a chroot of
 * the image being built (same paths, runtime and V8 flags as at boot, so the cache's keys and flag hash match),
 * its code cache and module-graph analysis are rewritten deterministically and checked readable without write
 * access. Returns the image entries.
 */
export async function buildCodeCaches(root: string, manifest: string, imageEntries: ImageEntry[], work: string, progress: (m: string) => void): Promise<ImageEntry[]> {
  // outside the repository: its dangling /proc/self/exe link (as in the image) must not meet a test runner's walk
  const chroot = mkdtempSync(join(tmpdir(), "zt-image-codecache-"));
  const out: ImageEntry[] = [];
  try {
    materialise(imageEntries, chroot);
    for (const run of await warmRuns(root, manifest, "lib/zos")) {
      const t0 = performance.now();
      const { denoDir, output } = warmOne(chroot, run);
      const bundle = `file://${bundlePath(run.entry)}`;
      const dir = join(work, CODE_CACHE_ROOT, run.name);
      const rows = sealDenoDir(denoDir, dir);
      const blobs = codeCacheRows(dir);
      if (!blobs.some((r) => r.specifier === bundle)) throw new BuildError(`the code cache of ${run.name} has no entry for ${bundle}; its run said:\n${output.slice(-1500)}`);
      const mib = blobs.reduce((a, r) => a + r.data.length, 0) / 2 ** 20;
      progress(`      ${run.name}: ${blobs.length} modules, ${rows.dep_analysis_cache_v2 - 1} module analyses, ${mib.toFixed(1)} MiB of V8 code (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      out.push(...codeCacheEntries("lib/zos", run.name, dir));
    }
  } catch (err) {
    throw err instanceof BuildError ? err : new BuildError(`the V8 code cache could not be built: ${(err as Error).message}`);
  } finally {
    rmSync(chroot, { recursive: true, force: true });
  }
  return out;
}

/** The pinned kernel (rootfs/image-config.ts) unless the caller names another package or "auto" (newest apt knows). */
export function kernelWant(name: string | undefined): KernelWant {
  if (!name || name === KERNEL.package) return { ...KERNEL };
  return { package: name === "auto" ? newestKernelPackage() : name };
}

export async function buildImage(o: BuildOptions = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const root = o.root ?? REPO_ROOT;
  const outDir = o.outDir ?? DEFAULT_OUT;
  const cacheDir = o.cacheDir ?? DEFAULT_CACHE;
  const level = o.zstdLevel ?? 19;
  /** the netboot initramfs: xz unless a zstd level was asked for */
  const netInitrd = o.zstdLevel === undefined ? "initramfs.cpio.xz" : "initramfs.cpio.zst";
  const progress = o.progress ?? (() => {});
  let step = 0;
  const steps = 11;
  const say = (m: string) => progress(`[${++step}/${steps}] ${m}`);

  say("checking module sources for literal file: imports outside their folder");
  const violations = checkImports(root);
  if (violations.length) {
    throw new BuildError(
      `refusing to build: ${violations.length} literal file: import(s) reach outside their module folder ` +
        `(Deno reads them while building the module graph, before permissions apply):\n${formatViolations(violations, root)}\n` +
        "Fix: import only files inside the module's own folder (shared code belongs in a lib folder imported relatively).",
    );
  }

  say("kernel");
  const kernel = prepareKernel(cacheDir, kernelWant(o.kernelPackage), (m) => progress(`      ${m}`));

  say("the QEMU extension flist (not in the image: pinned by its tree digest, fetched from the hub)");
  const qemuExt: QemuExtensionPin | null = (o.withKernel ?? true)
    ? await buildQemuExtension(cacheDir, (m) => progress(`      ${m}`)).then((b) => b.pin, (e) => {
      throw new BuildError((e as Error).message);
    })
    : null;

  say(`selecting kernel modules for ${kernel.release}`);
  const mods = selectModules(kernel.modulesDir, [...DEVICE_MODULES, ...FEATURE_MODULES]);

  const work = `${outDir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    say("bundling the PID 1 program (and the capability kernel when present)");
    bundleTo(root, "kernel/pid1/init.ts", join(work, "init.js"));
    bundleTo(root, "kernel/pid1/hello.ts", join(work, "hello.js"));
    const manifest = join(root, "manifests/node.json");
    const withKernel = (o.withKernel ?? true) && existsSync(join(root, "kernel/mod.ts")) && existsSync(manifest);
    const processBundles: [string, string][] = [];
    if (withKernel) {
      bundleTo(root, "kernel/mod.ts", join(work, "kernel.js"));
      // Each process of the node manifest becomes one self-contained file at the same path under
      // /lib/zos (npm packages inlined), so the image needs no node_modules and no source tree.
      const conditions = await manifestEntryConditions(root, manifest);
      const entries = [...conditions.keys()].sort();
      const unlisted = unlistedHelperScripts(root, [...entries, ...HELPER_ENTRIES, ...OPTIONAL_HELPERS]);
      if (unlisted.length) {
        throw new BuildError(`programs the drivers start are not in the image:\n  ${unlisted.join("\n  ")}\nFix: add them to HELPER_ENTRIES in rootfs/image-config.ts`);
      }
      for (const entry of [...entries, ...HELPER_ENTRIES]) {
        const out = join(work, "procs", bundlePath(entry));
        mkdirSync(dirname(out), { recursive: true });
        bundleTo(root, entry, out, conditions.get(entry) ?? []);
        processBundles.push([`lib/zos/${entry}`, out]);
      }
    }

    say("assembling the initramfs");
    const entries = uniqueEntries([
      ...baseEntries(root, initScript(IMAGE_PATHS.initBundle, "main")),
      { path: IMAGE_PATHS.initBundle, type: "file", mode: 0o644, source: join(work, "init.js") },
      ...(withKernel ? setprivEntries() : []),
      ...(withKernel ? toolEntries() : []),
    ]);
    for (const m of mods.modules) entries.push({ path: `${IMAGE_PATHS.modules}/${m.path}`, type: "file", mode: 0o644, source: m.source });
    const enc = new TextEncoder();
    entries.push({ path: `${IMAGE_PATHS.modules}/modules.dep`, type: "file", mode: 0o644, data: enc.encode(mods.modulesDep) });
    entries.push({ path: `${IMAGE_PATHS.modules}/modules.alias`, type: "file", mode: 0o644, data: enc.encode(mods.modulesAlias) });
    entries.push({ path: `${IMAGE_PATHS.modules}/modules.softdep`, type: "file", mode: 0o644, data: enc.encode(mods.modulesSoftdep) });
    entries.push({ path: `lib/modules/${kernel.release}`, type: "symlink", mode: 0o777, target: "current" });
    if (existsSync(manifest)) entries.push({ path: IMAGE_PATHS.manifest, type: "file", mode: 0o644, source: manifest });
    // ${root}/package.json: the node reports its version from it (hostfacts); only name and version go in.
    const pkgJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    entries.push({ path: "lib/zos/package.json", type: "file", mode: 0o644, data: enc.encode(JSON.stringify({ name: pkgJson.name, version: pkgJson.version }, null, 2) + "\n") });
    if (withKernel) {
      entries.push({ path: IMAGE_PATHS.kernelBundle, type: "file", mode: 0o644, source: join(work, "kernel.js") });
      entries.push({ path: IMAGE_PATHS.kernelRuntimeLink, type: "symlink", mode: 0o777, target: "/" + IMAGE_PATHS.runtime });
      for (const [inImage, file] of processBundles) {
        const bundled = bundlePath(inImage);
        entries.push({ path: inImage, type: "file", mode: 0o644, data: enc.encode(processStub(bundled.split("/").pop()!)) });
        entries.push({ path: bundled, type: "file", mode: 0o644, source: file });
      }
    }
    let codeCaches: string[] = [];
    if (withKernel && (o.codeCache ?? true)) {
      say("V8 code cache: each process once in a chroot of the image (its paths, runtime and V8 flags)");
      const cacheEntries = await buildCodeCaches(root, manifest, entries, work, progress);
      codeCaches = cacheEntries.filter((e) => e.type === "dir" && e.path.split("/").length === 4).map((e) => "/" + e.path);
      entries.push(...uniqueEntries(cacheEntries));
    }
    if (qemuExt) entries.push({ path: IMAGE_PATHS.extensions, type: "file", mode: 0o644, data: enc.encode(JSON.stringify({ qemu: qemuExt }, null, 2) + "\n") });
    const info = {
      kernel_package: kernel.package,
      kernel_version: kernel.version,
      kernel_pinned: kernel.pinned,
      kernel_release: kernel.release,
      kernel_deb_sha256: kernel.debSha256,
      runtime: "deno " + run(join(root, "node_modules/deno/deno"), ["--version"], root).split("\n")[0].split(" ")[1],
      modules: mods.modules.map((m) => m.name),
      builtin_modules: mods.builtin,
      capability_kernel: withKernel,
      processes: processBundles.map(([p]) => "/" + p),
      /** each process's read-only DENO_DIR with its V8 code cache (the kernel uses it: kernel/code-cache.ts) */
      code_caches: codeCaches,
      manifest: existsSync(manifest) ? "/" + IMAGE_PATHS.manifest : null,
      extensions: qemuExt ? { qemu: qemuExt } : {},
    };
    entries.push({ path: IMAGE_PATHS.info, type: "file", mode: 0o644, data: enc.encode(JSON.stringify(info, null, 2) + "\n") });

    const listing = fileListing(entries);
    const bad = forbiddenFiles(listing);
    if (bad.length) throw new BuildError(`refusing to build: the image would contain a shell/interpreter/package manager: ${bad.join(", ")}`);
    writeFileSync(join(work, "image-files.txt"), listing);
    const cpio = writeNewc(join(work, "initramfs.cpio"), entries);
    // The manifest read back out of the archive just written (what boots), beside the image for
    // reviewers and `zos caps audit --image DIR`; covered by SHA256SUMS like every output.
    if (existsSync(manifest)) writeFileSync(join(work, "manifest.json"), readImageManifest(work));

    say(`compressing the initramfs (${netInitrd.endsWith(".xz") ? "xz -9 --x86" : `zstd -${level}`}, ${(cpio.bytes / 2 ** 20).toFixed(1)} MiB raw)`);
    if (netInitrd.endsWith(".xz")) xz(join(work, "initramfs.cpio"), join(work, netInitrd));
    else zstd(join(work, "initramfs.cpio"), join(work, netInitrd), level);

    say("the hello baseline image (same kernel and runtime, init prints one line)");
    writeNewc(join(work, "hello-initramfs.cpio"), [
      ...baseEntries(root, initScript(IMAGE_PATHS.helloBundle, null)),
      { path: IMAGE_PATHS.helloBundle, type: "file", mode: 0o644, source: join(work, "hello.js") },
    ]);

    say("kernel files and boot.ipxe");
    copyFileSync(kernel.bzImage, join(work, "bzImage"));
    copyFileSync(kernel.vmlinux, join(work, "vmlinux"));
    writeFileSync(join(work, "boot.ipxe"), bootIpxe(`${DEFAULT_CMDLINE} runmode=prod`, netInitrd));
    writeFileSync(join(work, "image.json"), JSON.stringify(info, null, 2) + "\n");
    for (const f of ["init.js", "hello.js", "kernel.js", "procs", CODE_CACHE_ROOT]) rmSync(join(work, f), { recursive: true, force: true });

    say("SHA256SUMS");
    const names = readdirSync(work).filter((n) => n !== "SHA256SUMS").sort();
    const files = names.map((name) => ({ name, bytes: statSync(join(work, name)).size, sha256: sha256(join(work, name)) }));
    writeFileSync(join(work, "SHA256SUMS"), files.map((f) => `${f.sha256}  ${f.name}\n`).join(""));

    mkdirSync(dirname(outDir), { recursive: true });
    rmSync(outDir, { recursive: true, force: true });
    renameSync(work, outDir);
    return {
      outDir,
      kernelPackage: kernel.package,
      kernelVersion: kernel.version,
      kernelPinned: kernel.pinned,
      kernelRelease: kernel.release,
      debSha256: kernel.debSha256,
      modules: mods.modules.map((m) => m.name),
      withKernelBundle: withKernel,
      files,
      imageEntries: cpio.entries,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

export function relativeOut(p: string): string {
  return relative(process.cwd(), p) || ".";
}
