// The flist driver as the node runs it (its manifests/node.json entry, under the kernel, over Cap'n Proto
// through the membrane) against the dev hub: prepare → the verified tree, shared per md5; VM flists give
// kernel/initrd/image paths that are always inside the root; both formats; a large flist decoded by the
// driver's worker threads inside its sandbox; writable roots per VM and
// their release; md5 mismatch, hub down, a tampered block, and the escapes of its grant: hosts outside
// the hubs, file:// and dir:// routes, another twin's VM, a narrowed grant.
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type KernelHandle, startKernel } from "../../kernel/mod.ts";
import { NODE_MANIFEST } from "../../modules/node.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { startHub, type RunningHub } from "../../grid/hub/mod.ts";
import { pushToHub } from "../../grid/hub/push.ts";
import { DirStore, hex, packFlist, readFlist } from "../lib/flist/mod.ts";
import { describeTree, makeSourceTree } from "../lib/flist/test-helpers.ts";
import { flistClient } from "./client.ts";
import { VM_GID } from "../lib/linux-groups.ts";
import { canAs } from "../lib/fs/test/as-uid.ts";
import { rootOnly } from "../../tools/test-env.ts";

const t = suite("flist driver");
const dir = tempDir("zt-flist-drv-");
let kernel: KernelHandle;
let hub: RunningHub;
let evil: Server;
let evilBase = "";
let deadHost = "";
const urls: Record<string, string> = {};
const srcs: Record<string, string> = {};

// through the client the provision module binds (capabilities/flist/client.ts)
const fc = (grant = "flist") => flistClient((fn) => kernel.kernel.grantFor("holder", grant).then(fn));
const prepare = (url: string, grant = "flist") => fc(grant).prepare(url);
const release = (hash: string, grant = "flist") => fc(grant).release(hash);
const writable = (owner: number, vm: string, url: string, size: number, grant = "flist") => fc(grant).writable(owner, vm, url, BigInt(size));
const drop = (owner: number, vm: string, grant = "flist") => fc(grant).dropWritable(owner, vm);
const list = () => fc().list();
const refusal = (p: Promise<unknown>) => p.then(() => "", (e: Error) => e.message);
const rootsDir = () => join(dir, "state", "flist", "roots");

t.before(() => setup().catch((e) => {
  console.error("setup failed:", e);
  throw e;
}));

