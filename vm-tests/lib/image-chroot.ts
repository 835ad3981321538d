// The image's own capability kernel, runtime, setpriv and process bundles, run on the host in a chroot of
// the built initramfs (private mount and PID namespaces: its /proc and /sys vanish with it): a fast check
// that every process the image starts gets its verified sandbox, independent of how slow QEMU is on a
// busy machine. The QEMU boot (direct-boot.test.ts) checks the same facts in the booted node.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseJsonc } from "../../rootfs/lib/read-image-manifest.ts";
import { validateManifest } from "../../kernel/manifest.ts";
import { v8FlagsArg } from "../../kernel/sandbox.ts";
import { standInArg } from "../../rootfs/lib/code-cache.ts";
import { chrootShell } from "../../rootfs/lib/chroot-shell.ts";
import { kernelEventsFromConsole, type KernelEventLike } from "./sandbox-facts.ts";

export interface ChrootRun {
  /** The manifest the image's kernel ran (the image's own entries for `names`), as text. */
  manifest: string;
  events: KernelEventLike[];
  output: string;
}

// Runs inside the chroot under the image's Deno: the kernel bundle, as PID 1 loads it.
const CHECK = `
const { startKernel } = await import("/lib/zos/kernel/mod.js");
const vars = JSON.parse(Deno.readTextFileSync("/tmp/zt-check-vars.json"));
const h = await startKernel({
  vars,
  manifest: "/tmp/zt-check-manifest.json",
  stateDir: "/run/zos/kernel",
  onEvent: (e) => console.log("zos-kernel: " + JSON.stringify(e)),
  bootTimeoutMs: 120000,
  minHealthTimeoutMs: 120000,
});
await h.stop(5000);
`;

/**
 * Extracts `outDir`'s initramfs into a temp dir under `workDir`, and starts the processes `names` (null: all)
 * of the image's manifest with the image's kernel in a chroot of it, with `vars` as PID 1 passes them
 * (kernelVars). The chroot shares the host's network namespace, so a dev grid on loopback is reachable.
 * Needs root, cpio, unshare and chroot.
 */
