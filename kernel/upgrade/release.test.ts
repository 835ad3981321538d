// The release format and the decisions around it, without a node: verifyRelease refuses a tampered, padded
// or escaping tree; checkAuthority names what widens and what cannot be replaced live; bootRelease boots the
// active release only while it verifies; state writes are whole files.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { appendFileSync, chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tools/test-tmp.ts";
import { loadManifest, type Manifest } from "../manifest.ts";
import { checkAuthority } from "./authority.ts";
import { bootRelease } from "./boot.ts";
import { writeReleaseInfo } from "./build.ts";
import { ReleaseError, verifyRelease } from "./release.ts";
import { digestLines, treeLines } from "../../capabilities/lib/flist/tree-digest.ts";
import { readState, writeState } from "./state.ts";
import { channelUrl } from "./fetch.ts";
import { spawnSync } from "node:child_process";
import { repoRoot } from "../sandbox.ts";

function zos(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, "bin", "zos.js"), ...args], { cwd: repoRoot, encoding: "utf8" });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

type Raw = { version: 1; processes: Record<string, Record<string, unknown>> };
const BASE: Raw = {
  version: 1,
  processes: {
    store: { kind: "driver", entry: "capabilities/store/main.ts", sandbox: { read: ["${state}/store"] }, exposes: { kv: { interface: "Kv" } } },
    app: { kind: "module", entry: "modules/app/main.ts", grants: { kv: { from: "store", cap: "kv" } } },
  },
};

function release(version: string, raw: Raw = BASE): string {
  const dir = tempDir("zt-upgrade-rel-");
  for (const f of ["capabilities/store/main.ts", "modules/app/main.ts", "kernel/mod.js", "manifests/node.json"]) mkdirSync(join(dir, f, ".."), { recursive: true });
  writeFileSync(join(dir, "capabilities/store/main.ts"), "// store\n");
  writeFileSync(join(dir, "modules/app/main.ts"), "// app\n");
  writeFileSync(join(dir, "kernel/mod.js"), "export {};\n");
  writeFileSync(join(dir, "manifests/node.json"), JSON.stringify(raw, null, 2));
  writeReleaseInfo(dir, version);
  return dir;
}

function manifestOf(raw: Raw): Manifest {
  const r = loadManifest(join(release("0.0.1", raw), "manifests/node.json"));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.manifest;
}

