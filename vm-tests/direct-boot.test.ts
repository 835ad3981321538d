// test-timeout: 1500
// The CI vm-test (runs in `npm test`): builds the image twice (same hashes = reproducible), checks
// the no-shell promise and the image's manifest against the reviewed golden, then boots it once in
// QEMU (direct PVH boot + btrfs state disk + a blank data disk) against the local grid on the host (dev chain, relay,
// activation service): PID 1 up, DHCP, chain reached, capability kernel started, no listening socket, the
// node funded by the activation service and registered (twin + node on chain), zos.system.version answered
// over the relay to the official rmb_direct_client, the verified sandbox of every process (from the
// kernel's events) equal to the golden manifest, the guest's TCP ports swept from the host through QEMU's
// port forwards (only the 0-db server answers, after registration and again with workloads), the data disk a
// pool with a zmount, a volume and a network deployed over RMB by our client reaching ok, orderly reboot
// (Ctrl-Alt-Del) with the disks kept: boot #2, the same twin answers again, no second node was registered,
// the pool and the workloads are back.
// Before the boot, the image's own kernel starts its drivers in a chroot of the initramfs on the host and
// their verified sandbox must equal the golden (fast; independent of QEMU's speed).
// The other scenarios (no disk, iPXE over HTTP) run with `npm run vm-test`.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { buildImage, DEFAULT_CACHE } from "../rootfs/build.ts";
import { compareWithGolden, readImageManifest } from "../rootfs/lib/read-image-manifest.ts";
import { directBootWithDisk, noShell, startGrid } from "./scenarios.ts";
import { imageCodeCacheMisses, runImageProcesses, runImageTools } from "./lib/image-chroot.ts";
import { NODE_TOOLS } from "../rootfs/image-config.ts";
import { checkSandboxFacts } from "./lib/sandbox-facts.ts";
import { rootOnly } from "../tools/test-env.ts";

// Build outputs go into the (gitignored) kernel cache folder: same filesystem as the repo, not a small /tmp.
mkdirSync(DEFAULT_CACHE, { recursive: true });
const work = mkdtempSync(join(DEFAULT_CACHE, "vmtest-"));
const outA = join(work, "a"), outB = join(work, "b");

test("image build is reproducible (two builds, identical SHA256SUMS)", async () => {
  const lines: string[] = [];
  const a = await buildImage({ outDir: outA, zstdLevel: 3, progress: (m) => lines.push(m) });
  const b = await buildImage({ outDir: outB, zstdLevel: 3 });
  assert.ok(lines.some((l) => /^\[1\/\d+\]/.test(l)) && lines.some((l) => /SHA256SUMS/.test(l)), "progress is reported");
  const sumsA = readFileSync(join(outA, "SHA256SUMS"), "utf8");
  assert.is(sumsA, readFileSync(join(outB, "SHA256SUMS"), "utf8"));
  for (const f of ["bzImage", "vmlinux", "initramfs.cpio", "initramfs.cpio.zst", "boot.ipxe", "image-files.txt", "manifest.json", "hello-initramfs.cpio"]) {
    assert.match(sumsA, new RegExp(`^[0-9a-f]{64}  ${f.replace(".", "\\.")}$`, "m"));
  }
  assert.equal(a.files, b.files);
  const zst = a.files.find((f) => f.name === "initramfs.cpio.zst")!;
  assert.ok(zst.bytes < 60 * 2 ** 20, `netboot initramfs is ${zst.bytes} bytes`);
});

test("no shell, interpreter or package manager in the image", () => {
  const r = noShell(outA);
  assert.ok(r.ok, r.error);
  assert.match(r.notes[0], /usr\/bin\/deno/);
});

test("the manifest inside the image equals the reviewed golden (rootfs/golden/manifest.json)", () => {
  const golden = readFileSync(join(DEFAULT_CACHE, "..", "golden", "manifest.json"), "utf8");
  const diff = compareWithGolden(readImageManifest(outA), golden);
  assert.equal(diff, [], "authority changed: review it, then update rootfs/golden/manifest.json\n" + diff.join("\n"));
});

test("the image's own kernel, setpriv and bundles start its drivers in their verified sandbox (chroot of the initramfs)", () => {
  if (!rootOnly("the image's processes under their own uids")) return;
  // Wave 1 of the node (the drivers that need no grid): fast and independent of QEMU's speed on a busy
  // machine; the QEMU boot below checks all ten processes of the booted node.
  const r = runImageProcesses(outA, ["kv", "log", "clock", "identity", "hostfacts"], work);
  // exact: the image chroot's kernel runs with ${state} = /run/zos/kernel and ${root} = /lib/zos, no other variable
  assert.equal(checkSandboxFacts(r.manifest, r.events, { kernelIsRoot: true, vars: { state: "/run/zos/kernel", root: "/lib/zos" } }), [], r.output.slice(-2000));
  const hostfacts = r.events.find((e) => e.process === "hostfacts" && e.sandbox)!.sandbox!;
  assert.is(hostfacts.capAmb, "0000000000000004", "hostfacts holds CAP_DAC_READ_SEARCH (its manifest's linux.capabilities) and nothing else");
  // each runs with the image's read-only V8 code cache as its DENO_DIR (kernel/code-cache.ts)
  for (const name of ["kv", "log", "clock", "identity", "hostfacts"]) {
    const spawned = r.events.find((e) => e.event === "spawned" && e.process === name) as Record<string, unknown> | undefined;
    assert.is(spawned?.codeCache, `/lib/zos/codecache/${name}`, name);
  }
  assert.not.ok(r.events.some((e) => e.event === "code-cache-refused"), "no cache refused");
});

