// The legacy 0-fs `.flist` reader against files with the reference layout (0-flist format/flist.capnp
// field numbers, `entries(key, value)` in flistdb.sqlite3, gzipped tar, BLAKE2b-128 + snappy + XXTEA
// blocks). The writer's output is checked with tools that are not ours: Debian's `capnp decode` reads
// the Dir rows, `sqlite3` the table, `tar` the archive, Python's hashlib the BLAKE2b-128 names, and
// XXTEA matches the xxtea reference test vector. Then: round trip from a dir:// and a zdb:// store (our
// 0-db server), a tampered block, and every malicious-entry case refused before anything is written.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import * as $ from "capnp-es";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { tempDir } from "../../../tools/test-tmp.ts";
import { startZdb } from "../../zdb/test/server.ts";
import { ACI, Dir } from "../../schema/gen/flist0.ts";
import { BlockError, DirStore, FlistError, hex, materialise, openFlist, ZdbStore } from "./mod.ts";
import { encodeLegacyBlock } from "./legacy/block.ts";
import { dirKey, LEGACY_DB_NAME } from "./legacy/reader.ts";
import { tarGz } from "./legacy/tar.ts";
import { packLegacyFlist } from "./legacy/writer.ts";
import { xxteaDecrypt, xxteaEncrypt } from "./legacy/xxtea.ts";
import { describeTree, makeSourceTree } from "./test-helpers.ts";

const t = suite("legacy .flist");
const dir = tempDir("zt-flist-legacy-");
const enc = (s: string) => new TextEncoder().encode(s);

async function packed(name: string) {
  const src = join(dir, `${name}-src`);
  makeSourceTree(src);
  const store = new DirStore(join(dir, `${name}-store`));
  const fl = join(dir, `${name}.flist`);
  const res = await packLegacyFlist({ source: src, output: fl, store, scratch: dir });
  return { src, store, fl, res };
}