function throwsRelease(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ReleaseError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected ${re}`);
}

test("a built tree verifies: version, manifest rooted in the release, every entry inside it", () => {
  const dir = release("1.2.3");
  const r = verifyRelease(dir);
  assert.is(r.info.version, "1.2.3");
  assert.is(r.manifest.root, dir);
  assert.equal(Object.keys(r.info.files).sort(), ["capabilities/store/main.ts", "kernel/mod.js", "manifests/node.json", "modules/app/main.ts", "package.json"]);
});

test("one tree hash: release.json pins the tree-digest.ts digest (the QEMU extension's scheme) of the tree without itself", () => {
  const dir = release("1.2.4");
  const r = verifyRelease(dir);
  assert.is(r.info.tree_sha256, digestLines(treeLines(dir).filter((l) => !l.startsWith("f release.json "))));
  // the runtime link the installer adds is not part of the release
  mkdirSync(join(dir, "node_modules/deno"), { recursive: true });
  symlinkSync(process.execPath, join(dir, "node_modules/deno/deno"));
  assert.is(verifyRelease(dir, r.info.tree_sha256).info.tree_sha256, r.info.tree_sha256);
  throwsRelease(() => verifyRelease(dir, "c".repeat(64)), /release\.json pins tree [0-9a-f]{64}, not the release c{64} expected here/);
  // what the per-file list cannot see, the digest does: a new folder, a mode
  const a = release("1.2.4");
  mkdirSync(join(a, "empty"));
  throwsRelease(() => verifyRelease(a), /its tree has sha256 [0-9a-f]{64}, release\.json pins [0-9a-f]{64} \(a folder or a file's mode differs\)/);
  const b = release("1.2.4");
  chmodSync(join(b, "kernel/mod.js"), 0o755);
  throwsRelease(() => verifyRelease(b), /a folder or a file's mode differs/);
  const c = release("1.2.4");
  symlinkSync("/etc/passwd", join(c, "modules/passwd"));
  throwsRelease(() => verifyRelease(c), /modules\/passwd is a symlink \(a release holds only files and folders\)/);
});

test("a changed byte, a missing file, an unlisted file or a symlink are refused, naming the file", () => {
  const a = release("1.0.0");
  appendFileSync(join(a, "modules/app/main.ts"), "globalThis.evil = 1;\n");
  throwsRelease(() => verifyRelease(a), /modules\/app\/main\.ts has sha256 [0-9a-f]{64}, release\.json says [0-9a-f]{64} \(corrupt or tampered\)/);
  const b = release("1.0.0");
  writeFileSync(join(b, "modules/extra.js"), "x");
  throwsRelease(() => verifyRelease(b), /1 file\(s\) not listed in release\.json, first modules\/extra\.js/);
  const c = release("1.0.0");
  const info = JSON.parse(readFileSync(join(c, "release.json"), "utf8"));
  info.version = "2.0.0";
  writeFileSync(join(c, "release.json"), JSON.stringify(info));
  throwsRelease(() => verifyRelease(c), /package\.json version "1\.0\.0" differs from release\.json's 2\.0\.0/);
  throwsRelease(() => verifyRelease(tempDir("zt-upgrade-empty-")), /no release\.json \(not a release/);
});

test("a manifest whose entries or root point outside the release is refused", () => {
  const raw = structuredClone(BASE);
  (raw as Record<string, unknown>).root = "/";
  const dir = tempDir("zt-upgrade-rel-");
  mkdirSync(join(dir, "manifests"), { recursive: true });
  mkdirSync(join(dir, "kernel"), { recursive: true });
  writeFileSync(join(dir, "kernel/mod.js"), "");
  writeFileSync(join(dir, "manifests/node.json"), JSON.stringify({ ...raw, root: "/", processes: { app: { kind: "module", entry: "etc/hostname" } } }));
  writeReleaseInfo(dir, "1.0.0");
  throwsRelease(() => verifyRelease(dir), /manifest's root must be the release folder/);
});

test("checkAuthority: a new permission, grant or capability widens; a narrowing does not; the process list must stay", () => {
  const base = manifestOf(BASE);
  assert.equal(checkAuthority(base, manifestOf(BASE)), { widening: [], structural: null });
  const wider = structuredClone(BASE);
  wider.processes.store.sandbox = { read: ["${state}/store", "/etc"] };
  wider.processes.store.linux = { capabilities: ["CAP_NET_ADMIN"] };
  assert.equal(checkAuthority(base, manifestOf(wider)).widening, ["store: linux capability CAP_NET_ADMIN", "store: permission read=/etc"]);
  const narrower = structuredClone(BASE);
  narrower.processes.store.sandbox = { read: [] };
  assert.equal(checkAuthority(base, manifestOf(narrower)).widening, []);
  const added = structuredClone(BASE);
  added.processes.extra = { kind: "module", entry: "modules/app/main.ts" };
  const c = checkAuthority(base, manifestOf(added));
  assert.ok(c.widening.includes("extra: process added"));
  assert.match(String(c.structural), /changes the process list \(running: store, app; release: store, app, extra\)/);
});

test("bootRelease: the active release while it verifies, else the installed one with a note", () => {
  const state = tempDir("zt-upgrade-state-");
  const installed = join(release("0.9.0"), "manifests/node.json");
  assert.equal(bootRelease(state, installed), { manifest: installed, version: "0.9.0", hash: null, note: null });
  const dir = release("1.0.0");
  const hash = verifyRelease(dir).info.tree_sha256;
  writeState(state, { active: { hash, md5: "b".repeat(32), version: "1.0.0", dir }, previous: null, failed: [] });
  assert.equal(readState(state).active?.version, "1.0.0");
  const b = bootRelease(state, installed);
  assert.equal(b, { manifest: join(dir, "manifests/node.json"), version: "1.0.0", hash, note: null });
  appendFileSync(join(dir, "kernel/mod.js"), "// tampered\n");
  const f = bootRelease(state, installed);
  assert.is(f.manifest, installed);
  assert.match(String(f.note), new RegExp(`active release 1\\.0\\.0 \\(${hash}\\) does not verify, booting the installed release: .*kernel/mod\\.js has sha256`));
  // another release's tree in its place (consistent in itself) is not the pinned one
  const other = release("1.0.0");
  writeFileSync(join(other, "modules/app/main.ts"), "// another app\n");
  writeReleaseInfo(other, "1.0.0");
  writeState(state, { active: { hash, md5: "b".repeat(32), version: "1.0.0", dir: other }, previous: null, failed: [] });
  assert.match(String(bootRelease(state, installed).note), /pins tree [0-9a-f]{64}, not the release [0-9a-f]{64} expected here/);
});

test("channel names are <repo>/<name>.fl on the hub", () => {
  assert.is(channelUrl("http://127.0.0.1:1/", "tf-zos/zos-dev.fl"), "http://127.0.0.1:1/tf-zos/zos-dev.fl");
  for (const bad of ["zos-dev.fl", "../x/y.fl", "tf-zos/zos-dev.flist", "a/b/c.fl"]) throwsRelease(() => channelUrl("http://h", bad), /must be <repo>\/<name>\.fl/);
});

test("`zos release`: --help, --json, exit 0 verified / 1 refused / 2 bad usage, errors without stack traces", () => {
  assert.is(zos("release", "--help").code, 0);
  const dir = release("3.1.4");
  const ok = zos("release", "verify", dir, "--json");
  assert.is(ok.code, 0, ok.err);
  assert.equal(JSON.parse(ok.out), { dir, version: "3.1.4", files: 5, processes: 2, tree_sha256: verifyRelease(dir).info.tree_sha256 });
  appendFileSync(join(dir, "kernel/mod.js"), "x");
  const bad = zos("release", "verify", dir);
  assert.is(bad.code, 1);
  assert.match(bad.err, /zos release verify: release .*: kernel\/mod\.js has sha256 [0-9a-f]{64}, release\.json says/);
  assert.not.match(bad.err, /\n\s+at /, "no stack trace");
  assert.is(zos("release", "verify").code, 2);
  assert.is(zos("release", "build", dir).code, 2, "no --version");
  assert.is(zos("release", "frobnicate").code, 2);
});

test.run();
