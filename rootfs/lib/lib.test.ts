// The image build's pieces on the host: cpio newc writer/reader (checked against the system cpio),
// kernel-module metadata and dependency order, the file:-import guard, the no-shell listing check.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { canonicalEntries, entryKind, type ImageEntry, readNewc, writeNewc } from "./newc.ts";
import { dependencyOrder, formatModulesAlias, formatModulesDep, formatModulesSoftdep, parseModinfo } from "./kmod.ts";
import { checkSource, checkTree, literalSpecifiers } from "./import-guard.ts";
import { bootIpxe, forbiddenFiles } from "../build.ts";
import { compareWithGolden, extractImageManifest, parseJsonc, readImageManifest } from "./read-image-manifest.ts";
import { tempDir } from "../../tools/test-tmp.ts";

const tmp = () => tempDir("zt-rootfs-");

function sample(dir: string): ImageEntry[] {
  const src = join(dir, "payload.bin");
  writeFileSync(src, new Uint8Array(1000).map((_, i) => i % 251));
  return [
    { path: "usr/bin/deno", type: "file", mode: 0o755, source: src },
    { path: "dev/console", type: "char", mode: 0o600, major: 5, minor: 1 },
    { path: "init", type: "file", mode: 0o755, data: new TextEncoder().encode("#!/usr/bin/deno -A\n") },
    { path: "lib/modules/6.1/x", type: "symlink", mode: 0o777, target: "current" },
    { path: "tmp", type: "dir", mode: 0o1777 },
  ];
}

test("newc: parents added, order canonical, duplicates and escapes refused", () => {
  const list = canonicalEntries([{ path: "a/b/c", type: "file", mode: 0o644 }, { path: "a-x", type: "dir", mode: 0o755 }]);
  assert.equal(list.map((e) => e.path), ["a", "a/b", "a/b/c", "a-x"]);
  assert.throws(() => canonicalEntries([{ path: "x", type: "dir", mode: 0o755 }, { path: "/x/", type: "dir", mode: 0o755 }]), /duplicate/);
  assert.throws(() => canonicalEntries([{ path: "a/../etc", type: "file", mode: 0o644 }]), /bad image path/);
  assert.throws(() => canonicalEntries([{ path: "f", type: "file", mode: 0o644 }, { path: "f/g", type: "file", mode: 0o644 }]), /both/);
});