t("XXTEA matches the xxtea reference vector and applies the key quirk", () => {
  const c = xxteaEncrypt(enc("Hello World! 你好，中国🇨🇳！"), enc("1234567890"));
  assert.is(Buffer.from(c).toString("base64"), "D4t0rVXUDl3bnWdERhqJmFIanfn/6zAxAY9jD6n9MSMQNoD8TOS4rHHcGuE=");
  assert.equal(xxteaDecrypt(c, enc("1234567890")), enc("Hello World! 你好，中国🇨🇳！"));
  // bytes after the first 0x00 of the key do not matter (xxtea-c's fixed key)
  const k1 = new Uint8Array([1, 2, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
  const k2 = new Uint8Array([1, 2, 0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]);
  assert.equal(xxteaEncrypt(enc("quirk"), k1), xxteaEncrypt(enc("quirk"), k2));
  assert.throws(() => xxteaDecrypt(c, enc("wrong key")), /length word/);
});

t("the writer's layout reads with capnp, sqlite3, tar and hashlib; read → materialise reproduces the tree", async () => {
  const { src, store, fl, res } = await packed("round");
  assert.match(execFileSync("tar", ["-tzf", fl], { encoding: "utf8" }), new RegExp(LEGACY_DB_NAME));
  const db = join(dir, "round-db");
  execFileSync("sh", ["-c", `mkdir -p ${db} && tar -xzf ${fl} -C ${db}`]);
  const rootKey = dirKey("");
  assert.is(rootKey, execFileSync("python3", ["-c", "import hashlib;print(hashlib.blake2b(b'',digest_size=16).hexdigest())"], { encoding: "utf8" }).trim());
  const rows = execFileSync("sqlite3", [join(db, LEGACY_DB_NAME), "SELECT count(*) FROM entries;"], { encoding: "utf8" }).trim();
  assert.ok(Number(rows) >= res.directories + 1, "one row per directory plus ACLs");
  const rootValue = new DatabaseSync(join(db, LEGACY_DB_NAME), { readOnly: true }).prepare("SELECT value FROM entries WHERE key = ?").get(rootKey) as { value: Uint8Array };
  const decoded = execFileSync("capnp", ["decode", "--short", "capabilities/schema/flist0.capnp", "Dir"], { input: rootValue.value, encoding: "utf8" });
  assert.match(decoded, /location = ""/);
  assert.match(decoded, /name = "etc"/);
  assert.match(decoded, /dir = \(key = "[0-9a-f]{32}"\)/);
  const f = openFlist(fl, dir);
  assert.is(f.format, "flist");
  const tool = f.entries.find((e) => e.path === "usr/bin/tool")!;
  assert.is(tool.blocks.length, 3);
  const stored = readFileSync(join(store.root, hex(tool.blocks[0].id).slice(0, 2), hex(tool.blocks[0].id)));
  const py = execFileSync("python3", ["-c", "import sys,hashlib;print(hashlib.blake2b(sys.stdin.buffer.read(),digest_size=16).hexdigest())"], { input: stored, encoding: "utf8" }).trim();
  assert.is(py, hex(tool.blocks[0].id), "block names are BLAKE2b-128 of the stored bytes");
  const target = join(dir, "round-out");
  const m = await materialise({ flist: f, store, target });
  assert.is(m.files, res.files);
  assert.equal(describeTree(target), describeTree(src));
});

t("zdb:// store: blocks in our 0-db server, read back through RESP GET", async () => {
  const z = await startZdb(join(dir, "zdb"));
  const store = new ZdbStore(`zdb://127.0.0.1:${z.port}`);
  try {
    const src = join(dir, "zdb-src");
    makeSourceTree(src);
    const fl = join(dir, "zdb.flist");
    await packLegacyFlist({ source: src, output: fl, store, scratch: dir });
    const target = join(dir, "zdb-out");
    await materialise({ flist: openFlist(fl, dir), store, target });
    assert.equal(describeTree(target), describeTree(src));
    const missing = await store.get(new Uint8Array(16)).then(() => null, (e: Error) => e.message);
    assert.match(missing ?? "", /is not in store zdb:\/\/127\.0\.0\.1/);
  } finally {
    store.close();
    await z.stop();
  }
});

t("a tampered block is an error and nothing is extracted", async () => {
  const { store, fl } = await packed("tamper");
  const f = openFlist(fl, dir);
  const victim = f.entries.find((e) => e.path === "usr/text")!.blocks[0];
  const h = hex(victim.id);
  const file = join(store.root, h.slice(0, 2), h);
  const data = readFileSync(file);
  data[20] ^= 1;
  writeFileSync(file, data);
  const target = join(dir, "tamper-out");
  const err = await materialise({ flist: f, store, target }).then(() => null, (e) => e as Error);
  assert.instance(err, BlockError);
  assert.match(err!.message, h);
  assert.not.ok(existsSync(target));
  assert.equal(readdirSync(dir).filter((n) => n.includes("partial")), []);
});

/** A one-directory legacy flist whose root lists what `fill` puts there (a hand-made hostile file). */
function crafted(name: string, fill: (d: Dir, acl: string) => void, aclMode = 0o755): string {
  const path = join(dir, `${name}.flist`);
  const tmp = join(dir, `${name}.sqlite3`);
  const db = new DatabaseSync(tmp);
  db.exec("CREATE TABLE entries (key VARCHAR(64) PRIMARY KEY, value BLOB)");
  const am = new $.Message();
  const a = am.initRoot(ACI);
  a.mode = aclMode;
  a.uid = 0n;
  a.gid = 0n;
  db.prepare("INSERT INTO entries VALUES (?, ?)").run("acl1", new Uint8Array(am.toArrayBuffer()));
  const dm = new $.Message();
  const d = dm.initRoot(Dir);
  d.location = "";
  d.aclkey = "acl1";
  fill(d, "acl1");
  db.prepare("INSERT INTO entries VALUES (?, ?)").run(dirKey(""), new Uint8Array(dm.toArrayBuffer()));
  db.close();
  writeFileSync(path, tarGz({ [LEGACY_DB_NAME]: readFileSync(tmp) }));
  return path;
}

const one = (d: Dir, acl: string, name: string, set: (i: ReturnType<Dir["contents"]["get"]>) => void) => {
  const i = d._initContents(1).get(0);
  i.name = name;
  i.aclkey = acl;
  set(i);
};

const cases: [string, (d: Dir, acl: string) => void, RegExp, number?][] = [
  ["dot-dot name", (d, a) => one(d, a, "..", (i) => (i.attributes._initLink().target = "x")), /single path component/],
  ["slash in a name", (d, a) => one(d, a, "../../etc/passwd", (i) => (i.attributes._initLink().target = "x")), /single path component/],
  ["symlink escaping the root", (d, a) => one(d, a, "esc", (i) => (i.attributes._initLink().target = "../../../etc/shadow")), /escapes the root/],
  ["device node", (d, a) => one(d, a, "sda", (i) => (i.attributes._initSpecial().type = 1)), /special entries/],
  ["setuid file", (d, a) => one(d, a, "su", (i) => { i.attributes._initFile().blockSize = 128; }), /setuid/, 0o4755],
  ["huge sparse size", (d, a) => one(d, a, "big", (i) => { i.size = 2n ** 50n; i.attributes._initFile().blockSize = 128; }), /larger than/],
  ["size without blocks", (d, a) => one(d, a, "big", (i) => { i.size = 10n * 2n ** 20n; i.attributes._initFile().blockSize = 128; }), /sparse or truncated/],
  ["subdir cycle back to the root", (d, a) => one(d, a, "loop", (i) => (i.attributes._initDir().key = dirKey(""))), /location|cycle/],
  ["subdir missing", (d, a) => one(d, a, "gone", (i) => (i.attributes._initDir().key = dirKey("gone"))), /not in the database/],
];
for (const [name, fill, re, mode] of cases) {
  t(`malicious legacy entry refused: ${name}`, () => {
    const fl = crafted(name.replace(/\W/g, "-"), fill, mode);
    const err = (() => {
      try {
        openFlist(fl, dir);
        return null;
      } catch (e) {
        return e as Error;
      }
    })();
    assert.instance(err, FlistError, `${name} must be refused`);
    assert.match(err!.message, re);
  });
}

t("a legacy block whose bytes match their hash but not the key is refused", async () => {
  const b = encodeLegacyBlock(enc("real"));
  const other = encodeLegacyBlock(enc("other"));
  const { decodeLegacyBlock } = await import("./legacy/block.ts");
  assert.throws(() => decodeLegacyBlock(b.hash, other.key, b.data, 1 << 19), (e: Error) => e instanceof BlockError);
});

t("not a .flist → clear error", () => {
  const bogus = join(dir, "bogus.flist");
  writeFileSync(bogus, tarGz({ "other.txt": enc("hi") }));
  assert.throws(() => openFlist(bogus, dir), /no flistdb\.sqlite3/);
});

t.run();
