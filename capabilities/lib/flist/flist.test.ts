// The rfs v2 `.fl` library with real files: pack → read → verify → materialise equals the source;
// block ids checked against Python's hashlib BLAKE2b and the .fl readable by the sqlite3 CLI; a
// tampered block, a wrong key and every malicious-entry case are refused with nothing extracted.
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BlockError, decodeBlock, DirStore, encodeBlock, FlistError, hex, materialise, packFlist, readFlist } from "./mod.ts";
import { snappyCompress, snappyDecompress } from "./snappy.ts";
import { nativeAesGcm, setNativeAesGcm } from "./aes-gcm-native.ts";
import { needs } from "../../../tools/test-env.ts";
import { describeTree, makeSourceTree } from "./test-helpers.ts";

const t = suite("flist library");
let dir = "";

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), "zt-flist-lib-"));
});
t.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function packed(name: string) {
  const src = join(dir, `${name}-src`);
  makeSourceTree(src);
  const store = new DirStore(join(dir, `${name}-store`));
  const fl = join(dir, `${name}.fl`);
  const res = await packFlist({ source: src, output: fl, store, routes: [{ start: 0, end: 255, url: `dir://${store.root}` }] });
  return { src, store, fl, res };
}

t("snappy round trips and rejects malformed input", () => {
  const samples = [new Uint8Array(0), new TextEncoder().encode("a"), new TextEncoder().encode("abcabcabcabcabcabcabcabcabcabc".repeat(1000)), crypto.getRandomValues(new Uint8Array(60000))];
  for (const s of samples) assert.equal(snappyDecompress(snappyCompress(s)), s);
  const rep = new TextEncoder().encode("x".repeat(100000));
  assert.ok(snappyCompress(rep).length < 6000, "repetitive input compresses");
  assert.throws(() => snappyDecompress(new Uint8Array([10, 0x01 | (1 << 2), 5])), /copy out of range|truncated/);
  assert.throws(() => snappyDecompress(new Uint8Array([0xff, 0xff, 0xff, 0x7f])), /allowed/);
});

t("block ids and keys are BLAKE2b-256 as Python's hashlib computes them", () => {
  const plain = new TextEncoder().encode("hello flist");
  const b = encodeBlock(plain);
  const py = (data: Uint8Array) =>
    execFileSync("python3", ["-c", "import sys,hashlib;print(hashlib.blake2b(sys.stdin.buffer.read(),digest_size=32).hexdigest())"], { input: data }).toString().trim();
  assert.is(hex(b.key), py(plain));
  assert.is(hex(b.id), py(b.data));
  assert.equal(decodeBlock(b.id, b.key, b.data), plain);
});

t("pack → read → materialise reproduces the source tree; sqlite3 reads the .fl", async () => {
  const { src, store, fl, res } = await packed("round");
  assert.ok(res.blocks > res.uniqueBlocks, "the duplicate file's blocks are stored once");
  const f = readFlist(fl);
  assert.is(f.tags.version, "1");
  assert.is(f.routes[0].url, `dir://${store.root}`);
  const target = join(dir, "round-out");
  const m = await materialise({ flist: f, store, target });
  assert.is(m.files, res.files);
  assert.equal(describeTree(target), describeTree(src));
  const count = execFileSync("sqlite3", [fl, "SELECT count(*) FROM inode; SELECT length(id) FROM block LIMIT 1;"]).toString().trim().split("\n");
  assert.is(Number(count[0]), res.files + res.directories + res.symlinks + 1);
  assert.is(count[1], "32");
});

t("a tampered block is an error and nothing is extracted", async () => {
  const { store, fl } = await packed("tamper");
  const f = readFlist(fl);
  const victim = f.entries.find((e) => e.path === "usr/bin/tool")!.blocks[1];
  const h = hex(victim.id);
  const file = join(store.root, h.slice(0, 2), h);
  const data = readFileSync(file);
  data[100] ^= 1;
  writeFileSync(file, data);
  const target = join(dir, "tamper-out");
  try {
    await materialise({ flist: f, store, target });
    assert.unreachable("a tampered block must fail");
  } catch (e) {
    assert.instance(e, BlockError);
    assert.match((e as Error).message, h);
  }
  assert.not.ok(existsSync(target));
  assert.equal(readdirSync(dir).filter((n) => n.includes("partial")), []);
});

t("a block whose bytes match their id but not the key (forged .fl key) is refused", () => {
  const b = encodeBlock(new TextEncoder().encode("real"));
  const other = encodeBlock(new TextEncoder().encode("other"));
  assert.throws(() => decodeBlock(b.id, other.key, b.data), /authentication failed/);
});

