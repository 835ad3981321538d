// The 0-db server through a real redis client (ioredis), case by case against the 0-db v2 README and the
// error strings of its source: user and seq modes, namespaces and passwords (plain and SECURE), NSSET
// properties, SCAN/RSCAN/KEYCUR, limits, unix socket. The server is a real process on real files.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Buffer } from "node:buffer";
import { tempDir } from "../../tools/test-tmp.ts";
import { sha1hex } from "./commands.ts";
import { reply, startZdb, type ZdbProcess } from "./test/server.ts";

const ADMIN = "zt-admin-secret";
let z: ZdbProcess;

test.before(async () => {
  z = await startZdb(tempDir("zt-zdb-proto-"), { admin: ADMIN });
});
test.after(async () => {
  await z?.stop();
});

async function adminClient() {
  const c = z.client();
  assert.is(await c.call("AUTH", ADMIN), "OK");
  return c;
}

test("PING, TIME, INFO, unknown commands", async () => {
  const c = z.client();
  assert.is(await c.ping(), "PONG");
  const t = (await c.call("TIME")) as string[];
  assert.ok(Math.abs(Number(t[0]) - Date.now() / 1000) < 5);
  assert.match(String(await c.call("INFO")), /server_name: 0-db \(zdb\)/);
  assert.is(await reply(c.call("HSET", "a", "b", "c")), "ERR Command not supported");
});

test("user mode: SET returns the key, nil when unchanged; GET/EXISTS/DEL/CHECK/LENGTH", async () => {
  const c = z.client();
  assert.is(await c.set("k1", "hello"), "k1");
  assert.is(await c.set("k1", "hello"), null, "identical value → nil");
  assert.is(await c.get("k1"), "hello");
  assert.is(await c.set("k1", "world"), "k1");
  assert.is(await c.get("k1"), "world");
  assert.is(await c.exists("k1"), 1);
  assert.is(await c.call("CHECK", "k1"), 1);
  assert.is(await c.call("LENGTH", "k1"), 5);
  assert.is(await c.get("missing"), null);
  assert.is(await c.exists("missing"), 0);
  assert.is(await c.call("DEL", "k1"), "OK");
  assert.is(await c.get("k1"), null);
  assert.is(await c.exists("k1"), 0);
  assert.is(await reply(c.call("DEL", "k1")), "ERR Key not found");
  assert.is(await reply(c.call("SET", "", "v")), "ERR Invalid argument, key needed");
  assert.is(await reply(c.call("GET")), "ERR Unexpected arguments");
});

test("pipelined: records still waiting for the group write are read back from memory, in order", async () => {
  const c = z.client();
  const r = await c.pipeline().set("p1", "v1").set("p1", "v1").get("p1").set("p1", "v2").set("p2", "w").get("p1").get("p2").exec();
  assert.equal(r!.map((x) => x[1]), ["p1", null, "v1", "p1", "p2", "v2", "w"]);
  assert.is(await c.get("p1"), "v2", "and from the data file once written");
});

test("binary keys and values round-trip; MGET", async () => {
  const c = z.client();
  const key = Buffer.from([0, 1, 2, 255, 13, 10]);
  const val = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 255));
  assert.equal(await c.callBuffer("SET", key, val), key);
  assert.equal(await c.getBuffer(key), val);
  await c.set("m1", "one");
  await c.set("m2", "two");
  assert.equal(await c.mget("m1", "nope", "m2"), ["one", null, "two"]);
});

test("limits: 255-byte keys, 8 MiB payloads (bigger drops the connection)", async () => {
  const c = z.client();
  assert.is(await c.set("k".repeat(255), "v"), "k".repeat(255));
  assert.is(await reply(c.set("k".repeat(256), "v")), "ERR Key too large");
  const big = Buffer.alloc(8 * 1024 * 1024, 7);
  assert.is(await c.set("big", big), "big");
  assert.is((await c.getBuffer("big"))!.length, big.length);
  const d = z.client();
  assert.is(await reply(d.set("toobig", Buffer.alloc(8 * 1024 * 1024 + 1))), "ERR Payload too big");
  assert.is(await c.exists("toobig"), 0);
});