test("newc: round trip, reproducible bytes, and the system cpio reads it", () => {
  const dir = tmp();
  const entries = sample(dir);
  const a = join(dir, "a.cpio"), b = join(dir, "b.cpio");
  writeNewc(a, entries);
  writeNewc(b, [...entries].reverse());
  const bytesA = readFileSync(a), bytesB = readFileSync(b);
  assert.ok(bytesA.equals(bytesB), "entry order in the input must not matter");
  assert.is(bytesA.length % 512, 0);
  const read = readNewc(new Uint8Array(bytesA));
  const byPath = new Map(read.map((e) => [e.path, e]));
  assert.is(entryKind(byPath.get("dev/console")!.mode), "char");
  assert.is(byPath.get("dev/console")!.major, 5);
  assert.is(byPath.get("usr/bin/deno")!.size, 1000);
  assert.is(byPath.get("usr/bin/deno")!.data[250], 250 % 251);
  assert.is(new TextDecoder().decode(byPath.get("lib/modules/6.1/x")!.data), "current");
  assert.is(byPath.get("tmp")!.mode & 0o7777, 0o1777);
  assert.ok(read.every((e) => e.mtime === 0 && e.uid === 0 && e.gid === 0));
  const r = spawnSync("cpio", ["-itv", "--quiet"], { input: bytesA, encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /crw------- .* 5, +1 .*dev\/console/);
  assert.match(r.stdout, /-rwxr-xr-x .* 1000 .*usr\/bin\/deno/);
  assert.match(r.stdout, /lib\/modules\/6.1\/x -> current/);
});

// A minimal ELF64 with a .modinfo section (what a .ko carries), built byte by byte.
function fakeKo(modinfo: string): Uint8Array {
  const enc = new TextEncoder();
  const info = enc.encode(modinfo);
  const shstr = enc.encode("\0.modinfo\0.shstrtab\0");
  const infoOff = 64, strOff = infoOff + info.length, shoff = (strOff + shstr.length + 7) & ~7;
  const b = new Uint8Array(shoff + 3 * 64);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setBigUint64(0x28, BigInt(shoff), true);
  v.setUint16(0x3a, 64, true);
  v.setUint16(0x3c, 3, true);
  v.setUint16(0x3e, 2, true);
  b.set(info, infoOff);
  b.set(shstr, strOff);
  const sec = (i: number, name: number, off: number, size: number) => {
    v.setUint32(shoff + i * 64, name, true);
    v.setBigUint64(shoff + i * 64 + 0x18, BigInt(off), true);
    v.setBigUint64(shoff + i * 64 + 0x20, BigInt(size), true);
  };
  sec(1, 1, infoOff, info.length);
  sec(2, 10, strOff, shstr.length);
  return b;
}

test("kmod: .modinfo parsing (name, depends, aliases)", () => {
  const m = parseModinfo(fakeKo("license=GPL\0alias=virtio:d00000001v*\0depends=net_failover,virtio\0name=virtio_net\0alias=foo\0"));
  assert.equal(m, { name: "virtio_net", depends: ["net_failover", "virtio"], aliases: ["virtio:d00000001v*", "foo"], softdepPre: [] });
  const b = parseModinfo(fakeKo("softdep=pre: blake2b-256\0softdep=pre: crypto-crc32c post: x\0name=btrfs\0"));
  assert.equal(b.softdepPre, ["blake2b-256", "crypto-crc32c"]);
  const soft = formatModulesSoftdep([b, { name: "crc32c_generic", depends: [], aliases: ["crypto-crc32c"], softdepPre: [] }]);
  assert.is(soft, "softdep btrfs pre: crc32c_generic\n", "names nothing in the image provides are dropped");
  assert.equal(parseModinfo(fakeKo("depends=\0name=x\0")).depends, []);
  assert.throws(() => parseModinfo(new Uint8Array(100)), /not an ELF/);
});

test("kmod: dependency order, missing module and cycles reported", () => {
  const deps = new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []], ["d", ["a"]]]);
  assert.equal(dependencyOrder(["d"], deps), ["c", "b", "a", "d"]);
  assert.throws(() => dependencyOrder(["x"], deps), /module x is not in the kernel package/);
  assert.throws(() => dependencyOrder(["e"], new Map([["e", ["zz"]]])), /zz \(needed by e\)/);
  assert.throws(() => dependencyOrder(["p"], new Map([["p", ["q"]], ["q", ["p"]]])), /cycle/);
  const dep = formatModulesDep([{ name: "a", path: "k/a.ko" }, { name: "b", path: "k/b.ko" }, { name: "c", path: "k/c.ko" }], deps);
  assert.is(dep, "k/a.ko: k/b.ko k/c.ko\nk/b.ko: k/c.ko\nk/c.ko:\n");
  assert.is(formatModulesAlias([{ name: "kvm-intel", depends: [], aliases: ["z*", "a*"], softdepPre: [] }]), "alias a* kvm_intel\nalias z* kvm_intel\n");
});