t("libcrypto's AES-256-GCM (the fast path) seals and opens exactly as node:crypto and WebCrypto do", async () => {
  const aes = nativeAesGcm();
  if (!needs("AES-GCM through libcrypto", aes !== null, "Deno's FFI with libcrypto.so.3 (libssl3)")) return;
  const key = new Uint8Array(randomBytes(32));
  const iv = key.subarray(0, 12);
  for (const size of [0, 1, 15, 16, 4097, 512 * 1024 + 3]) {
    const plain = new Uint8Array(randomBytes(size));
    const c = createCipheriv("aes-256-gcm", key, iv);
    const ref = new Uint8Array(Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]));
    assert.equal(aes!.encrypt(key, iv, plain), ref, `${size} bytes sealed as node:crypto seals them`);
    assert.equal(aes!.decrypt(key, iv, ref), plain);
    const k = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]);
    assert.equal(new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, k, ref)), plain, "WebCrypto opens what libcrypto sealed");
    // a flipped bit anywhere (body or tag), or another key: no plaintext at all
    for (const at of [0, Math.floor(ref.length / 2), ref.length - 1]) {
      const bad = ref.slice();
      bad[at] ^= 1;
      assert.is(aes!.decrypt(key, iv, bad), null, `bit flipped at ${at} of ${ref.length}`);
    }
    assert.is(aes!.decrypt(new Uint8Array(randomBytes(32)), iv, ref), null);
  }
  // a block sealed with a forged key but whose id matches its bytes: the decoder says so, on either path
  const b = encodeBlock(new TextEncoder().encode("native"));
  const other = encodeBlock(new TextEncoder().encode("other"));
  for (const on of [true, false]) {
    setNativeAesGcm(on);
    try {
      assert.throws(() => decodeBlock(b.id, other.key, b.data), /authentication failed/);
      assert.equal(decodeBlock(b.id, b.key, b.data), new TextEncoder().encode("native"));
    } finally {
      setNativeAesGcm(true);
    }
  }
});

let good: Promise<{ fl: string }> | null = null;

/** Copies a good .fl (packed once), then edits its SQLite rows the way an attacker would. */
async function malicious(name: string, edit: (db: DatabaseSync) => void): Promise<string> {
  good ??= packed("good");
  const fl = join(dir, `${name}.fl`);
  copyFileSync((await good).fl, fl);
  const db = new DatabaseSync(fl);
  edit(db);
  db.close();
  return fl;
}

const cases: [string, (db: DatabaseSync) => void, RegExp][] = [
  ["dot-dot name", (db) => db.exec("UPDATE inode SET name='..' WHERE name='hostname'"), /single path component/],
  ["name with a slash", (db) => db.exec("UPDATE inode SET name='../../evil' WHERE name='hostname'"), /single path component/],
  ["absolute name", (db) => db.exec("UPDATE inode SET name='/etc/passwd' WHERE name='hostname'"), /single path component/],
  ["symlink escaping the root", (db) => db.exec("UPDATE extra SET data='../../../../etc/shadow'"), /escapes the root/],
  ["entry under a symlink", (db) => db.exec("UPDATE inode SET parent=(SELECT ino FROM inode WHERE name='tool-link') WHERE name='hostname'"), /has entries under it/],
  ["device node", (db) => db.exec(`UPDATE inode SET mode=${0o020666}, rdev=259 WHERE name='empty'`), /device node/],
  ["setuid file", (db) => db.exec(`UPDATE inode SET mode=${0o104755} WHERE name='tool'`), /setuid/],
  ["absurd sparse size", (db) => db.exec(`UPDATE inode SET size=${2 ** 50} WHERE name='tool'`), /larger than|blocks/],
  ["size without blocks", (db) => db.exec(`UPDATE inode SET size=${10 * 2 ** 20} WHERE name='hostname'`), /sparse or truncated/],
  ["duplicate name", (db) => db.exec("UPDATE inode SET name='hostname' WHERE name='empty'"), /twice/],
  ["cycle", (db) => db.exec("UPDATE inode SET parent=(SELECT ino FROM inode WHERE name='ssl') WHERE name='etc'"), /do not hang off the root|reached twice/],
  ["two roots", (db) => db.exec("UPDATE inode SET parent=0 WHERE name='etc'"), /exactly one root/],
];

for (const [name, edit, message] of cases) {
  t(`malicious entry refused: ${name}`, async () => {
    const fl = await malicious(name.replace(/\W/g, "-"), edit);
    try {
      readFlist(fl);
      assert.unreachable(`${name} must be refused`);
    } catch (e) {
      assert.instance(e, FlistError);
      assert.match((e as Error).message, message);
    }
  });
}

t("setuid is accepted only when the caller allows it, and then kept", async () => {
  const fl = await malicious("setuid-ok", (db) => db.exec(`UPDATE inode SET mode=${0o104755} WHERE name='tool'`));
  const f = readFlist(fl, { allowSetId: true });
  assert.is(f.entries.find((e) => e.path === "usr/bin/tool")!.perm, 0o4755);
});

t("limits: total size over the caller's cap is refused", async () => {
  good ??= packed("good");
  const { fl } = await good;
  assert.throws(() => readFlist(fl, { maxTotalBytes: 1024 }), /more than the 1024 bytes allowed/);
});

t("not an .fl → clear error", () => {
  const bogus = join(dir, "bogus.fl");
  writeFileSync(bogus, "not sqlite at all");
  assert.throws(() => readFlist(bogus), (e: Error) => e instanceof FlistError);
});

t.run();