test("admin: NSNEW/NSSET/NSDEL need AUTH; AUTH SECURE challenge", async () => {
  const c = z.client();
  assert.is(await reply(c.call("NSNEW", "zt-a")), "ERR Permission denied");
  assert.is(await reply(c.call("AUTH", "wrong")), "ERR Access denied");
  assert.is(await reply(c.call("AUTH", "SECURE", "0".repeat(40))), "ERR No CHALLENGE requested, secure authentication not available");
  const nonce = String(await c.call("AUTH", "SECURE", "CHALLENGE"));
  assert.match(nonce, /^[0-9a-f]{16}$/);
  assert.is(await reply(c.call("AUTH", "SECURE", sha1hex(`${nonce}:wrong`))), "ERR Access denied");
  assert.is(await c.call("AUTH", "SECURE", sha1hex(`${nonce}:${ADMIN}`)), "OK");
  assert.is(await c.call("NSNEW", "zt-a"), "OK");
  assert.is(await reply(c.call("NSNEW", "zt-a")), "ERR This namespace is not available");
  assert.is(await reply(c.call("NSNEW", "../etc")), "ERR This name is not allowed");
  assert.is(await reply(c.call("NSNEW", "n".repeat(129))), "ERR Namespace too long");
  assert.ok((await c.call("NSLIST") as string[]).includes("zt-a"));
  assert.is(await reply(c.call("NSDEL", "default")), "ERR Cannot remove default namespace");
  assert.is(await reply(c.call("NSDEL", "zt-none")), "ERR This namespace doesn't exists");
  assert.is(await reply(c.call("NSSET", "zt-a", "colour", "blue")), "ERR Invalid property");
  assert.is(await reply(c.call("NSSET", "default", "password", "x")), "ERR Cannot update default namespace");
  assert.is(await c.call("NSDEL", "zt-a"), "OK");
  assert.not.ok((await c.call("NSLIST") as string[]).includes("zt-a"));
});

test("namespaces are isolated; private + password needs SELECT with it (plain or SECURE)", async () => {
  const a = await adminClient();
  await a.call("NSNEW", "zt-priv");
  await a.call("NSSET", "zt-priv", "password", "pw1");
  await a.call("NSSET", "zt-priv", "public", "0");
  await a.call("NSNEW", "zt-other");
  const c = z.client();
  assert.is(await reply(c.call("SELECT", "zt-priv")), "ERR Namespace protected and private");
  assert.is(await reply(c.call("SELECT", "zt-priv", "nope")), "ERR Access denied");
  assert.is(await reply(c.call("SELECT", "zt-missing")), "ERR Namespace not found");
  assert.is(await c.call("SELECT", "zt-priv", "pw1"), "OK");
  assert.is(await c.set("secret", "s3"), "secret");
  assert.is(await c.call("DBSIZE"), 1);
  assert.is(await c.call("SELECT", "zt-other"), "OK");
  assert.is(await c.get("secret"), null, "another namespace does not see the key");
  assert.is(await c.call("DBSIZE"), 0);
  const d = z.client();
  assert.is(await reply(d.call("SELECT", "zt-priv", "SECURE", "0".repeat(40))), "ERR No CHALLENGE requested, secure authentication not available");
  const nonce = String(await d.call("AUTH", "SECURE", "CHALLENGE"));
  assert.is(await reply(d.call("SELECT", "zt-priv", "SECURE", sha1hex(`${nonce}:bad`))), "ERR Access denied");
  assert.is(await d.call("SELECT", "zt-priv", "SECURE", sha1hex(`${nonce}:pw1`)), "OK");
  assert.is(await d.get("secret"), "s3");
});