async function setup() {
  hub = await startHub({ dir: join(dir, "hub") });
  const push = async (name: string, make: (root: string) => void) => {
    const src = join(dir, `src-${name.replace(/\W/g, "-")}`);
    mkdirSync(src, { recursive: true });
    make(src);
    srcs[name] = src;
    urls[name] = (await pushToHub({ hubUrl: hub.url, source: src, name })).url;
  };
  await push("t/box.fl", (r) => makeSourceTree(r));
  await push("t/legacy.flist", (r) => makeSourceTree(r));
  await push("t/big.fl", (r) => makeSourceTree(r, 4)); // enough blocks for the decode pool
  await push("t/vm.fl", (r) => {
    mkdirSync(join(r, "boot"));
    writeFileSync(join(r, "boot/vmlinuz-6.1"), "kernel");
    symlinkSync("vmlinuz-6.1", join(r, "boot/vmlinuz"));
    writeFileSync(join(r, "boot/initrd.img"), "initrd");
    writeFileSync(join(r, "image.raw"), new Uint8Array(600 * 1024).fill(7));
    mkdirSync(join(r, "bin"));
    writeFileSync(join(r, "bin/su"), "setuid program", { mode: 0o755 });
    chmodSync(join(r, "bin/su"), 0o4755);
  });
  // absolute symlinks that would leave the root if resolved on the host
  await push("t/trap.fl", (r) => {
    symlinkSync("/etc", join(r, "boot"));
    symlinkSync("/etc/passwd", join(r, "image.raw"));
  });
  // a hub that lies: a wrong md5, flists routing to a host or a local folder the driver may not read
  const box = readFileSync(join(dir, "hub", "flists", "t", "box.fl"));
  const routed = async (route: string) => {
    const fl = join(dir, `routed-${createHash("md5").update(route).digest("hex")}.fl`);
    const src = join(dir, "routed-src");
    if (!existsSync(src)) makeSourceTree(src);
    await packFlist({ source: src, output: fl, store: new DirStore(join(dir, "routed-store")), routes: [{ start: 0, end: 255, url: route }] });
    return readFileSync(fl);
  };
  const files: Record<string, Uint8Array> = {
    "/x/bad.fl": box,
    "/x/bad.fl.md5": new TextEncoder().encode(`${"0".repeat(32)}\n`),
    "/x/elsewhere.fl": await routed("http://127.0.0.1:9/blocks"),
    "/x/local.fl": await routed("dir:///etc"),
  };
  for (const k of ["/x/elsewhere.fl", "/x/local.fl"]) files[`${k}.md5`] = new TextEncoder().encode(createHash("md5").update(files[k]).digest("hex"));
  evil = createServer((req, res) => {
    const body = files[req.url ?? ""];
    res.writeHead(body ? 200 : 404);
    res.end(body ?? "");
  });
  await new Promise<void>((r) => evil.listen(0, "127.0.0.1", () => r()));
  evilBase = `http://127.0.0.1:${(evil.address() as { port: number }).port}`;
  // a port nothing listens on: the hub is down
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  deadHost = `127.0.0.1:${(probe.address() as { port: number }).port}`;
  await new Promise<void>((r) => probe.close(() => r()));

  const node = JSON.parse(readFileSync(NODE_MANIFEST, "utf8").replace(/^\s*\/\/.*$/gm, ""));
  const hubHost = new URL(hub.url).host;
  const manifest = {
    version: 1,
    root: join(NODE_MANIFEST, "..", ".."),
    description: "flist driver.test.ts: the node's flist driver and a module holding its grants",
    processes: {
      flist: node.processes.flist,
      holder: {
        kind: "module",
        entry: "modules/registrar/test/grant-holder.ts",
        grants: {
          flist: { from: "flist", cap: "flist" },
          twin7: { from: "flist", cap: "flist", restrictions: { owners: [7] } },
          narrow: { from: "flist", cap: "flist", restrictions: { hubs: ["127.0.0.1:1"] } },
        },
      },
    },
  };
  const path = join(dir, "manifest.json");
  writeFileSync(path, JSON.stringify(manifest, null, 2));
  kernel = await startKernel({
    manifest: path,
    stateDir: join(dir, "state"),
    bootTimeoutMs: 60_000,
    vars: { hubhosts: `${hubHost},${new URL(evilBase).host},${deadHost}`, hubstore: `${hub.url}/blocks` },
  });
}

t.after(async () => {
  await kernel?.stop(10_000);
  await hub?.stop();
  await new Promise<void>((r) => (evil ? evil.close(() => r()) : r()));
});

t("prepare: the verified tree, shared per md5, reference-counted", async () => {
  const a = await prepare(urls["t/box.fl"]);
  assert.is(a.kind, "container");
  assert.is(a.format, "fl");
  assert.is(a.hash, createHash("md5").update(readFileSync(join(dir, "hub", "flists", "t", "box.fl"))).digest("hex"));
  assert.is(a.root, join(rootsDir(), a.hash));
  assert.equal(describeTree(a.root), describeTree(srcs["t/box.fl"], "ro"), "the tree, its owner's bits given to the vm group");
  const b = await prepare(urls["t/box.fl"]);
  assert.is(b.root, a.root, "the same flist shares one root");
  assert.is((await list()).find((r) => r.hash === a.hash)!.refs, 2);
  await release(a.hash);
  await release(a.hash);
  assert.not.ok(existsSync(a.root), "the last release removes the root");
  assert.match(await refusal(release(a.hash)), /holds no reference/);
});

