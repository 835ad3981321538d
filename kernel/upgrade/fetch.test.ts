// How a node gets a release without the kernel fetching or decoding anything: the node's flist driver (its
// manifests/node.json entry, under the kernel) answers the channel's md5 and materialises the flist from the
// dev hub, through a reference the kernel holds narrowed to that hub (Kernel.kernelGrant); the kernel copies
// the tree into its own folder and verifies it against the tree digest release.json pins — the digest
// `zos release push` prints. A tampered tree, a symlink and a hub outside the grant are refused; the kernel's
// own import graph holds no flist decoder and no HTTP client.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { pushToHub } from "../../grid/hub/push.ts";
import { type RunningHub, startHub } from "../../grid/hub/mod.ts";
import { NODE_MANIFEST } from "../../modules/node.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { Flist$Client } from "../../capabilities/schema/gen/flist.ts";
import { denoBinary, repoRoot } from "../sandbox.ts";
import { type KernelEvent, type KernelHandle, startKernel } from "../mod.ts";
import { writeReleaseInfo } from "./build.ts";
import { copyReleaseTree, hubHostPort, installRelease, type ReleaseFlist } from "./fetch.ts";
import { pushRelease } from "./push.ts";
import { ReleaseError, verifyRelease } from "./release.ts";
import { ensureUpgradeDirs } from "./state.ts";

const t = suite("release fetch through the flist driver");
const dir = tempDir("zt-upgrade-fetch-");
let hub: RunningHub;
let kernel: KernelHandle;
const events: KernelEvent[] = [];

/** The agent's view of the kernel's flist reference (as kernel/upgrade/agent.ts makes it). */
async function kernelFlist(hubs: string[]): Promise<ReleaseFlist & { close(): void }> {
  const cap = await kernel.kernel.kernelGrant("flist", "flist", { hubs });
  const c = new Flist$Client(cap);
  return {
    md5: async (url) => (await c.md5((p) => (p.url = url)).promise()).md5,
    prepare: async (url) => JSON.parse((await c.prepare((p) => (p.url = url)).promise()).json),
    release: async (hash) => void await c.release((p) => (p.hash = hash)).promise(),
    close: () => cap.close(),
  };
}

/** A small release tree (the release.test.ts shape). */
function release(name: string, version: string): string {
  const d = join(dir, name);
  for (const f of ["capabilities/store", "modules/app", "kernel", "manifests"]) mkdirSync(join(d, f), { recursive: true });
  writeFileSync(join(d, "capabilities/store/main.ts"), "// store\n");
  writeFileSync(join(d, "modules/app/main.ts"), "// app\n");
  writeFileSync(join(d, "kernel/mod.js"), "export {};\n");
  writeFileSync(join(d, "manifests/node.json"), JSON.stringify({
    version: 1,
    processes: {
      store: { kind: "driver", entry: "capabilities/store/main.ts", exposes: { kv: { interface: "Kv" } } },
      app: { kind: "module", entry: "modules/app/main.ts", grants: { kv: { from: "store", cap: "kv" } } },
    },
  }));
  writeReleaseInfo(d, version);
  return d;
}

t.before(async () => {
  hub = await startHub({ dir: join(dir, "hub") });
  const node = JSON.parse(readFileSync(NODE_MANIFEST, "utf8").replace(/^\s*\/\/.*$/gm, ""));
  const path = join(dir, "manifest.json");
  writeFileSync(path, JSON.stringify({ version: 1, root: join(NODE_MANIFEST, "..", ".."), processes: { flist: node.processes.flist } }));
  kernel = await startKernel({
    manifest: path, stateDir: join(dir, "state"), bootTimeoutMs: 60_000, onEvent: (e) => events.push(e),
    vars: { hubhosts: hubHostPort(hub.url), hubstore: `${hub.url}/blocks` },
  });
});

t.after(async () => {
  await kernel?.stop(10_000);
  await hub?.stop();
});

