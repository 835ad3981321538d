// The pure parts of the 0-db server: RESP parsing (split anywhere, pipelined, inline, limits) and the
// on-disk record and descriptor formats (a flipped bit or a cut record is recognised).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Buffer } from "node:buffer";
import { crc32 } from "./crc32.ts";
import { decodeHeader, decodeNamespaceHeader, encodeNamespaceHeader, encodeRecord, RECORD_HEADER } from "./record.ts";
import { array, bulk, encode, error, int, nil, RespParser, RespProtocolError, simple } from "./resp.ts";

const req = (...args: (string | Buffer)[]) =>
  Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.flatMap((a) => [Buffer.from(`$${Buffer.byteLength(a)}\r\n`), Buffer.from(a), Buffer.from("\r\n")])]);

test("requests split at every byte boundary parse the same", () => {
  const wire = Buffer.concat([req("SET", "k", Buffer.from([0, 13, 10, 255])), req("GET", "k"), Buffer.from("PING\r\n")]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const p = new RespParser();
    const got: string[][] = [];
    for (const part of [wire.subarray(0, cut), wire.subarray(cut)]) {
      p.push(Buffer.from(part));
      for (let r = p.next(); r; r = p.next()) got.push(r.map((b) => b.toString("hex")));
    }
    assert.equal(got, [
      [Buffer.from("SET").toString("hex"), Buffer.from("k").toString("hex"), "000d0aff"],
      [Buffer.from("GET").toString("hex"), Buffer.from("k").toString("hex")],
      [Buffer.from("PING").toString("hex")],
    ], `cut at ${cut}`);
    assert.is(p.pending(), 0);
  }
});

test("a large value arriving in many chunks is joined once, whole", () => {
  const value = Buffer.alloc(3 * 1024 * 1024 + 7, 9);
  const wire = req("SET", "big", value);
  const p = new RespParser();
  let got: Buffer[] | null = null;
  for (let off = 0; off < wire.length; off += 65536) {
    p.push(Buffer.from(wire.subarray(off, off + 65536)));
    const r = p.next();
    if (r) got = r;
  }
  assert.ok(got);
  assert.ok(got![2].equals(value));
  assert.is(p.pending(), 0);
  assert.is(p.next(), null);
});

test("an argument over 8 MiB and malformed frames are protocol errors", () => {
  const p = new RespParser();
  p.push(Buffer.from(`*2\r\n$3\r\nSET\r\n$${8 * 1024 * 1024 + 1}\r\n`));
  assert.throws(() => p.next(), (e: Error) => e instanceof RespProtocolError && e.message === "Payload too big");
  const q = new RespParser();
  q.push(Buffer.from(`*3\r\n$${8 * 1024 * 1024}\r\n`));
  assert.is(q.next(), null);
  q.push(Buffer.alloc(8 * 1024 * 1024 + 2));
  q.push(Buffer.from(`$${2 * 1024 * 1024}\r\n`));
  assert.throws(() => q.next(), (e: Error) => e instanceof RespProtocolError && e.message === "Payload too big", "all arguments together are bounded");
  for (const bad of ["*1\r\n:5\r\n", "*x\r\n", "*1\r\n$-1\r\n", "*1\r\n$3\rXabc\r\n"]) {
    const q = new RespParser();
    q.push(Buffer.from(bad));
    assert.throws(() => q.next(), (e: Error) => e instanceof RespProtocolError, bad);
  }
});

test("replies encode as RESP", () => {
  const out: Buffer[] = [];
  for (const r of [simple("OK"), error("Key too large"), int(7), bulk("ab"), nil, array([bulk("k"), int(1)])]) encode(r, out);
  assert.is(Buffer.concat(out).toString(), "+OK\r\n-Key too large\r\n:7\r\n$2\r\nab\r\n$-1\r\n*2\r\n$1\r\nk\r\n:1\r\n");
});

test("records: header CRC catches a flipped bit; lengths and payload CRC are kept", () => {
  assert.is(crc32(Buffer.from("123456789")), 0xcbf43926); // the CRC-32 check value
  const rec = encodeRecord(0, Buffer.from("key"), Buffer.from("payload"), 1700000000);
  const h = decodeHeader(rec, 0)!;
  assert.equal(h, { kind: 0, keyLength: 3, payloadLength: 7, timestamp: 1700000000, payloadCrc: crc32(Buffer.from("payload")) });
  assert.is(rec.length, RECORD_HEADER + 3 + 7);
  for (const i of [1, 2, 5, 9, 13, 17, RECORD_HEADER + 1]) {
    const bad = Buffer.from(rec);
    bad[i] ^= 0x04;
    assert.is(decodeHeader(bad, 0), null, `bit flipped at byte ${i}`);
  }
});

test("namespace descriptor: the 0-db v2 layout, round trip", () => {
  const h = { name: "7-42-db", password: "pw", maxsize: 1073741824n, public: false, worm: true, mode: "seq" as const, locked: true, frozen: false };
  const b = encodeNamespaceHeader(h);
  assert.is(b.readUInt32LE(0), 2);
  assert.is(b[4], 7);
  assert.is(b[5], 2);
  assert.is(b.readBigUInt64LE(6), 1073741824n);
  assert.is(b[14] & 0x07, 0x06, "worm + extended, not public");
  assert.is(b.subarray(15).toString(), "7-42-dbpw");
  assert.equal(decodeNamespaceHeader(b), h);
});

test.run();
