// What the image build takes from outside the repository, and that it takes nothing else: bundles made
// by the esbuild from the lock (reproducible, self-contained, runnable with an empty Deno cache), and
// the Debian kernel .deb only as pinned (version + sha256), with an error that says what to do.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { bundle, bundleArgs, esbuildBinary, nonAscii } from "./bundle.ts";
import { debFileName, ensureDeb } from "./kernel-package.ts";
import { HELPER_ENTRIES, KERNEL, OPTIONAL_HELPERS } from "../image-config.ts";
import { bundlePath, kernelWant, processStub, REPO_ROOT, unlistedHelperScripts } from "../build.ts";
import { denoBinary } from "../../kernel/sandbox.ts";
import { tempDir } from "../../tools/test-tmp.ts";

const tmp = () => tempDir("zt-image-inputs-");

test("esbuild comes from node_modules (the lock), not from a download", () => {
  const bin = esbuildBinary(REPO_ROOT);
  assert.ok(bin.startsWith(join(REPO_ROOT, "node_modules")), bin);
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8"));
  const want = lock.packages["node_modules/esbuild"]?.version;
  assert.type(want, "string", "esbuild is pinned in package-lock.json");
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  assert.is(r.stdout.trim(), want);
  assert.ok(!bundleArgs("a.ts", "b.js").some((a) => /^--(external|packages=external)/.test(a)), "npm packages are inlined");
  assert.throws(() => esbuildBinary(tmp()), /run `npm ci`/);
});

