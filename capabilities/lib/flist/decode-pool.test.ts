// The materialiser's decode pool (decode-pool.ts): a flist large enough for it is written by worker threads
// and this thread together — byte for byte the source tree, with workers having written some blocks — and a
// tampered block written by whichever thread is still a BlockError with nothing extracted, no staging left;
// a block used twice is fetched once and written at both places; idle workers end.
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BlockError, DirStore, encodeBlock, hex, materialise, packFlist, readFlist } from "./mod.ts";
import { DecodePool, decodePool } from "./decode-pool.ts";
import { POOL_MIN_BLOCKS } from "./materialise.ts";
import { describeTree, makeSourceTree } from "./test-helpers.ts";

const t = suite("flist decode pool");
let dir = "";
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), "zt-perfimage-pool-"));
});
t.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function packed(name: string) {
  const src = join(dir, `${name}-src`);
  makeSourceTree(src, 4);
  const store = new DirStore(join(dir, `${name}-blocks`));
  const fl = join(dir, `${name}.fl`);
  const r = await packFlist({ source: src, output: fl, store });
  assert.ok(r.blocks >= POOL_MIN_BLOCKS, `${r.blocks} blocks: enough for the pool`);
  return { src, store, fl };
}

// first: no other pool's workers are running yet, so the thread count is this pool's alone
t("idle workers end (their threads gone) and the pool then hands nothing over", async () => {
  const workerThreads = () => readdirSync(`/proc/${process.pid}/task`).filter((id) => /^worker-\d+$/.test(readFileSync(`/proc/${process.pid}/task/${id}/comm`, "utf8").trim())).length;
  const before = workerThreads();
  const pool = new DecodePool(1, 300);
  assert.ok(await pool.ready());
  assert.is(workerThreads(), before + 1, "one more worker thread");
  const plain = new TextEncoder().encode("idle pool\n".repeat(100));
  const b = encodeBlock(plain);
  const file = join(dir, "idle-block");
  closeSync(openSync(file, "w"));
  await pool.run({ id: b.id, key: b.key, writes: [{ path: file, offset: 0 }], expected: plain.length, label: "idle" }, b.data);
  assert.equal(new Uint8Array(readFileSync(file)), plain, "the worker wrote the block");
  for (let i = 0; i < 50 && workerThreads() > before; i++) await new Promise((r) => setTimeout(r, 100));
  assert.is(workerThreads(), before, "the idle worker ended");
  assert.is(pool.run({ id: b.id, key: b.key, writes: [{ path: file, offset: 0 }], expected: plain.length, label: "idle" }, b.data), null);
});

t("workers and this thread write a large flist byte for byte", async () => {
  const pool = decodePool(1);
  assert.ok(await pool.ready(), "the pool starts where workers can run");
  const { src, store, fl } = await packed("ok");
  const before = pool.workerBlocks;
  const target = join(dir, "ok-out");
  const r = await materialise({ flist: readFlist(fl), store, target, workers: 1 });
  assert.ok(pool.workerBlocks > before, "some blocks were written by a worker");
  assert.is(r.blocks, readFlist(fl).entries.reduce((n, e) => n + e.blocks.length, 0));
  assert.equal(describeTree(target), describeTree(src));
});

t("a block the flist uses twice is fetched and checked once, then written at every place", async () => {
  const { src, store, fl } = await packed("dup");
  const f = readFlist(fl);
  const uses = f.entries.flatMap((e) => e.blocks.map((b) => hex(b.id)));
  const distinct = new Set(uses).size;
  assert.ok(distinct < uses.length, "the source tree repeats blocks (usr/text-copy)");
  const fetched: string[] = [];
  const counting = { get: (id: Uint8Array) => (fetched.push(hex(id)), store.get(id)) };
  const target = join(dir, "dup-out");
  const r = await materialise({ flist: f, store: counting, target, workers: 1 });
  assert.is(fetched.length, distinct, "one fetch per distinct block");
  assert.is(r.blocks, uses.length, "every use written");
  assert.equal(describeTree(target), describeTree(src));
});

t("a tampered block is a BlockError whichever thread checks it; nothing is extracted", async () => {
  const { store, fl } = await packed("bad");
  const f = readFlist(fl);
  // every block of the big text file: some surely land on a worker
  for (const b of f.entries.find((e) => e.path === "usr/text")!.blocks) {
    const h = hex(b.id);
    const file = join(store.root, h.slice(0, 2), h);
    const data = readFileSync(file);
    data[40] ^= 1;
    writeFileSync(file, data);
  }
  const target = join(dir, "bad-out");
  try {
    await materialise({ flist: f, store, target, workers: 1 });
    assert.unreachable("a tampered block must fail");
  } catch (e) {
    assert.instance(e, BlockError);
    assert.match((e as Error).message, /stored bytes do not match their id/);
  }
  assert.not.ok(existsSync(target));
  assert.equal(readdirSync(dir).filter((n) => n.includes("partial")), []);
});

t.run();
