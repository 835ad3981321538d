// The seed's FAT writer (fat.ts) read back by the reference tools (dosfstools' fsck.fat, mtools, blkid —
// on the test host only; the image carries none of them): clean filesystem, label, long names, a file over
// several clusters byte for byte, and the errors for what cannot be written.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tools/test-tmp.ts";
import { FAT_CAPACITY, fatImage } from "./fat.ts";
import { buildSeed } from "./seed.ts";

const dir = tempDir("zt-perfimage-fat-");
const have = (bin: string) => spawnSync(bin, ["--version"], { stdio: "ignore" }).error === undefined;

test.after(() => rmSync(dir, { recursive: true, force: true }));

test("a seed image is a clean FAT12 labelled CIDATA whose files mtools reads back byte for byte", () => {
  if (!have("fsck.fat") || !have("mtype")) return console.log("  (skipped: dosfstools/mtools not installed)");
  const big = new Uint8Array(9000).map((_, i) => (i * 7 + 3) & 0xff); // 5 clusters, a partial last one
  const img = join(dir, "a.vfat");
  writeFileSync(img, fatImage("CIDATA", [
    { name: "meta-data", data: new TextEncoder().encode("instance-id: x\n") },
    { name: "a-rather-long-file-name-for-three-lfn-entries.txt", data: big },
    { name: "empty", data: new Uint8Array(0) },
  ]));
  const fsck = spawnSync("fsck.fat", ["-n", img], { encoding: "utf8" });
  assert.is(fsck.status, 0, fsck.stdout + fsck.stderr);
  assert.match(fsck.stdout, / files, 6\/1014 clusters/); // 1 + 5 + 0 clusters
  const blkid = execFileSync("blkid", ["-p", "-o", "export", img], { encoding: "utf8" });
  assert.match(blkid, /^LABEL=CIDATA$/m);
  assert.match(blkid, /^TYPE=vfat$/m);
  assert.is(execFileSync("mtype", ["-i", img, "::/meta-data"], { encoding: "utf8" }), "instance-id: x\n");
  const back = execFileSync("mtype", ["-i", img, "::/a-rather-long-file-name-for-three-lfn-entries.txt"]);
  assert.equal(new Uint8Array(back), big);
  assert.is(execFileSync("mtype", ["-i", img, "::/empty"]).length, 0);
});

test("buildSeed writes the four NoCloud files, and the same spec gives the same bytes", () => {
  const spec = { hostname: "h1", network: [{ mac: "52:54:00:00:00:01", addresses: ["10.1.2.3/24"], gateway4: "10.1.2.1" }], env: { A: "b" } };
  const a = execFileSync("sha256sum", [buildSeed(dir, "7-1-x", spec as never)], { encoding: "utf8" }).split(" ")[0];
  const b = execFileSync("sha256sum", [buildSeed(dir, "7-1-x", spec as never)], { encoding: "utf8" }).split(" ")[0];
  assert.is(a, b);
  if (!have("mdir")) return;
  const list = execFileSync("mdir", ["-i", join(dir, "seed.vfat"), "-b", "::/"], { encoding: "utf8" });
  assert.equal(list.trim().split("\n").map((l) => l.replace("::/", "")).sort(), ["meta-data", "network-config", "user-data", "zosrc"]);
  assert.match(execFileSync("mtype", ["-i", join(dir, "seed.vfat"), "::/meta-data"], { encoding: "utf8" }), /local-hostname: "h1"/);
});

test("what a FAT image cannot hold is refused with the reason", () => {
  assert.throws(() => fatImage("cidata", []), /FAT label "cidata"/);
  assert.throws(() => fatImage("CIDATA", [{ name: "a/b", data: new Uint8Array(1) }]), /FAT file name "a\/b"/);
  assert.throws(() => fatImage("CIDATA", [{ name: "x", data: new Uint8Array(1) }, { name: "X", data: new Uint8Array(1) }]), /given twice/);
  assert.throws(() => fatImage("CIDATA", [{ name: "big", data: new Uint8Array(FAT_CAPACITY + 1) }]), /do not fit/);
});

test.run();