test("every process of the image starts from its read-only V8 code cache: Deno compiles none of its modules (its debug log, chroot)", () => {
  if (!rootOnly("the image's processes under a uid of their own")) return;
  const listing = readFileSync(join(outA, "image-files.txt"), "utf8");
  const runs = imageCodeCacheMisses(outA, null, work);
  assert.ok(Object.keys(runs).length >= 10, Object.keys(runs).join(","));
  for (const [name, r] of Object.entries(runs)) {
    assert.match(listing, new RegExp(`^file 0644 .* /lib/zos/codecache/${name}/v8_code_cache_v2$`, "m"), `${name}'s cache is in the image`);
    assert.equal(r.misses, [], `${name} compiled modules the image's cache should have held:\n${r.output.slice(-1500)}`);
    assert.ok(r.hits.some((h) => /^file:\/\/\/lib\/zos\/.*\.bundle\.js$/.test(h)), `${name}'s bundle came from the cache:\n${r.output.slice(-1500)}`);
  }
});

test("the drivers' tools run in a chroot of the image with only its libraries: mkfs.btrfs formats, blkid reads it, nft loads an NR ruleset", () => {
  if (!rootOnly("a chroot of the image")) return;
  const runs = runImageTools(outA, work);
  const by = (tool: string) => runs.find((r) => r.cmd.startsWith(tool + " "))!;
  for (const tool of NODE_TOOLS) {
    const r = by(tool);
    assert.ok(r, `${tool} was run`);
    assert.not.match(r.output, /error while loading shared libraries|No such file or directory$/m, `${r.cmd}: ${r.output}`);
    if (tool !== "/usr/bin/chattr") assert.is(r.status, 0, `${r.cmd}: ${r.output}`); // NOCOW needs btrfs under it
  }
  assert.match(by("/usr/bin/btrfs").output, /Label: 'zt-pool'/);
  assert.match(by("/usr/sbin/blkid").output, /TYPE=btrfs/);
  assert.match(by("/usr/bin/chattr").output, /Flags of \/tmp\/zt-falloc/);
  assert.match(by("/usr/bin/wireguard-go").output, /wireguard-go v/);
});

test("direct boot in QEMU: network, chain, kernel, registers, answers over RMB, only 0-db listens (probed from the host), a zmount, a volume and a network reach ok, reboot keeps identity, pools and workloads", async () => {
  const grid = await startGrid();
  try {
    // 15 processes start one after another on one TCG vCPU: the node registers ≈ 3 min after power-on
    // (docs/PERFORMANCE.md, boot); each wait below gets this long
    const r = await directBootWithDisk({ outDir: outA, grid, bootTimeoutMs: 300_000 });
    assert.ok(r.ok, `${r.error}\nserial log kept at ${r.log}`);
    // The capability kernel must start; which processes were ready in time is reported (kernel=ready or
    // kernel=partial(not-ready:…)) — under TCG on one vCPU the node's processes start slowly.
    const note = (re: RegExp) => r.notes.find((n) => re.test(n)) ?? `(no note matching ${re} in ${JSON.stringify(r.notes)})`;
    assert.match(r.notes[0], /boots=1 persistent=true kernel=(ready|partial)/);
    assert.match(r.notes[1], /^registered: node \d+ twin \d+ farm 1$/);
    assert.match(r.notes[2], /^zos\.system\.version: \{.*"zos"/);
    // every process's verified sandbox (read by the kernel from /proc) equals the golden manifest
    // (those started at boot: an on-demand one nobody used yet runs nothing to verify; the kernel said so)
    const goldenProcesses = Object.values(
      JSON.parse(readFileSync(join(DEFAULT_CACHE, "..", "golden", "manifest.json"), "utf8").replace(/^\s*\/\/.*$/gm, "")).processes as Record<string, { start?: string }>,
    ).filter((p) => p.start !== "on-demand").length;
    assert.match(r.notes[3], new RegExp(`^sandbox: ${goldenProcesses} processes verified against the golden manifest`));
    assert.match(r.notes[3], new RegExp(`; ${goldenProcesses} started from the image's code cache$`), "every process runs with its read-only code cache");
    // probed from the host through QEMU's port forwards, after registration and again with workloads:
    // only the manifest's listeners answer (0-db's 9900, and the gateway's 443)
    // the 0-db server starts on demand: nothing listens until the zdb workload is deployed
    assert.match(note(/^probe after registration:/), /TCP ports swept from the host, open: (none|443)$/);
    assert.match(note(/^probe with workloads deployed:/), /TCP ports swept from the host, open: (443,)?9900$/);
    // the data disk became an SSD pool; examples/zmount.json, examples/volume.json and a network reached ok
    assert.match(note(/^pools:/), /ssd/);
    assert.match(note(/^zmount /), /ok: used SRU \+2 GiB$/);
    assert.match(note(/^network ok/), /zos\.network\.list_wg_ports/);
    assert.match(note(/boots=2/), /boots=2 persistent=true kernel=(ready|partial)/);
    assert.match(note(/^after reboot: same twin/), /^after reboot: same twin \d+ answers/);
    assert.match(note(/^after reboot: pools/), /workloads \{.*"ok"/);
    for (const k of ["pid1", "network", "chain", "ready", "registered", "api_answers", "workloads_ok", "reboot_ready", "reboot_api_answers"]) {
      assert.type(r.milestones[k], "number", k);
    }
    assert.ok(r.milestones.pid1 < r.milestones.network && r.milestones.network < r.milestones.ready);
    assert.ok(r.milestones.registered < r.milestones.api_answers && r.milestones.api_answers < r.milestones.reboot_ready);
  } finally {
    await grid.stop();
  }
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
