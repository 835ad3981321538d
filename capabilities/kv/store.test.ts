// The kv store: key encoding, namespaces, and atomic writes that survive kill -9.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileToKey, keyToFile, KvError, KvNamespace, MAX_VALUE_BYTES } from "./store.ts";
import { denoBinary, repoRoot } from "../../kernel/sandbox.ts";

const dirs: string[] = [];
// Under mutation testing (npm run mutate) the instrumented code reads which mutant is active from this one
// variable (also when none is); the writer may read it and nothing else of the environment.
const strykerEnv = ["--allow-env=__STRYKER_ACTIVE_MUTANT__"];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "zt-kv-"));
  dirs.push(d);
  return d;
}

test("keys map to safe file names and back, whatever they contain", () => {
  for (const k of ["value", "../../etc/passwd", "a/b", ".", "..", "ünï cödé", "%41", "x".repeat(200)]) {
    const f = keyToFile(k);
    assert.ok(/^k_[A-Za-z0-9._%-]+$/.test(f), f);
    assert.is(fileToKey(f), k);
  }
  assert.throws(() => keyToFile(""), (e: Error) => e instanceof KvError);
  assert.throws(() => keyToFile("x".repeat(201)), (e: Error) => e instanceof KvError);
});

test("namespaces are separate directories; invalid names are refused", () => {
  const root = tmp();
  const a = new KvNamespace(root, "alpha");
  const b = new KvNamespace(root, "beta");
  a.put("k", new TextEncoder().encode("A"));
  assert.is(b.get("k"), null);
  assert.equal(a.list(), ["k"]);
  assert.is(a.delete("k"), true);
  assert.is(a.delete("k"), false);
  for (const bad of ["", "../x", "a/b", "UPPER", ".hidden", "x".repeat(65)]) {
    assert.throws(() => new KvNamespace(root, bad), (e: Error) => e instanceof KvError, bad);
  }
});

test("list filters by prefix and ignores temp files", () => {
  const ns = new KvNamespace(tmp(), "l");
  for (const k of ["a/1", "a/2", "b/1"]) ns.put(k, new Uint8Array([1]));
  assert.equal(ns.list("a/"), ["a/1", "a/2"]);
  assert.equal(ns.list(), ["a/1", "a/2", "b/1"]);
});

test("values up to 4 MiB are stored, one byte more is refused with the sizes and nothing is written", () => {
  const ns = new KvNamespace(tmp(), "sizes");
  ns.put("max", new Uint8Array(MAX_VALUE_BYTES));
  assert.is(ns.get("max")!.length, 4 * 1024 * 1024);
  assert.throws(() => ns.put("over", new Uint8Array(MAX_VALUE_BYTES + 1)), (e: Error) => e instanceof KvError && /value of 4194305 bytes exceeds 4194304/.test(e.message));
  assert.is(ns.get("over"), null);
  assert.equal(ns.list(), ["max"]);
  assert.throws(() => keyToFile("x".repeat(201)), /key of 201 bytes exceeds 200/);
  assert.throws(() => keyToFile(""), /keys must not be empty/);
  assert.is(keyToFile("x".repeat(200)).length, 202);
});

