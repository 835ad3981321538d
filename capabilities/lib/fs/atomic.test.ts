// The atomic writer every driver's state goes through: modes, parent creation, no temp file left behind, the
// old value kept when a write fails, and fsyncDir's tolerated and real errors. (That fsync reaches the disk
// is only observable with a power cut; kill -9 is covered in capabilities/kv/store.test.ts.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fsyncDir, writeAll, writeFileAtomic } from "./atomic.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import { closeSync, openSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { denoBinary } from "../../../kernel/sandbox.ts";

const root = tempDir("zt-tests-atomic-");
process.umask(0o022);

test("writes the bytes or text, mode 0644 by default or as asked, no temp file left", () => {
  const d = join(root, "a");
  mkdirSync(d);
  writeFileAtomic(join(d, "text"), "héllo");
  writeFileAtomic(join(d, "bytes"), new Uint8Array([0, 1, 255]), { mode: 0o400 });
  assert.is(readFileSync(join(d, "text"), "utf8"), "héllo");
  assert.equal([...readFileSync(join(d, "bytes"))], [0, 1, 255]);
  assert.is(statSync(join(d, "text")).mode & 0o777, 0o644);
  assert.is(statSync(join(d, "bytes")).mode & 0o777, 0o400);
  assert.equal(readdirSync(d).sort(), ["bytes", "text"]);
});

test("replaces an existing file; many writes in a row each land, none leaves a temp file", () => {
  const d = join(root, "b");
  mkdirSync(d);
  for (let i = 0; i < 20; i++) writeFileAtomic(join(d, "k"), `v${i}`);
  assert.is(readFileSync(join(d, "k"), "utf8"), "v19");
  assert.equal(readdirSync(d), ["k"]);
});

test("creates the parent only when asked, with the asked mode", () => {
  const missing = join(root, "c", "deep", "f");
  assert.throws(() => writeFileAtomic(missing, "x"), /ENOENT/);
  writeFileAtomic(missing, "x", { mkdirMode: 0o700 });
  assert.is(readFileSync(missing, "utf8"), "x");
  assert.is(statSync(join(root, "c", "deep")).mode & 0o777, 0o700);
  assert.is(statSync(join(root, "c")).mode & 0o777, 0o700);
});

test("a write that fails keeps the old value and removes its temp file", () => {
  const d = join(root, "e");
  mkdirSync(d);
  writeFileAtomic(join(d, "k"), "old");
  // a value that is not bytes makes the write itself fail, after the temp file was created
  assert.throws(() => writeFileAtomic(join(d, "k"), { length: 3 } as unknown as Uint8Array));
  assert.is(readFileSync(join(d, "k"), "utf8"), "old");
  assert.equal(readdirSync(d), ["k"]);
});

test("no file descriptor is left open, by writes that land, writes that fail, or fsyncDir", () => {
  const d = join(root, "fds");
  mkdirSync(d);
  const open = () => readdirSync("/proc/self/fd").length;
  const before = open();
  for (let i = 0; i < 50; i++) {
    writeFileAtomic(join(d, "k"), `v${i}`);
    assert.throws(() => writeFileAtomic(join(d, "k"), { length: 1 } as unknown as Uint8Array));
    fsyncDir(d);
  }
  assert.ok(open() - before < 5, `${open() - before} descriptors leaked`);
});

test("writeAll writes everything, also more than one write call takes", () => {
  const f = join(root, "big");
  const fd = openSync(f, "w");
  const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
  try {
    writeAll(fd, data);
  } finally {
    closeSync(fd);
  }
  assert.ok(Buffer.from(readFileSync(f)).equals(Buffer.from(data)));
});

test("fsyncDir: a folder it may not open is tolerated (EACCES, as in a sandbox), a missing one is an error", () => {
  fsyncDir(root);
  assert.throws(() => fsyncDir(join(root, "no-such-folder")), /ENOENT/);
  writeFileSync(join(root, "plain"), "x");
  fsyncDir(join(root, "plain")); // a file opens and syncs too
  const locked = join(root, "locked");
  mkdirSync(locked, { mode: 0o700 });
  if (process.getuid?.() !== 0) {
    chmodSync(locked, 0o000);
    fsyncDir(locked);
    chmodSync(locked, 0o700);
    return;
  }
  // as root nothing is refused: ask as nobody (uid 65534) in a child, about a folder only root may open
  chmodSync(root, 0o755);
  const denoDir = tempDir("zt-tests-atomic-deno-");
  chmodSync(denoDir, 0o777);
  const asNobody = (dir: string) =>
    spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", denoBinary(), "run", "--quiet", "--no-lock", "--allow-read",
      "--allow-env=__STRYKER_ACTIVE_MUTANT__", fileURLToPath(new URL("./test/fsync-dir-child.ts", import.meta.url)), dir], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: denoDir, DENO_DIR: denoDir, ...(process.env.__STRYKER_ACTIVE_MUTANT__ ? { __STRYKER_ACTIVE_MUTANT__: process.env.__STRYKER_ACTIVE_MUTANT__ } : {}) },
    });
  const r = asNobody(locked);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), "tolerated");
  const gone = asNobody(join(root, "no-such-folder"));
  assert.is.not(gone.status, 0, "a missing folder is still an error for an unprivileged caller");
});

test.run();
