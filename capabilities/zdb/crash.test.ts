// Durability of the 0-db server, with real processes and real files: data and namespace settings survive a
// restart; kill -9 in the middle of a stream of writes loses at most the writes that were not acknowledged
// and never serves a torn record; a record cut in half on disk is trimmed on the next start.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Buffer } from "node:buffer";
import { closeSync, openSync, readdirSync, statSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tools/test-tmp.ts";
import { reply, startZdb } from "./test/server.ts";

const ADMIN = "zt-crash-admin";
const valueOf = (i: number) => Buffer.alloc(100 + ((i * 7919) % 60_000), `v${i}-`);

test("a restart keeps data, deletes, seq ids and namespace settings", async () => {
  const dir = tempDir("zt-zdb-restart-");
  let z = await startZdb(dir, { admin: ADMIN });
  try {
    const a = z.client();
    await a.call("AUTH", ADMIN);
    await a.call("NSNEW", "zt-keep");
    await a.call("NSSET", "zt-keep", "password", "kp");
    await a.call("NSSET", "zt-keep", "public", "0");
    await a.call("NSSET", "zt-keep", "maxsize", "1000000");
    await a.call("NSNEW", "zt-seqk");
    await a.call("NSSET", "zt-seqk", "mode", "seq");
    const c = z.client();
    await c.call("SELECT", "zt-keep", "kp");
    await c.set("a", "1");
    await c.set("b", "2");
    await c.set("a", "3");
    await c.call("DEL", "b");
    const s = z.client();
    await s.call("SELECT", "zt-seqk");
    await s.call("SET", "", "x");
    await s.call("SET", "", "y");
    await z.stop();

    z = await startZdb(dir, { admin: ADMIN });
    const r = z.client();
    assert.is(await reply(r.call("SELECT", "zt-keep")), "ERR Namespace protected and private", "password kept");
    assert.is(await r.call("SELECT", "zt-keep", "kp"), "OK");
    assert.is(await r.get("a"), "3");
    assert.is(await r.get("b"), null, "a deleted key stays deleted");
    assert.is(await r.call("DBSIZE"), 1);
    assert.ok(String(await r.call("NSINFO", "zt-keep")).includes("data_limits_bytes: 1000000\n"));
    const q = z.client();
    await q.call("SELECT", "zt-seqk");
    const k = (await q.callBuffer("SET", "", "z")) as Buffer;
    assert.is(k.readBigUInt64LE(0), 2n, "seq ids continue after the restart");
  } finally {
    await z.stop();
  }
});

test("kill -9 during a stream of writes: every acknowledged write is there, nothing is torn", async () => {
  const dir = tempDir("zt-zdb-kill-");
  let z = await startZdb(dir, { admin: ADMIN });
  const acked = new Set<number>();
  let sent = 0;
  try {
    const c = z.client();
    let stop = false;
    // several writers pipelining so that writes are in flight when the kill lands
    const writer = async (w: number) => {
      for (let i = w; !stop; i += 4) {
        sent = Math.max(sent, i + 1);
        try {
          const k = await c.set(`key-${i}`, valueOf(i));
          if (k === `key-${i}`) acked.add(i);
        } catch {
          return;
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acked.size < 300) await new Promise((r) => setTimeout(r, 20));
    await z.kill9();
    stop = true;
    await Promise.all(writers);
    z = await startZdb(dir, { admin: ADMIN });
    const r = z.client();
    let present = 0;
    for (let i = 0; i < sent + 8; i++) {
      const v = await r.getBuffer(`key-${i}`);
      if (acked.has(i)) assert.ok(v !== null, `acknowledged key-${i} is missing`);
      if (v !== null) {
        present++;
        assert.ok(v.equals(valueOf(i)), `key-${i} holds a torn or wrong value`);
        assert.is(await r.call("CHECK", `key-${i}`), 1);
      }
    }
    assert.ok(present >= acked.size);
    assert.ok(present <= acked.size + 4 + 8, `at most the writes in flight are extra (${present} vs ${acked.size})`);
    assert.is(await r.set("after", "ok"), "after", "the server appends after the recovered tail");
  } finally {
    await z.stop();
  }
});

test("a record cut in half on disk is trimmed on start; earlier records are served", async () => {
  const dir = tempDir("zt-zdb-torn-");
  let z = await startZdb(dir, { admin: ADMIN });
  try {
    const c = z.client();
    await c.set("whole", "complete value");
    await c.set("torn", Buffer.alloc(50_000, 1));
    await z.stop();
    const nsDir = join(dir, "data", "default");
    const file = join(nsDir, readdirSync(nsDir).filter((f) => f.startsWith("zdb-data-")).sort().at(-1)!);
    const size = statSync(file).size;
    truncateSync(file, size - 20_000); // what a crash in the middle of the write leaves
    z = await startZdb(dir, { admin: ADMIN });
    assert.match(z.stderr(), /cut \d+ bytes of a record a crash left unfinished/);
    const r = z.client();
    assert.is(await r.get("whole"), "complete value");
    assert.is(await r.get("torn"), null);
    assert.is(await r.set("next", "fine"), "next");
    await z.stop();
    z = await startZdb(dir, { admin: ADMIN });
    assert.is(await z.client().get("next"), "fine", "the file is clean after the trim");
  } finally {
    await z.stop();
  }
});

test("a last record of full length whose payload never reached the disk (zeros) is trimmed by its CRC", async () => {
  const dir = tempDir("zt-zdb-zeros-");
  let z = await startZdb(dir, { admin: ADMIN });
  try {
    const c = z.client();
    await c.set("whole", "complete value");
    await c.set("unwritten", Buffer.alloc(10_000, 3));
    await z.stop();
    const nsDir = join(dir, "data", "default");
    const file = join(nsDir, readdirSync(nsDir).filter((f) => f.startsWith("zdb-data-")).sort().at(-1)!);
    const fd = openSync(file, "r+");
    writeSync(fd, Buffer.alloc(4096), 0, 4096, statSync(file).size - 4096); // what a power cut can leave
    closeSync(fd);
    z = await startZdb(dir, { admin: ADMIN });
    const r = z.client();
    assert.is(await r.get("whole"), "complete value");
    assert.is(await r.get("unwritten"), null, "never served with zeros in it");
  } finally {
    await z.stop();
  }
});

test.run();