test("import guard: literal file: imports outside the module are refused", () => {
  const dir = tmp();
  const mod = join(dir, "modules", "evil");
  mkdirSync(join(mod, "sub"), { recursive: true });
  const f = join(mod, "main.ts");
  const src = [
    `import a from "file:///etc/passwd";`,
    `export * from 'file:///root/x.ts';`,
    `const j = await import("file:///etc/shadow", { with: { type: "json" } });`,
    `import "file://${mod}/sub/ok.ts";`,
    `import b from "./sub/ok.ts";`,
    `const c = await import("file://" + path);`,
  ].join("\n");
  const v = checkSource(f, src, mod);
  assert.equal(v.map((x) => [x.line, x.specifier]), [[1, "file:///etc/passwd"], [2, "file:///root/x.ts"], [3, "file:///etc/shadow"]]);
  assert.equal(literalSpecifiers(src).map((s) => s.specifier).length, 5);
  writeFileSync(f, src);
  writeFileSync(join(mod, "sub", "ok.ts"), `import x from "file:///${dir}/modules/other/y.ts";\n`);
  mkdirSync(join(mod, "test"), { recursive: true });
  writeFileSync(join(mod, "test", "escape.ts"), `import x from "file:///etc/passwd";\n`);
  writeFileSync(join(mod, "x.test.ts"), `import x from "file:///etc/passwd";\n`);
  const t = checkTree(mod);
  assert.is(t.length, 4, "tests and fixtures are not shipped, so not checked");
  assert.ok(t.some((x) => x.file.endsWith("sub/ok.ts") && /reaches outside/.test(x.reason)));
});

test("listing check: shells, interpreters and package managers are forbidden", () => {
  const listing = [
    "file 0755   100 abc /usr/bin/deno",
    "file 0755   100 abc /init",
    "link 0777          /bin/sh -> busybox",
    "file 0755   100 abc /usr/bin/python3.11",
  ].join("\n");
  assert.equal(forbiddenFiles(listing), ["/bin/sh", "/usr/bin/python3.11"]);
  assert.equal(forbiddenFiles("file 0755 1 a /usr/bin/deno\n"), []);
  assert.match(bootIpxe("console=ttyS0"), /^#!ipxe\nkernel bzImage console=ttyS0\ninitrd initramfs.cpio.zst\nboot\n$/);
});

test("image manifest: read from the initramfs, extracted with its tree, compared with a golden", () => {
  const dir = tmp();
  const manifest = `// the node\n{ "version": 1, "processes": { "kv": { "entry": "capabilities/kv/main.ts" /* driver */ } } }\n`;
  const enc = new TextEncoder();
  writeNewc(join(dir, "initramfs.cpio"), [
    { path: "lib/zos/manifests/node.json", type: "file", mode: 0o644, data: enc.encode(manifest) },
    { path: "lib/zos/capabilities/kv/main.ts", type: "file", mode: 0o644, data: enc.encode("export {};\n") },
    { path: "init", type: "file", mode: 0o755, data: enc.encode("#!/usr/bin/deno -A\n") },
  ]);
  assert.is(readImageManifest(dir), manifest);
  const to = join(dir, "x");
  const p = extractImageManifest(dir, to);
  assert.is(p, join(to, "manifests", "node.json"));
  assert.is(readFileSync(join(to, "capabilities/kv/main.ts"), "utf8"), "export {};\n");
  assert.equal(compareWithGolden(manifest, `{"processes":{"kv":{"entry":"capabilities/kv/main.ts"}},"version":1}`), []);
  const widened = compareWithGolden(manifest.replace("kv/main.ts", "kv/evil.ts"), manifest);
  assert.is(widened.length, 1);
  assert.match(widened[0], /^process kv: entry changed: .*main\.ts.* → image .*evil\.ts/);
  const added = compareWithGolden(manifest.replace(`"processes": {`, `"processes": { "x": { "entry": "a.ts" },`), manifest);
  assert.equal(added, ["process x: added (not in the golden)"]);
  assert.equal(compareWithGolden(manifest.replace(`"version": 1`, `"version": 2`), manifest), ["version changed: golden 1 → image 2"]);
  const tricky = '{"a":"// not a comment","b":"q\\\\"/*c*/, "c": "\\"/*x*/"}';
  assert.equal(parseJsonc(tricky), { a: "// not a comment", b: "q\\", c: '"/*x*/' });
  assert.throws(() => readImageManifest(join(dir, "nothing")), /no image/);
  writeNewc(join(dir, "initramfs.cpio"), [{ path: "init", type: "file", mode: 0o755 }]);
  assert.throws(() => readImageManifest(dir), /no node manifest/);
});

test.run();