export function runImageProcesses(outDir: string, names: string[] | null, workDir: string, vars: Record<string, string> = {}): ChrootRun {
  const root = mkdtempSync(join(workDir, "zt-image-chroot-"));
  try {
    chmodSync(root, 0o755); // "/" of the booted image is 0755: the processes' own uids must traverse it
    const x = spawnSync("cpio", ["-idm", "--quiet", "--no-absolute-filenames", "-D", root], { input: readFileSync(join(outDir, "initramfs.cpio")), maxBuffer: 1 << 20 });
    if (x.status !== 0) throw new Error(`cpio could not extract the image: ${x.stderr}`);
    const image = parseJsonc(readFileSync(join(root, "lib/zos/manifests/node.json"), "utf8")) as { processes: Record<string, unknown> };
    const processes = Object.fromEntries((names ?? Object.keys(image.processes)).map((n) => {
      if (!image.processes[n]) throw new Error(`the image's manifest has no process ${n}`);
      // every listed process starts here, on-demand ones too (no grantee would start them): each one's
      // sandbox is verified (the launch does not depend on when it starts)
      const { start: _start, ...spec } = image.processes[n] as Record<string, unknown>;
      return [n, spec];
    }));
    const manifest = JSON.stringify({ version: 1, root: "/lib/zos", processes }, null, 2);
    writeFileSync(join(root, "tmp/zt-check-manifest.json"), manifest);
    writeFileSync(join(root, "tmp/zt-check.js"), CHECK);
    writeFileSync(join(root, "tmp/zt-check-vars.json"), JSON.stringify(vars));
    mkdirSync(join(root, "run/zos/kernel"), { recursive: true });
    // The host's shell only sets up the namespaces; inside the chroot there is nothing but the image.
    const r = spawnSync("unshare", [
      "--mount", "--pid", "--fork", `--mount-proc=${join(root, "proc")}`, "--",
      ...chrootShell(root, 'mount -t sysfs -o ro sysfs "$0/sys" && exec chroot "$0" /usr/bin/deno run -A --quiet /tmp/zt-check.js'),
    ], { encoding: "utf8", timeout: 180_000, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }, maxBuffer: 16 << 20 });
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    if (r.error) throw new Error(`the chroot run failed: ${r.error.message}\n${output.slice(-3000)}`);
    if (r.status !== 0) throw new Error(`the chroot run exited ${r.status}:\n${output.slice(-3000)}`);
    return { manifest, events: kernelEventsFromConsole(output.split("\n")), output };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Runs each of the drivers' tools (rootfs/image-config.ts NODE_TOOLS) inside a chroot of the built initramfs,
 * in fresh mount and network namespaces: each must start with only the libraries the image carries, and the
 * ones the node leans on do real work there (mkfs.btrfs formats a file, nft loads the NR-style ruleset).
 * Returns each command line with its exit status and output. Needs root, cpio, unshare and chroot.
 */
export function runImageTools(outDir: string, workDir: string): { cmd: string; status: number | null; output: string }[] {
  const root = mkdtempSync(join(workDir, "zt-image-tools-"));
  try {
    chmodSync(root, 0o755);
    const x = spawnSync("cpio", ["-idm", "--quiet", "--no-absolute-filenames", "-D", root], { input: readFileSync(join(outDir, "initramfs.cpio")), maxBuffer: 1 << 20 });
    if (x.status !== 0) throw new Error(`cpio could not extract the image: ${x.stderr}`);
    writeFileSync(join(root, "tmp/zt-pool.img"), new Uint8Array(0));
    spawnSync("truncate", ["-s", "256M", join(root, "tmp/zt-pool.img")]);
    const cmds: string[][] = [
      ["/usr/sbin/mkfs.btrfs", "-q", "-f", "-L", "zt-pool", "/tmp/zt-pool.img"],
      ["/usr/bin/fallocate", "-l", "1M", "/tmp/zt-falloc"],
      ["/usr/bin/btrfs", "filesystem", "show", "/tmp/zt-pool.img"],
      ["/usr/sbin/blkid", "-p", "-o", "export", "/tmp/zt-pool.img"],
      ["/usr/bin/lsblk", "--version"],
      // NOCOW needs btrfs (the host's folder may not have it): this shows it runs with the image's libraries
      ["/usr/bin/chattr", "-V", "+C", "/tmp/zt-falloc"],
      ["/usr/sbin/nft", "-f", "/tmp/zt-ruleset.nft"],
      ["/usr/sbin/ip", "-V"],
      ["/usr/bin/nsenter", "--version"],
      ["/usr/bin/unshare", "--version"],
      ["/usr/bin/wireguard-go", "--version"],
      ["/usr/bin/tar", "--version"],
      ["/usr/bin/cp", "--version"],
    ];
    writeFileSync(join(root, "tmp/zt-ruleset.nft"), 'table inet nat {\n  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n    oifname "public" masquerade fully-random\n  }\n}\ntable inet filter {\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n    ct state vmap { established : accept, related : accept, invalid : drop }\n  }\n}\n');
    return cmds.map((c) => {
      const r = spawnSync("unshare", ["--mount", "--net", "--pid", "--fork", `--mount-proc=${join(root, "proc")}`, "--", ...chrootShell(root, 'exec chroot "$0" "$@"', c)], { encoding: "utf8", timeout: 60_000, env: { PATH: "/usr/sbin:/usr/bin" } });
      return { cmd: c.join(" "), status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}`.trim() };
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Starts each process `names` of the image's manifest once in a chroot of the built initramfs as the image's kernel
 * would for the V8 code cache: its own uid (no write access to the cache), DENO_DIR = the image's read-only
 * `/lib/zos/codecache/<name>`, its manifest's V8 flags, stdin at EOF; with Deno's debug log, which names every
 * module Deno had to compile because the cache had nothing V8 accepted for it (misses) and every one it took from
 * the cache (hits). Returns those per process (no misses: the whole start came from the image's cache). Needs root,
 * cpio, unshare and chroot.
 */
export function imageCodeCacheMisses(outDir: string, names: string[] | null, workDir: string): Record<string, { misses: string[]; hits: string[]; status: number | null; output: string }> {
  const root = mkdtempSync(join(workDir, "zt-image-codecache-"));
  try {
    chmodSync(root, 0o755);
    const x = spawnSync("cpio", ["-idm", "--quiet", "--no-absolute-filenames", "-D", root], { input: readFileSync(join(outDir, "initramfs.cpio")), maxBuffer: 1 << 20 });
    if (x.status !== 0) throw new Error(`cpio could not extract the image: ${x.stderr}`);
    const raw = parseJsonc(readFileSync(join(root, "lib/zos/manifests/node.json"), "utf8")) as Record<string, unknown>;
    const m = validateManifest({ ...raw, root: join(root, "lib/zos") }, { path: join(root, "lib/zos/manifests/node.json") });
    if (!m.ok) throw new Error(`the image's manifest is invalid: ${JSON.stringify(m.errors)}`);
    const out: Record<string, { misses: string[]; hits: string[]; status: number | null; output: string }> = {};
    for (const name of names ?? m.manifest.processes.map((p) => p.name)) {
      const spec = m.manifest.processes.find((p) => p.name === name);
      if (!spec) throw new Error(`the image's manifest has no process ${name}`);
      const state = `/tmp/zt-state-${name}`;
      mkdirSync(join(root, state), { recursive: true, mode: 0o777 });
      chmodSync(join(root, state), 0o777);
      const args = spec.args.map((a) => standInArg(a, state, "/lib/zos"));
      const r = spawnSync("unshare", [
        "--mount", "--pid", "--net", "--fork", `--mount-proc=${join(root, "proc")}`, "--",
        ...chrootShell(root, 'exec chroot --userspec=64732:64732 "$0" "$@"', [
          "/usr/bin/deno", "run", "-L", "debug", "--no-prompt", "--no-lock", "--no-remote", "--no-config",
          "--node-modules-dir=manual", "-A", ...v8FlagsArg(spec), `/lib/zos/${spec.entry}`, ...args,
        ]),
      ], { input: "", encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", DENO_DIR: `/lib/zos/codecache/${name}`, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } });
      const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error?.message ?? ""}`;
      const modules = (re: RegExp) => [...output.matchAll(re)].map((x) => x[1]);
      out[name] = { misses: modules(/Updating V8 code cache for ES module: (\S+),/g), hits: modules(/V8 code cache hit for ES module: (\S+),/g), status: r.status, output };
    }
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