t("a large flist: decoded by the driver's own worker threads inside its sandbox, the same tree", async () => {
  const a = await prepare(urls["t/big.fl"]);
  assert.equal(describeTree(a.root), describeTree(srcs["t/big.fl"], "ro"));
  const pid = kernel.kernel.pid("flist")!;
  const threads = readdirSync(`/proc/${pid}/task`).map((id) => readFileSync(`/proc/${pid}/task/${id}/comm`, "utf8").trim());
  assert.ok(threads.some((n) => /^worker-\d+$/.test(n)), `the decode pool's threads run in the driver (threads: ${threads.join(", ")})`);
  await release(a.hash);
});

t("a legacy .flist (blocks from the configured store) gives the same tree", async () => {
  const l = await prepare(urls["t/legacy.flist"]);
  assert.is(l.format, "flist");
  assert.equal(describeTree(l.root), describeTree(srcs["t/legacy.flist"], "ro"));
  await release(l.hash);
});

t("VM flists: kernel, initrd and image paths inside the root; set-id bits never reach the host", async () => {
  const v = await prepare(urls["t/vm.fl"]);
  assert.is(v.kind, "vm");
  assert.is(v.image, join(v.root, "image.raw"));
  assert.is(v.kernel, join(v.root, "boot/vmlinuz-6.1"), "the symlink is resolved inside the root");
  assert.is(readFileSync(v.initrd!, "utf8"), "initrd");
  assert.is(lstatSync(join(v.root, "bin/su")).mode & 0o7777, 0o755);
  const trap = await prepare(urls["t/trap.fl"]);
  assert.is(trap.kind, "container");
  assert.is(trap.kernel, undefined, "boot → /etc is resolved in the root, not on the host");
  assert.is(trap.image, undefined, "image.raw → /etc/passwd is not the host's passwd");
  await release(v.hash);
  await release(trap.hash);
});

t("writable roots: a copy per VM, limited, idempotent, dropped with the last reference", async () => {
  const w = await writable(7, "vm1", urls["t/box.fl"], 64 * 2 ** 20);
  assert.is(w.path, join(dir, "state", "flist", "rw", "7-vm1"));
  assert.equal(describeTree(w.path), describeTree(srcs["t/box.fl"], "rw"), "the tree, read-write for the vm group");
  writeFileSync(join(w.path, "etc/hostname"), "changed\n");
  const root = join(rootsDir(), w.hash);
  assert.is(readFileSync(join(root, "etc/hostname"), "utf8"), "flist-test\n", "the shared root is untouched");
  assert.equal(await writable(7, "vm1", urls["t/box.fl"], 64 * 2 ** 20), w, "idempotent");
  assert.match(await refusal(writable(7, "vm1", urls["t/vm.fl"], 64 * 2 ** 20)), /already has a writable root from another flist/);
  assert.match(await refusal(writable(7, "vm2", urls["t/box.fl"], 1000)), /more than the 1000 bytes asked/);
  assert.match(await refusal(writable(7, "../x", urls["t/box.fl"], 2 ** 30)), /VM name/);
  // a grant limited to twin 7 cannot make or drop twin 8's
  assert.match(await refusal(writable(8, "vm1", urls["t/box.fl"], 2 ** 30, "twin7")), /denied: flist: holder may not act for twin 8/);
  assert.match(await refusal(drop(8, "vm1", "twin7")), /denied/);
  await drop(7, "vm1", "twin7");
  assert.not.ok(existsSync(w.path));
  assert.not.ok(existsSync(root), "no reference left: the root went too");
});

