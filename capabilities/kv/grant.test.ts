// One kv grant over real Cap'n Proto RPC (the RPC library's in-memory transport), as the kv driver serves
// it: exactly its namespace, read-only when granted so, restrictions checked fail-closed, the store's
// refusals passed on as "failed: kv: …". The files on disk are read back to show what was (not) written.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Kv } from "../schema/gen/kernel.ts";
import { connect, memoryTransportPair } from "../lib/rpc/mod.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { kvCap } from "./grant.ts";

const roots: string[] = [];
function store(): string {
  const d = tempDir("zt-tests-kv-grant-");
  roots.push(d);
  return d;
}

/** A grantee's Kv client for `restrictions` on `root`, through a real RPC connection. */
function grant(root: string, restrictions: Record<string, unknown>) {
  const [a, b] = memoryTransportPair();
  connect(a, { bootstrap: kvCap(root, restrictions), name: "kv driver" });
  return connect(b, { name: "grantee" }).bootstrap(Kv);
}

const bytes = (s: string) => new TextEncoder().encode(s);
async function put(kv: ReturnType<typeof grant>, key: string, value: Uint8Array | string): Promise<void> {
  const v = typeof value === "string" ? bytes(value) : value;
  await kv.put((p) => {
    p.key = key;
    p._initValue(v.length).copyBuffer(v);
  }).promise();
}
async function get(kv: ReturnType<typeof grant>, key: string): Promise<string | null> {
  const r = await kv.get((p) => (p.key = key)).promise();
  return r.found ? new TextDecoder().decode(r.value.toUint8Array()) : null;
}
async function list(kv: ReturnType<typeof grant>, prefix = ""): Promise<string[]> {
  const r = await kv.list((p) => (p.prefix = prefix)).promise();
  return r.keys.map((k) => k);
}
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
}

test("a grant's restrictions are checked before anything is made: namespace required, only known keys, readOnly a boolean", () => {
  const root = store();
  const cases: Array<[Record<string, unknown>, string]> = [
    [{}, "denied: kv: a grant needs restrictions.namespace"],
    [{ namespace: 7 }, "denied: kv: a grant needs restrictions.namespace"],
    [{ namespace: "a", prefix: "x" }, 'denied: kv: unknown restriction "prefix" (known: namespace, readOnly)'],
    [{ namespace: "a", readOnly: "true" }, 'denied: kv: restrictions.readOnly must be true or false (got "true")'],
    [{ namespace: "a", readOnly: 1 }, "denied: kv: restrictions.readOnly must be true or false (got 1)"],
    [{ namespace: "../etc" }, 'failed: kv: namespace "../etc" is invalid: 1-64 of a-z, 0-9, _ and -, starting with a letter or digit'],
  ];
  for (const [r, want] of cases) {
    let got = "";
    try {
      kvCap(root, r);
    } catch (e) {
      got = (e as Error).message;
    }
    assert.is(got, want, JSON.stringify(r));
  }
  assert.equal(readdirSync(root), [], "no namespace folder made for a refused grant");
});

test("get, put, list (by prefix, sorted), delete: the values come back byte for byte, empty values included", async () => {
  const root = store();
  const kv = grant(root, { namespace: "app" });
  assert.is(await get(kv, "k1"), null, "missing key: found = false");
  await put(kv, "k2", "two");
  await put(kv, "k1", "one");
  await put(kv, "other/x", "");
  assert.is(await get(kv, "k1"), "one");
  const empty = await kv.get((p) => (p.key = "other/x")).promise();
  assert.equal([empty.found, empty.value.toUint8Array().length], [true, 0], "an empty value is found, and empty");
  assert.equal(await list(kv), ["k1", "k2", "other/x"]);
  assert.equal(await list(kv, "k"), ["k1", "k2"]);
  assert.is((await kv.delete((p) => (p.key = "k1")).promise()).existed, true);
  assert.is((await kv.delete((p) => (p.key = "k1")).promise()).existed, false);
  assert.is(await get(kv, "k1"), null);
  assert.equal(readFileSync(join(root, "app", "k_k2"), "utf8"), "two", "stored under the grant's namespace folder");
});

test("two grants on one store see only their own namespace", async () => {
  const root = store();
  const a = grant(root, { namespace: "a" });
  const b = grant(root, { namespace: "b" });
  await put(a, "secret", "of a");
  assert.is(await get(b, "secret"), null);
  assert.equal(await list(b), []);
  assert.is((await b.delete((p) => (p.key = "secret")).promise()).existed, false);
  assert.is(await get(a, "secret"), "of a", "b's delete did not reach a");
  assert.equal(readdirSync(root).sort(), ["a", "b"]);
});

test("a read-only grant reads, and its put and delete are refused with nothing changed", async () => {
  const root = store();
  await put(grant(root, { namespace: "ro" }), "k", "before");
  const kv = grant(root, { namespace: "ro", readOnly: true });
  assert.is(await get(kv, "k"), "before");
  assert.equal(await list(kv), ["k"]);
  assert.match(await refusal(put(kv, "k", "after")), /denied: kv: namespace "ro" is granted read-only/);
  assert.match(await refusal(put(kv, "new", "x")), /denied: kv: namespace "ro" is granted read-only/);
  assert.match(await refusal(kv.delete((p) => (p.key = "k")).promise()), /denied: kv: namespace "ro" is granted read-only/);
  assert.equal(readdirSync(join(root, "ro")), ["k_k"]);
  assert.is(readFileSync(join(root, "ro", "k_k"), "utf8"), "before");
  // readOnly: false is a writable grant
  await put(grant(root, { namespace: "ro", readOnly: false }), "k", "after");
  assert.is(await get(kv, "k"), "after");
});

test("the store's refusals reach the grantee as failed: kv: …, and nothing is written", async () => {
  const root = store();
  const kv = grant(root, { namespace: "lim" });
  assert.match(await refusal(put(kv, "x".repeat(201), "v")), /failed: kv: key of 201 bytes exceeds 200/);
  assert.match(await refusal(get(kv, "")), /failed: kv: keys must not be empty/);
  assert.match(await refusal(put(kv, "big", new Uint8Array(4 * 1024 * 1024 + 1))), /failed: kv: value of 4194305 bytes exceeds 4194304/);
  assert.equal(readdirSync(join(root, "lim")), []);
  assert.not.ok(existsSync(join(root, "lim", "k_big")));
});

test.after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

test.run();