t("the driver fetches and materialises the release; the kernel's verified copy is pinned by the digest push printed", async () => {
  const src = release("rel-a", "1.0.0");
  const pushed = await pushRelease({ hubUrl: hub.url, dir: src, channel: "tf-zos/zos-fetch.fl" });
  assert.is(pushed.hash, verifyRelease(src).info.tree_sha256, "push prints the tree digest release.json pins");
  const up = ensureUpgradeDirs(join(dir, "state"));
  const flist = await kernelFlist([hubHostPort(hub.url)]);
  try {
    assert.is(await flist.md5(pushed.url), pushed.md5, "the change check: the hub's md5, through the driver");
    const got = await installRelease(flist, pushed.url, up);
    assert.is(got.hash, pushed.hash);
    assert.is(got.md5, pushed.md5);
    assert.is(got.release.dir, join(up, "releases", pushed.hash));
    assert.is(got.release.info.version, "1.0.0");
    assert.equal(readdirSync(join(up, "downloads")), [], "no staging left");
  } finally {
    flist.close();
  }
  // the node starts its flist driver on demand: the kernel's use starts it as any grantee's would
  const node = JSON.parse(readFileSync(NODE_MANIFEST, "utf8").replace(/^\s*\/\/.*$/gm, ""));
  if (node.processes.flist.start === "on-demand") {
    assert.ok(events.some((e) => e.event === "starting-on-demand" && e.process === "flist" && e.by === "kernel"), "started on demand for the kernel");
  }
  const granted = events.find((e) => e.event === "granted" && e.process === "kernel");
  assert.equal({ provider: granted?.provider, restrictions: granted?.restrictions }, { provider: "flist", restrictions: { hubs: [hubHostPort(hub.url)] } });
  const roots = readdirSync(join(dir, "state", "flist", "roots"));
  assert.equal(roots, [], "the driver's root was released once the kernel had its copy");
});

t("a tree that does not match its release.json is refused and nothing is kept", async () => {
  const src = release("rel-bad", "1.0.1");
  appendFileSync(join(src, "modules/app/main.ts"), "globalThis.evil = 1;\n");
  const { url } = await pushToHub({ hubUrl: hub.url, source: src, name: "tf-zos/zos-bad.fl" });
  const up = ensureUpgradeDirs(join(dir, "state-bad"));
  const flist = await kernelFlist([hubHostPort(hub.url)]);
  try {
    const err = await installRelease(flist, url, up).then(() => null, (e: Error) => e);
    assert.instance(err, ReleaseError);
    assert.match(err!.message, /modules\/app\/main\.ts has sha256 [0-9a-f]{64}, release\.json says [0-9a-f]{64} \(corrupt or tampered\)/);
    assert.equal(readdirSync(join(up, "releases")), []);
    assert.equal(readdirSync(join(up, "downloads")), []);
  } finally {
    flist.close();
  }
});

t("the kernel's reference reaches only the hub it names; a symlink in a tree is never followed", async () => {
  const flist = await kernelFlist(["127.0.0.1:1"]);
  try {
    const why = await flist.md5(`${hub.url}/tf-zos/zos-fetch.fl`).then(() => "", (e: Error) => e.message);
    assert.match(why, /denied: flist: flist host .* is not one of the hubs this driver may reach/);
  } finally {
    flist.close();
  }
  const tree = join(dir, "with-link");
  mkdirSync(tree);
  symlinkSync("/etc/passwd", join(tree, "passwd"));
  assert.throws(() => copyReleaseTree(tree, join(dir, "with-link-copy")), /passwd is not a regular file/);
  assert.not.ok(existsSync(join(dir, "with-link-copy", "passwd")));
});

t("the kernel's import graph holds no flist decoder and no HTTP client (the driver does both)", () => {
  const r = spawnSync(denoBinary(), ["info", "--json", "--no-lock", join(repoRoot, "kernel/mod.ts")], { encoding: "utf8", maxBuffer: 64 << 20, cwd: repoRoot });
  assert.is(r.status, 0, r.stderr);
  const files = (JSON.parse(r.stdout).modules as { specifier: string }[]).map((m) => m.specifier).filter((s) => s.startsWith("file://")).map((s) => s.slice(`file://${repoRoot}/`.length));
  assert.ok(files.includes("kernel/upgrade/agent.ts"), "the upgrade agent is in the kernel");
  const flistCode = files.filter((f) => (f.startsWith("capabilities/lib/flist/") && f !== "capabilities/lib/flist/tree-digest.ts") || f.startsWith("capabilities/flist/"));
  assert.equal(flistCode, [], "no flist decoding or hub download code in the kernel");
});

t.run();