test("public + password: readable without it, writable only with it; NSINFO", async () => {
  const a = await adminClient();
  await a.call("NSNEW", "zt-pub");
  await a.call("NSSET", "zt-pub", "password", "pw2");
  await a.call("NSSET", "zt-pub", "public", "1");
  const w = z.client();
  await w.call("SELECT", "zt-pub", "pw2");
  await w.set("doc", "readme");
  const r = z.client();
  assert.is(await r.call("SELECT", "zt-pub"), "OK");
  assert.is(await r.get("doc"), "readme");
  assert.is(await reply(r.set("doc", "vandal")), "ERR Namespace is in read-only mode");
  assert.is(await reply(r.call("DEL", "doc")), "ERR Namespace is in read-only mode");
  const info = String(await r.call("NSINFO", "zt-pub"));
  for (const l of ["name: zt-pub", "entries: 1", "public: yes", "password: yes", "data_size_bytes: 6", "mode: userkey"]) {
    assert.ok(info.includes(`${l}\n`), `${l} in ${info}`);
  }
  assert.not.ok(info.includes("data_path"), "data_path is for admins only");
  assert.ok(String(await a.call("NSINFO", "zt-pub")).includes("data_path: "));
  await a.call("NSSET", "zt-pub", "password", "*");
  assert.ok(String(await a.call("NSINFO", "zt-pub")).includes("password: no\n"), "* clears the password");
});

test("seq mode: 8-byte little-endian keys, update only, mode fixed once used", async () => {
  const a = await adminClient();
  await a.call("NSNEW", "zt-seq");
  assert.is(await reply(a.call("NSSET", "zt-seq", "mode", "direct")), "ERR Invalid property value (expected: user, seq)");
  assert.is(await a.call("NSSET", "zt-seq", "mode", "seq"), "OK");
  const c = z.client();
  await c.call("SELECT", "zt-seq");
  const k0 = (await c.callBuffer("SET", "", "first")) as Buffer;
  const k1 = (await c.callBuffer("SET", "", "second")) as Buffer;
  assert.is(k0.length, 8);
  assert.is(k0.readBigUInt64LE(0), 0n);
  assert.is(k1.readBigUInt64LE(0), 1n);
  assert.is(await c.get(k1), "second");
  assert.equal(await c.callBuffer("SET", k0, "first!"), k0, "an existing id is updated");
  assert.is(await c.get(k0), "first!");
  const unknown = Buffer.alloc(8);
  unknown.writeBigUInt64LE(99n);
  assert.is(await reply(c.call("SET", unknown, "x")), "ERR Invalid key, only update authorized");
  assert.is(await reply(a.call("NSSET", "zt-seq", "mode", "user")), "ERR Cannot change mode of used namespace");
  assert.ok(String(await c.call("NSINFO", "zt-seq")).includes("mode: sequential\n"));
});

test("maxsize, worm, lock, freeze", async () => {
  const a = await adminClient();
  await a.call("NSNEW", "zt-props");
  await a.call("NSSET", "zt-props", "maxsize", "10");
  const c = z.client();
  await c.call("SELECT", "zt-props");
  assert.is(await c.set("a", "12345678"), "a");
  assert.is(await reply(c.set("b", "123")), "ERR No space left on this namespace");
  assert.is(await c.set("a", "1234567890"), "a", "an overwrite counts only the difference");
  await a.call("NSSET", "zt-props", "maxsize", "0");
  await a.call("NSSET", "zt-props", "worm", "1");
  assert.is(await c.set("w", "once"), "w");
  assert.is(await reply(c.set("w", "twice")), "ERR Namespace is protected by worm mode");
  assert.is(await reply(c.call("DEL", "w")), "ERR Cannot delete a key when namespace is in worm mode");
  await a.call("NSSET", "zt-props", "worm", "0");
  await a.call("NSSET", "zt-props", "lock", "1");
  assert.is(await reply(c.set("l", "x")), "ERR Namespace is temporarily locked (read-only)");
  assert.is(await c.get("w"), "once", "a locked namespace is still readable");
  await a.call("NSSET", "zt-props", "lock", "0");
  await a.call("NSSET", "zt-props", "freeze", "1");
  assert.is(await reply(c.get("w")), "ERR Namespace is temporarily frozen (read-write disabled)");
  assert.is(await reply(c.set("f", "x")), "ERR Namespace is temporarily frozen (read-write disabled)");
  await a.call("NSSET", "zt-props", "freeze", "0");
  assert.is(await c.get("w"), "once");
});