test("keys encode exactly: safe bytes kept, others as %xx; list() is sorted whatever the folder order", () => {
  assert.is(keyToFile("a/b c"), "k_a%2fb%20c");
  assert.is(keyToFile("\n"), "k_%0a");
  const e = (() => {
    try {
      keyToFile("");
    } catch (err) {
      return err as Error;
    }
  })();
  assert.is(e?.name, "KvError");
  const ns = new KvNamespace(tmp(), "order");
  const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, "0")}`);
  for (const k of [...keys].reverse()) ns.put(k, new Uint8Array([1]));
  assert.equal(ns.list(), keys);
  assert.equal(ns.list("k1"), keys.filter((k) => k.startsWith("k1")));
});

test("the namespace folder is the owner's alone (0700), every value file 0600", () => {
  const root = tmp();
  const ns = new KvNamespace(root, "modes");
  ns.put("k", new Uint8Array([1]));
  assert.is(statSync(join(root, "modes")).mode & 0o777, 0o700);
  assert.is(statSync(join(root, "modes", keyToFile("k"))).mode & 0o777, 0o600);
});

test("namespace names: 1-64 of a-z 0-9 _ -, starting with a letter or digit; the error says so", () => {
  const root = tmp();
  for (const ok of ["a", "0x", "a_b-c", "z".repeat(64)]) new KvNamespace(root, ok);
  for (const bad of ["_x", "-x", "a.b", "a b", "é"]) {
    assert.throws(() => new KvNamespace(root, bad), /invalid: 1-64 of a-z, 0-9, _ and -, starting with a letter or digit/, bad);
  }
});

test("only key files are keys: temp and foreign files are not listed; non-key names decode to null", () => {
  const root = tmp();
  const ns = new KvNamespace(root, "mixed");
  ns.put("a", new Uint8Array([1]));
  writeFileSync(join(root, "mixed", "junk"), "x");
  writeFileSync(join(root, "mixed", `.${keyToFile("b")}.1.1.tmp`), "x");
  assert.equal(ns.list(), ["a"]);
  // the sweep on open removes only the atomic writer's temp files (".<name>....tmp"), nothing else
  writeFileSync(join(root, "mixed", "note.tmp"), "x");
  writeFileSync(join(root, "mixed", ".hidden"), "x");
  new KvNamespace(root, "mixed");
  assert.equal(readdirSync(join(root, "mixed")).sort(), [".hidden", keyToFile("a"), "junk", "note.tmp"].sort());
  assert.is(fileToKey("junk"), null);
  assert.is(fileToKey(".k_a.1.1.tmp"), null);
  assert.is(fileToKey("k_%2e%2e"), "..");
});

test("a key whose file cannot be read is an error, not a missing key; deleting it too", () => {
  const root = tmp();
  const ns = new KvNamespace(root, "broken");
  mkdirSync(join(root, "broken", keyToFile("dir")));
  writeFileSync(join(root, "broken", keyToFile("dir"), "inside"), "x"); // (Deno's unlink removes an empty folder)
  assert.throws(() => ns.get("dir"), /EISDIR/);
  assert.throws(() => ns.delete("dir"));
  assert.is(ns.get("absent"), null);
  assert.is(ns.delete("absent"), false);
});

test("kill -9 in the middle of writes leaves the last acknowledged value or a newer one, never a torn one", async () => {
  const root = tmp();
  let leftovers = 0;
  for (let round = 0; round < 3; round++) {
    const child = spawn(denoBinary(), ["run", "--quiet", "--no-lock", `--allow-read=${root}`, `--allow-write=${root}`, ...strykerEnv, join(repoRoot, "capabilities/kv/test/writer.ts"), root], { stdio: ["ignore", "pipe", "inherit"] });
    let acked = 0;
    child.stdout!.setEncoding("utf8");
    // the kill lands a while after the first acknowledged write (Deno's start-up time varies with load)
    const firstAck = new Promise<void>((res) => {
      child.stdout!.on("data", (d: string) => {
        const lines = d.trim().split("\n");
        acked = Number(lines[lines.length - 1]) || acked;
        if (acked > 0) res();
      });
      child.on("exit", () => res());
    });
    await firstAck;
    await new Promise((r) => setTimeout(r, 100 + round * 150));
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    assert.ok(acked > 0, "the writer acknowledged at least one write");
    // what kill -9 left: the atomic writer's temp files (".<file>.<pid>.<n>.tmp"; often one, not always),
    // plus one planted in that exact form so the sweep is checked every round
    const dirOf = join(root, "crash");
    leftovers += readdirSync(dirOf).filter((f) => !f.startsWith("k_")).length;
    writeFileSync(join(dirOf, `.${keyToFile("key")}.999999.7.tmp`), "torn");
    const ns = new KvNamespace(root, "crash"); // sweeps temp files
    const v = new TextDecoder().decode(ns.get("key")!);
    const m = /^gen=(\d+);x+;end=(\d+)$/.exec(v);
    assert.ok(m, `value is whole (${v.length} bytes)`);
    assert.is(m![1], m![2]);
    assert.ok(Number(m![1]) >= acked, `value generation ${m![1]} >= acknowledged ${acked}`);
    assert.equal(readdirSync(dirOf).filter((f) => !f.startsWith("k_")), [], "only key files remain after open");
    assert.equal(ns.list(), ["key"]);
  }
  console.log(`kv kill -9: ${leftovers} temp files left by 3 kills (swept on open)`);
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