t("the vm group: it reads roots and writes writable copies, nothing else of the driver's; without it, nothing", async () => {
  if (!rootOnly("the vm group under a root kernel")) return;
  const groups = readFileSync(`/proc/${kernel.kernel.pid("flist")}/status`, "utf8").match(/^Groups:\s*(.*)$/m)![1].trim();
  assert.is(groups, String(VM_GID), "the flist driver runs with the vm group only");
  const a = await prepare(urls["t/box.fl"]);
  const w = await writable(7, "vmg", urls["t/box.fl"], 64 * 2 ** 20);
  const state = join(dir, "state", "flist");
  const qemu = [VM_GID]; // as QEMU runs: the hypervisor's uid, the vm group
  const uid = 62991;
  try {
    assert.ok(canAs(uid, qemu, "read", join(a.root, "etc/ssl/key.pem")), "a 0600 file of the flist is readable by the group");
    assert.ok(canAs(uid, qemu, "read", join(a.root, "usr/bin/tool")));
    assert.not.ok(canAs(uid, qemu, "write", join(a.root, "etc/hostname")), "a shared root is read-only");
    assert.not.ok(canAs(uid, qemu, "create", join(a.root, "new")), "nothing is added to a shared root");
    assert.ok(canAs(uid, qemu, "write", join(w.path, "etc/ssl/key.pem")), "the VM's writable copy is read-write");
    assert.ok(canAs(uid, qemu, "create", join(w.path, "etc/new")));
    // the group grants no more than that: not the driver's downloads, state or listings
    assert.not.ok(canAs(uid, qemu, "read", join(state, "state.json")));
    assert.not.ok(canAs(uid, qemu, "read", join(state, "flists", `${a.hash}.fl`)));
    assert.not.ok(canAs(uid, qemu, "list", join(state, "roots")), "roots are reached by path, never listed");
    assert.not.ok(canAs(uid, qemu, "list", state));
    // without the group: nothing at all
    for (const p of [join(a.root, "etc/hostname"), join(a.root, "usr/bin/tool"), join(w.path, "etc/hostname")]) {
      assert.not.ok(canAs(uid, [], "read", p), `${p} is closed to a uid without the vm group`);
    }
    assert.not.ok(canAs(uid, [], "write", join(w.path, "etc/hostname")));
  } finally {
    await drop(7, "vmg");
    await release(a.hash);
  }
});