test("a process bundle is reproducible and runs with an empty Deno cache and only its own permissions", () => {
  const dir = tmp();
  const a = join(dir, "a.js"), b = join(dir, "b.js");
  // identity: npm packages (polkadot, WASM crypto) and node: built-ins, the heaviest start-up path
  bundle(REPO_ROOT, "capabilities/identity/main.ts", a);
  bundle(REPO_ROOT, "capabilities/identity/main.ts", b);
  const hash = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
  assert.is(hash(a), hash(b), "same inputs, same bundle");
  assert.not.match(readFileSync(b, "utf8"), new RegExp(REPO_ROOT.replace(/[/.]/g, "\\$&")), "no absolute build path in the bundle");
  // as in the image: the manifest's main.ts only imports its .js bundle (nothing to transpile at boot),
  // and the process runs with just its own permissions (a static import needs no read permission)
  const proc = join(dir, "capabilities", "identity");
  mkdirSync(proc, { recursive: true });
  const entry = "capabilities/identity/main.ts";
  assert.is(bundlePath(entry), "capabilities/identity/main.bundle.js");
  renameSync(a, join(dir, bundlePath(entry)));
  writeFileSync(join(dir, entry), processStub("main.bundle.js"));
  const denoDir = join(dir, "deno-dir"), state = join(dir, "state");
  const r = spawnSync(denoBinary(), ["run", "--quiet", "--no-prompt", "--no-remote", `--allow-read=${state}`, `--allow-write=${state}`, join(dir, entry), join(state, "seed.txt")], {
    cwd: dir, encoding: "utf8", env: { DENO_DIR: denoDir, NO_COLOR: "1", PATH: "/usr/bin:/bin" }, input: "", timeout: 60_000,
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /identity: node \w+ \(new seed\)/);
  assert.ok(existsSync(join(state, "seed.txt")));
  // nothing was fetched into the empty cache: its npm/jsr/remote module folders stay empty
  const fetched = ["npm", "remote", "jsr", "deps"].filter((n) => existsSync(join(denoDir, n)) && readdirSync(join(denoDir, n)).length);
  assert.equal(fetched, [], `the Deno cache got ${fetched.join(", ")}`);
});

test("a bundle is pure ASCII (V8 keeps it one byte a character), non-ASCII text still means the same, and a regex esbuild cannot escape fails the build", () => {
  const dir = tmp();
  const entry = join(dir, "entry.ts"), out = join(dir, "entry.bundle.js");
  // an em dash in a string and a comment, astral characters, a non-ASCII property name and template
  writeFileSync(entry, '/** a comment — kept? */\nconst o = { "Σ": 1 }; const w = "𝑊"; console.log(JSON.stringify(["a — b", /^\\u{1D44A}+$/u.test(w + w), Object.keys(o)[0], `→${w}`]));\n');
  bundle(REPO_ROOT, entry, out);
  assert.is(nonAscii(readFileSync(out, "utf8")), null);
  const r = spawnSync(denoBinary(), ["run", "--quiet", "--no-prompt", out], { encoding: "utf8", env: { DENO_DIR: join(dir, "deno-dir"), NO_COLOR: "1", PATH: "/usr/bin:/bin" }, timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), ["a — b", true, "Σ", "→𝑊"]);
  // esbuild writes regular expression literals as they are: the build says where and what to do
  writeFileSync(entry, 'console.log(/a—b/.test("a—b"));\n');
  assert.throws(() => bundle(REPO_ROOT, entry, out), (e: Error) => /entry\.ts is not pure ASCII/.test(e.message) && /line \d+:\d+ .*a—b/.test(e.message) && /\\u escape/.test(e.message));
});

test("the pinned kernel: only the pin's sha256 is ever used", () => {
  const dir = tmp();
  assert.equal(kernelWant(undefined), { ...KERNEL });
  assert.equal(kernelWant(KERNEL.package), { ...KERNEL });
  assert.equal(kernelWant("linux-image-6.1.0-99-amd64"), { package: "linux-image-6.1.0-99-amd64" }, "an explicit other package is unpinned");
  assert.match(KERNEL.sha256, /^[0-9a-f]{64}$/);
  // a cached .deb with the pin's hash is used as is (no apt involved)
  const body = new TextEncoder().encode("pretend .deb");
  const sha = createHash("sha256").update(body).digest("hex");
  const pin = { package: "linux-image-0.0.0-0-amd64", version: "0.0.0-1", sha256: sha };
  writeFileSync(join(dir, debFileName(pin.package, pin.version)), body);
  assert.is(ensureDeb(dir, pin), join(dir, "linux-image-0.0.0-0-amd64_0.0.0-1_amd64.deb"));
  // a cached file with another hash is thrown away; a version apt does not have says what to do
  const other = { ...pin, sha256: "0".repeat(64) };
  let msg = "";
  try {
    ensureDeb(dir, other);
  } catch (err) {
    msg = (err as Error).message;
  }
  assert.not.ok(existsSync(join(dir, debFileName(pin.package, pin.version))), "the mismatching cached .deb was removed");
  assert.match(msg, /the pinned kernel linux-image-0\.0\.0-0-amd64 0\.0\.0-1 \(KERNEL in rootfs\/image-config\.ts\) is not in apt's package lists/);
  assert.match(msg, /apt-get update/);
  assert.match(msg, /apt-cache show linux-image-<abi>-amd64/);
  assert.match(msg, /--kernel-package/);
});

test("epochs in a version are escaped the way apt-get download names the file", () => {
  assert.is(debFileName("linux-image-x", "1:6.1-2"), "linux-image-x_1%3a6.1-2_amd64.deb");
});

test("every Deno program a driver starts itself is bundled into the image (HELPER_ENTRIES), and the check sees a missing one", () => {
  assert.equal(unlistedHelperScripts(REPO_ROOT, [...HELPER_ENTRIES, ...OPTIONAL_HELPERS]), []);
  for (const h of [...HELPER_ENTRIES, ...OPTIONAL_HELPERS]) assert.ok(existsSync(join(REPO_ROOT, h)), `${h} exists`);
  const without = unlistedHelperScripts(REPO_ROOT, [...HELPER_ENTRIES, ...OPTIONAL_HELPERS].filter((h) => !h.includes("gateway")));
  assert.equal(without, ["capabilities/gateway/proxy-process.ts starts capabilities/gateway/proxy.ts"]);
});

test.run();
