// The kv store: key encoding, namespaces, and atomic writes that survive kill -9.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileToKey, keyToFile, KvError, KvNamespace } from "./store.ts";
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