t("a writable root in a quota-limited volume: filled by the driver, writing past the limit fails (EDQUOT), the subvolume's delete removes the guest's files", async () => {
  if (!rootOnly("a btrfs volume on a loop device")) return;
  // as the blockdev driver makes a VM's rootfs volume: a subvolume with a qgroup limit, vm group 2770
  const mnt = join(dir, "state", "blockdev", "mnt", "zp1");
  const img = join(dir, "zp1.img");
  mkdirSync(mnt, { recursive: true });
  writeFileSync(img, "");
  truncateSync(img, 300 * 2 ** 20);
  execFileSync("mkfs.btrfs", ["-q", img]);
  execFileSync("mount", ["-o", "loop", img, mnt]);
  const vol = join(mnt, "7-vmq.rootfs");
  const uid = 62992; // as QEMU runs: the hypervisor's uid with the vm group
  const asQemu = (script: string) => spawnSync("setpriv", [`--reuid=${uid}`, `--regid=${uid}`, `--groups=${VM_GID}`, "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "/bin/sh", "-c", script, "sh", vol], { encoding: "utf8" });
  try {
    execFileSync("btrfs", ["quota", "enable", mnt]);
    execFileSync("btrfs", ["-q", "subvolume", "create", vol]);
    execFileSync("btrfs", ["qgroup", "limit", String(8 * 2 ** 20), vol]);
    chownSync(vol, 0, VM_GID);
    chmodSync(vol, 0o2770);
    const w = await fc().writable(7, "vmq", urls["t/box.fl"], BigInt(8 * 2 ** 20), "zp1/7-vmq.rootfs");
    assert.is(w.path, vol, "the root is the volume itself");
    assert.equal(describeTree(vol), describeTree(srcs["t/box.fl"], "rw"), "the flist's tree, read-write for the vm group");
    assert.equal(await fc().writable(7, "vmq", urls["t/box.fl"], BigInt(8 * 2 ** 20), "zp1/7-vmq.rootfs"), w, "idempotent");
    // the guest's writes (QEMU's uid through 9p): a small file fits, 16 MiB into an 8 MiB volume does not
    assert.is(asQemu('mkdir "$1/guest" && echo hi > "$1/guest/small"').status, 0);
    const big = asQemu('dd if=/dev/zero of="$1/guest/big" bs=1M count=16 conv=fsync');
    assert.is.not(big.status, 0, "writing past the volume's limit fails");
    assert.match(big.stderr, /Disk quota exceeded/);
    // refusals: another twin's volume, paths out of the pools, a volume that is not there
    assert.match(await refusal(fc().writable(8, "vmq", urls["t/box.fl"], BigInt(2 ** 30), "zp1/7-vmq.rootfs")), /denied: flist: volume zp1\/7-vmq\.rootfs is not twin 8's/);
    assert.match(await refusal(fc().writable(7, "vmx", urls["t/box.fl"], BigInt(2 ** 30), "zp1/../7-x")), /must be "<pool>\/<id>"/);
    assert.match(await refusal(fc().writable(7, "vmx", urls["t/box.fl"], BigInt(2 ** 30), "zp1/7-none")), /no volume zp1\/7-none/);
    assert.match(await refusal(fc("twin7").writable(8, "vmx", urls["t/box.fl"], BigInt(2 ** 30), "zp1/8-x")), /may not act for twin 8/);
    // dropping leaves the volume to its owner (the storage module); its subvolume delete takes the guest's files too
    await drop(7, "vmq");
    assert.ok(existsSync(join(vol, "guest", "small")), "the guest's file (another uid's) is still there");
    execFileSync("btrfs", ["-q", "subvolume", "delete", vol]);
    assert.not.ok(existsSync(vol), "gone, whoever owned what was inside");
  } finally {
    spawnSync("umount", [mnt]);
    rmSync(img, { force: true });
  }
});

t("md5 mismatch, hub down, unknown flist: clear errors, nothing cached", async () => {
  assert.match(await refusal(prepare(`${evilBase}/x/bad.fl`)), /has md5 [0-9a-f]{32}, the hub's \.md5 says 0{32}/);
  assert.match(await refusal(prepare(`http://${deadHost}/t/box.fl`)), /cannot reach http:\/\/127\.0\.0\.1:\d+\/t\/box\.fl\.md5 .*is the hub up/);
  assert.match(await refusal(prepare(`${hub.url}/t/none.fl`)), /HTTP 404 \(no such flist on the hub\)/);
  assert.equal(readdirSync(rootsDir()), []);
});

t("a block tampered on the hub: an error naming it, no root left", async () => {
  const f = readFlist(join(dir, "hub", "flists", "t", "vm.fl"), { allowSetId: true });
  const id = hex(f.entries.find((e) => e.path === "image.raw")!.blocks[0].id);
  const file = join(dir, "hub", "blocks", id.slice(0, 2), id);
  const data = readFileSync(file);
  data[10] ^= 1;
  writeFileSync(file, data);
  try {
    assert.match(await refusal(prepare(urls["t/vm.fl"])), new RegExp(`block ${id}: stored bytes do not match`));
    assert.equal(readdirSync(rootsDir()), []);
  } finally {
    data[10] ^= 1;
    writeFileSync(file, data);
  }
});

t("escapes: other hosts, other schemes, routes elsewhere, a narrowed grant", async () => {
  assert.match(await refusal(prepare("http://127.0.0.1:1/t/box.fl")), /denied: flist: flist host 127\.0\.0\.1:1 is not one of the hubs/);
  assert.match(await refusal(prepare("http://169.254.169.254/latest/meta-data.fl")), /denied/);
  assert.match(await refusal(prepare("file:///etc/passwd.fl")), /denied: flist: file:\/\/ URLs are not fetched/);
  assert.match(await refusal(prepare(`${hub.url}/t/box.fl?x=1`)), /no credentials, query or fragment/);
  assert.match(await refusal(prepare(`${hub.url}/t/`)), /does not name an \.fl or \.flist/);
  assert.match(await refusal(prepare(`${evilBase}/x/elsewhere.fl`)), /denied: flist: block store host 127\.0\.0\.1:9 is not one of the hubs/);
  assert.match(await refusal(prepare(`${evilBase}/x/local.fl`)), /denied: flist: block store dir:\/\/ is not allowed/);
  assert.match(await refusal(prepare(urls["t/box.fl"], "narrow")), /denied: .*is not one of the hubs this driver may reach \(none\)/);
  assert.equal(readdirSync(rootsDir()), []);
});

t.run();