test("SCAN/RSCAN walk in write order from KEYCUR cursors; -No more data at the end", async () => {
  const a = await adminClient();
  await a.call("NSNEW", "zt-scan");
  const c = z.client();
  await c.call("SELECT", "zt-scan");
  assert.is(await reply(c.call("SCAN")), "ERR No more data");
  for (const k of ["s1", "s2", "s3"]) await c.set(k, `v-${k}`);
  const [cursor, items] = (await c.call("SCAN")) as [string, [string, number, number][]];
  assert.equal(items.map((i) => i[0]), ["s1", "s2", "s3"]);
  assert.is(items[0][1], 4, "size of the payload");
  assert.ok(Math.abs(items[0][2] - Date.now() / 1000) < 60);
  assert.is(await reply(c.callBuffer("SCAN", cursor)), "ERR No more data");
  const cur1 = (await c.callBuffer("KEYCUR", "s1")) as Buffer;
  assert.is(cur1.length, 8);
  const after1 = (await c.callBuffer("SCAN", cur1)) as [Buffer, [Buffer, number, number][]];
  assert.equal(after1[1].map((i) => i[0].toString()), ["s2", "s3"]);
  const back = (await c.call("RSCAN")) as [string, [string, number, number][]];
  assert.equal(back[1].map((i) => i[0]), ["s3", "s2", "s1"]);
  const cur3 = (await c.callBuffer("KEYCUR", "s3")) as Buffer;
  const before3 = (await c.callBuffer("RSCAN", cur3)) as [Buffer, [Buffer, number, number][]];
  assert.equal(before3[1].map((i) => i[0].toString()), ["s2", "s1"]);
  assert.is(await reply(c.call("SCAN", "bad")), "ERR Invalid key format");
  assert.is(await reply(c.call("KEYCUR", "nope")), "ERR Key not found");
});

test("FLUSH only on private password-protected namespaces; NSDEL moves other clients out", async () => {
  const a = await adminClient();
  const c = z.client();
  assert.is(await reply(c.call("FLUSH")), "ERR Flushing public namespace denied");
  await a.call("NSNEW", "zt-flush");
  await a.call("NSSET", "zt-flush", "password", "pf");
  await a.call("NSSET", "zt-flush", "public", "0");
  await c.call("SELECT", "zt-flush", "pf");
  await c.set("x", "1");
  assert.is(await c.call("FLUSH"), "OK");
  assert.is(await c.call("DBSIZE"), 0);
  assert.is(await reply(a.call("SELECT", "zt-flush")), "ERR Namespace protected and private");
  assert.is(await a.call("NSDEL", "zt-flush"), "OK");
  assert.is(await reply(c.get("x")), "ERR Your active namespace is not available anymore (probably removed).");
});

test("the unix socket speaks the same protocol", async () => {
  const c = z.client({ socket: true });
  assert.is(await c.ping(), "PONG");
  assert.is(await c.set("via-socket", "yes"), "via-socket");
  assert.is(await z.client().get("via-socket"), "yes");
});

test("--protect: default is read-only until AUTH", async () => {
  const p = await startZdb(tempDir("zt-zdb-protect-"), { admin: ADMIN, protect: true });
  try {
    const c = p.client();
    assert.is(await reply(c.set("a", "b")), "ERR Namespace is in read-only mode");
    assert.is(await c.call("AUTH", ADMIN), "OK");
    assert.is(await c.set("a", "b"), "a");
    const d = p.client();
    assert.is(await d.call("SELECT", "default", ADMIN), "OK");
    assert.is(await d.set("a", "c"), "a");
  } finally {
    await p.stop();
  }
});

test.run();
