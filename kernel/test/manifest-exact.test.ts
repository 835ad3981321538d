// The manifest, exactly: every default a process gets, every value kept as written, and the full list of
// errors a bad manifest gets — each naming the process, the key and how to fix it (that text is what an
// operator reads). manifest.test.ts checks the rules one at a time by pattern; this suite pins the whole
// answer, so a changed default, a dropped check or a garbled message fails here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_RESTART, formatErrors, loadManifest, type ManifestError, stripComments, validateManifest } from "../manifest.ts";
import { repoRoot } from "../sandbox.ts";
import { tempDir } from "../../tools/test-tmp.ts";

const path = join(repoRoot, "manifests", "test.json");
const LOG = "capabilities/log/main.ts";

function errors(raw: unknown, checkFiles = false): ManifestError[] {
  const r = validateManifest(raw, { path, checkFiles });
  if (r.ok) throw new Error("expected the manifest to be rejected");
  return r.errors;
}

function accepted(raw: unknown) {
  const r = validateManifest(raw, { path, checkFiles: true });
  if (!r.ok) throw new Error(formatErrors(r.errors));
  return r.manifest;
}

const E = (process: string | null, key: string, message: string): ManifestError => ({ process, key, message });

test("defaults: root is the manifest's parent folder, uid base 61000, no permissions, the default restart policy", () => {
  const m = accepted({ version: 1, processes: { a: { kind: "driver", entry: LOG } } });
  assert.equal(m, {
    path, root: repoRoot, version: 1, uidBase: 61000, waves: [["a"]],
    processes: [{
      name: "a", kind: "driver", entry: LOG, entryPath: join(repoRoot, LOG), args: [],
      sandbox: { read: [], write: [], net: [], env: [], run: [], ffi: [], sys: [] },
      linux: { capabilities: [], groups: [] }, exposes: {}, grants: [], depends: [],
      restart: { backoffMs: 200, maxBackoffMs: 10_000, maxRestarts: 10, resetAfterMs: 10_000 },
      healthTimeoutMs: 10_000, memoryMb: null, v8Flags: [], conditions: [], start: "boot",
    }],
  });
  assert.equal(DEFAULT_RESTART, { backoffMs: 200, maxBackoffMs: 10_000, maxRestarts: 10, resetAfterMs: 10_000 });
});

test("every value as written: root relative to the manifest, limits at their bounds, grants' cap defaults to the grant's name", () => {
  const m = accepted({
    version: 1, root: "../capabilities", uidBase: 1000, v8Flags: ["--lite-mode"], description: "d", $comment: "c",
    processes: {
      drv: {
        kind: "driver", entry: "log/main.ts", args: ["--x", "${state}"], description: "d", $comment: "c",
        sandbox: { read: ["/a", "/b"], net: ["127.0.0.1:1"], sys: ["hostname"] },
        linux: { capabilities: ["CAP_NET_RAW", "CAP_CHOWN", "CAP_NET_RAW"], groups: ["vm", "disk", "vm"], $comment: "c" },
        exposes: { log: { interface: "Log", $comment: "c" }, "log-2": { interface: "Log" } },
        restart: { backoffMs: 0, maxBackoffMs: 1, maxRestarts: 0, resetAfterMs: 5 },
        healthTimeoutMs: 1, memoryMb: 16, v8Flags: ["--stack-size=999999", "--lite-mode"],
      },
      mod: {
        kind: "module", entry: join(repoRoot, LOG), depends: ["drv"], memoryMb: 65536,
        grants: { log: { from: "drv", restrictions: { a: 1 }, $comment: "c" }, other: { from: "drv", cap: "log-2" }, mem: { from: "kernel", cap: "memory" } },
      },
    },
  });
  assert.is(m.root, join(repoRoot, "capabilities"));
  assert.is(m.processes[0].entryPath, join(repoRoot, LOG));
  assert.is(m.uidBase, 1000);
  const [drv, mod] = m.processes;
  assert.equal(drv.args, ["--x", "${state}"]);
  assert.equal(drv.sandbox, { read: ["/a", "/b"], write: [], net: ["127.0.0.1:1"], env: [], run: [], ffi: [], sys: ["hostname"] });
  assert.equal(drv.linux, { capabilities: ["CAP_CHOWN", "CAP_NET_RAW"], groups: ["disk", "vm"] });
  assert.equal(drv.exposes, { log: { interface: "Log" }, "log-2": { interface: "Log" } });
  assert.equal(drv.restart, { backoffMs: 0, maxBackoffMs: 1, maxRestarts: 0, resetAfterMs: 5 });
  assert.equal([drv.healthTimeoutMs, drv.memoryMb], [1, 16]);
  assert.equal(drv.v8Flags, ["--lite-mode", "--stack-size=999999"]);
  assert.is(mod.entryPath, join(repoRoot, LOG));
  assert.equal(mod.grants, [
    { name: "log", from: "drv", cap: "log", restrictions: { a: 1 } },
    { name: "other", from: "drv", cap: "log-2", restrictions: {} },
    { name: "mem", from: "kernel", cap: "memory", restrictions: {} },
  ]);
  assert.equal(mod.depends, ["drv"]);
  assert.is(mod.memoryMb, 65536);
  assert.equal(mod.v8Flags, ["--lite-mode"]);
  assert.equal(m.waves, [["drv"], ["mod"]]);
  assert.is(accepted({ version: 1, uidBase: 4_000_000_000, root: ".", processes: { a: { kind: "driver", entry: "../capabilities/log/main.ts" } } }).uidBase, 4_000_000_000);
});

test("start waves: each wave only after all its dependencies, in manifest order within a wave", () => {
  const p = (depends: string[] = []) => ({ kind: "driver", entry: LOG, depends });
  const m = accepted({ version: 1, processes: { e: p(["d", "a"]), d: p(["b"]), c: p(), b: p(["c"]), a: p() } });
  assert.equal(m.waves, [["c", "a"], ["b"], ["d"], ["e"]]);
});

test("the top level: each wrong value named, with what it must be", () => {
  for (const raw of [null, [], "x", 5]) assert.equal(errors(raw), [E(null, "(root)", "must be a JSON object")]);
  assert.equal(errors({ version: 2, root: 5, uidBase: 999, extra: 1, processes: {} }), [
    E(null, "extra", "unknown key (allowed: version, root, uidBase, processes, v8Flags, description, $comment)"),
    E(null, "version", "must be 1 (got 2)"),
    E(null, "root", "must be a path string (relative to the manifest file)"),
    E(null, "uidBase", "must be an integer between 1000 and 4000000000"),
    E(null, "processes", "must be an object with at least one process"),
  ]);
  assert.equal(errors({ processes: [] }), [E(null, "version", "must be 1 (got undefined)"), E(null, "processes", "must be an object with at least one process")]);
  for (const uidBase of [4_000_000_001, 1000.5, "1000"]) {
    assert.equal(errors({ version: 1, uidBase, processes: { a: { kind: "driver", entry: LOG } } }), [E(null, "uidBase", "must be an integer between 1000 and 4000000000")]);
  }
});

test("a process: every wrong key and value named with its process and path", () => {
  const got = errors({
    version: 1, v8Flags: "--lite-mode",
    processes: {
      "1bad": 5,
      p: {
        kind: "daemon", entry: "", args: [1], sandbox: { read: "x", exec: [], write: ["/a,/b", "/c"] }, user: "root",
        linux: { capabilities: ["CAP_FLY", "CAP_CHOWN"], groups: ["Disk", "disk"], extra: 1 },
        exposes: { Caps: { interface: "" }, x: { interface: "X", extra: 1 } },
        grants: { "G!": "kv", g: { from: "", cap: 5, restrictions: [], extra: 1 } },
        depends: "q", restart: { backoffMs: -1, maxRestarts: 1.5, tries: 1 }, healthTimeoutMs: 0, memoryMb: 15,
        v8Flags: ["--lite-mode=1", "--stack-size", "--max-old-space-size=9", "--stack-size=1234567", "--Lite-mode"], size: 1,
        conditions: ["browser", "Browser", "a,b"],
      },
      m: { kind: "module", entry: LOG, sandbox: { net: ["127.0.0.1:1"] }, linux: { groups: ["disk"] }, exposes: [], grants: [], restart: 1 },
      n: { kind: "module", entry: LOG, linux: [], memoryMb: 65537, healthTimeoutMs: 1.5 },
    },
  });
  const allowedFlags = "--single-threaded, --single-threaded-gc, --optimize-for-size, --lite-mode, --max-lazy, --max-semi-space-size=N, --min-semi-space-size=N, --initial-heap-size=N, --stack-size=N";
  assert.equal(got, [
    E(null, "v8Flags", "must be a list of non-empty strings"),
    E("1bad", "(name)", "process names are 1-32 of a-z, 0-9 and -, starting with a letter"),
    E("1bad", "(process)", "must be an object"),
    E("p", "size", "unknown key (allowed: kind, entry, args, sandbox, linux, user, exposes, grants, depends, restart, healthTimeoutMs, memoryMb, v8Flags, conditions, start, description, $comment)"),
    E("p", "kind", 'must be "driver" or "module" (got "daemon")'),
    E("p", "entry", "missing entry point (a path to the process's main .ts file)"),
    E("p", "args", "must be a list of non-empty strings"),
    E("p", "sandbox.read", "must be a list of non-empty strings"),
    E("p", "sandbox.exec", "unknown permission (allowed: read, write, net, env, run, ffi, sys)"),
    E("p", "sandbox.write", '"/a,/b" contains a comma; list each entry separately'),
    E("p", "user", 'removed: every process runs under a uid of its own; a driver lists what it needs beyond that under "linux"'),
    E("p", "linux.extra", "unknown key (allowed: capabilities, groups)"),
    E("p", "linux.capabilities", '"CAP_FLY" is not a Linux capability (names as in capabilities(7), e.g. CAP_NET_ADMIN)'),
    E("p", "linux.groups", '"Disk" is not a group name (1-32 of a-z, 0-9, _ and -)'),
    E("p", "exposes.Caps", "capability names are 1-32 of a-z, 0-9 and -, starting with a letter"),
    E("p", "exposes.Caps.interface", "missing: the Cap'n Proto interface name (e.g. \"Kv\")"),
    E("p", "exposes.x.extra", "unknown key (allowed: interface)"),
    E("p", "grants.G!", "grant names are 1-32 of a-z, 0-9 and -, starting with a letter"),
    E("p", "grants.G!", 'must be an object { "from": process, "cap": name, "restrictions": {...} }'),
    E("p", "grants.g.extra", "unknown key (allowed: from, cap, restrictions)"),
    E("p", "grants.g.from", "missing: the process that provides it"),
    E("p", "grants.g.cap", "must be the name of a capability the provider exposes"),
    E("p", "grants.g.restrictions", "must be an object (the provider interprets it)"),
    E("p", "depends", "must be a list of non-empty strings"),
    E("p", "restart.backoffMs", "must be a non-negative integer"),
    E("p", "restart.maxRestarts", "must be a non-negative integer"),
    E("p", "restart.tries", "unknown key (allowed: backoffMs, maxBackoffMs, maxRestarts, resetAfterMs)"),
    E("p", "healthTimeoutMs", "must be a positive integer"),
    E("p", "memoryMb", "must be an integer number of MiB between 16 and 65536"),
    E("p", "v8Flags", '"--lite-mode=1" takes no value'),
    E("p", "v8Flags", '"--stack-size" needs a value: --stack-size=N'),
    E("p", "v8Flags", `"--max-old-space-size=9" is not an allowed V8 flag (allowed: ${allowedFlags})`),
    E("p", "v8Flags", `"--stack-size=1234567" is not an allowed V8 flag (allowed: ${allowedFlags})`),
    E("p", "v8Flags", `"--Lite-mode" is not an allowed V8 flag (allowed: ${allowedFlags})`),
    E("p", "conditions", '"Browser" is not an export condition name (lowercase letters, digits and "-", e.g. "browser")'),
    E("p", "conditions", '"a,b" is not an export condition name (lowercase letters, digits and "-", e.g. "browser")'),
    E("m", "sandbox", "modules run with no runtime permissions at all; move the resource into a driver and grant its capability"),
    E("m", "linux", "modules run with no Linux capabilities or groups; move the work into a driver and grant its capability"),
    E("m", "exposes", 'must be an object: capability name → { "interface": "Name" }'),
    E("m", "grants", 'must be an object: local name → { "from", "cap", "restrictions" }'),
    E("m", "restart", "must be an object"),
    E("n", "linux", 'must be an object { "capabilities": ["CAP_..."], "groups": ["disk"] }'),
    E("n", "healthTimeoutMs", "must be a positive integer"),
    E("n", "memoryMb", "must be an integer number of MiB between 16 and 65536"),
    // the cross-process checks still run on a process with errors: its empty grant source is no process
    E("p", "grants.g.from", 'no process named "" (processes: 1bad, p, m, n)'),
    E("p", "depends", 'no process named ""'),
  ]);
});

test("across processes: grants and depends name real processes and capabilities; the kernel serves memory only", () => {
  const got = errors({
    version: 1,
    processes: {
      kernel: { kind: "driver", entry: LOG },
      a: { kind: "driver", entry: LOG, exposes: { x: { interface: "X" } }, grants: { self: { from: "a", cap: "x" } }, depends: ["a", "ghost"] },
      b: {
        kind: "module", entry: LOG,
        grants: {
          none: { from: "c" }, nope: { from: "a", cap: "y" }, who: { from: "ghost", cap: "x" },
          disk: { from: "kernel", cap: "disk" }, mem: { from: "kernel", cap: "memory", restrictions: { x: 1 } },
        },
      },
      c: { kind: "driver", entry: LOG },
    },
  });
  assert.equal(got, [
    E("kernel", "(name)", '"kernel" names the kernel itself in grants; choose another process name'),
    E("a", "grants.self.from", "a process cannot be granted its own capability"),
    E("a", "depends", "a process cannot depend on itself"),
    E("a", "depends", 'no process named "ghost"'),
    E("b", "grants.none.cap", '"c" does not expose "none" (it exposes: nothing)'),
    E("b", "grants.nope.cap", '"a" does not expose "y" (it exposes: x)'),
    E("b", "grants.who.from", 'no process named "ghost" (processes: kernel, a, b, c)'),
    E("b", "grants.disk.cap", 'the kernel does not serve "disk" (it serves: memory, upgrade)'),
    E("b", "grants.mem.restrictions", 'the kernel\'s "memory" takes no restrictions'),
    E("b", "depends", 'no process named "ghost"'),
    E("a", "depends", "dependency cycle: a → a (grants and depends both order start-up)"),
  ]);
});

test("a dependency cycle is named from where it closes", () => {
  const p = (depends: string[]) => ({ kind: "driver", entry: LOG, depends });
  assert.equal(errors({ version: 1, processes: { s: p([]), a: p(["s", "b"]), b: p(["c"]), c: p(["a"]) } }), [
    E("a", "depends", "dependency cycle: a → b → c → a (grants and depends both order start-up)"),
  ]);
  assert.equal(errors({ version: 1, processes: { x: p(["y"]), y: p([]), z: p(["w"]), w: p(["z"]) } }), [
    E("z", "depends", "dependency cycle: z → w → z (grants and depends both order start-up)"),
  ]);
});

test("entry points must be files that exist, relative to the root (checked unless told not to)", () => {
  const raw = { version: 1, processes: { a: { kind: "driver", entry: "capabilities/log" }, b: { kind: "driver", entry: "nope.ts" } } };
  assert.equal(errors(raw, true), [
    E("a", "entry", `entry point ${join(repoRoot, "capabilities/log")} does not exist (paths are relative to the manifest root ${repoRoot})`),
    E("b", "entry", `entry point ${join(repoRoot, "nope.ts")} does not exist (paths are relative to the manifest root ${repoRoot})`),
  ]);
  assert.ok(validateManifest(raw, { path, checkFiles: false }).ok);
  assert.not.ok(validateManifest(raw, { path }).ok, "checked by default");
});

test("names: processes, capabilities and grants 1-32 of a-z, 0-9 and - from a letter; groups also _ and a leading _", () => {
  const n32 = "a" + "b-9".repeat(10) + "c";
  const n33 = n32 + "d";
  const ok = (name: string, group = "disk") => validateManifest({
    version: 1,
    processes: {
      [name]: { kind: "driver", entry: LOG, exposes: { [name]: { interface: "X" } }, linux: { groups: [group] } },
      m: { kind: "module", entry: LOG, grants: { [name]: { from: name, cap: name } } },
    },
  }, { path, checkFiles: false });
  assert.is(n32.length, 32);
  assert.ok(ok(n32).ok);
  assert.ok(ok("a").ok);
  for (const bad of [n33, "-a", "9a", "a_b", "aB", ""]) {
    const r = ok(bad);
    assert.not.ok(r.ok, bad);
    if (!r.ok) assert.equal(r.errors.filter((e) => e.key === "(name)" || e.key.startsWith("exposes.") || e.key.startsWith("grants.")).map((e) => e.key).slice(0, 3), ["(name)", `exposes.${bad}`, `grants.${bad}`], bad);
  }
  const groupError = (g: string) => {
    const r = ok("a", g);
    return r.ok ? "accepted" : r.errors.find((e) => e.key === "linux.groups")?.message ?? "";
  };
  assert.is(groupError("vm"), "accepted");
  // a valid name the kernel has no gid for, and names that are no group names at all
  for (const g of ["_x", "a_b-9", "v".repeat(32)]) assert.match(groupError(g), `"${g}" is not a group the kernel knows (known: `, g);
  for (const g of ["v".repeat(33), "9a", "-a", "a.b"]) assert.is(groupError(g), `"${g}" is not a group name (1-32 of a-z, 0-9, _ and -)`, g);
});

test("more wrong values: each named, none crashes the validator", () => {
  const got = errors({
    version: 1,
    processes: {
      p: {
        kind: "driver", entry: 5, sandbox: "all", linux: { capabilities: "CAP_CHOWN", groups: "disk" },
        exposes: { y: "Log", z: { interface: 5 }, a: { interface: "A" }, b: { interface: "B" } },
        grants: { g1: { cap: "x" }, g2: { from: 5 }, g3: { from: "p", cap: null } },
        v8Flags: ["x--lite-mode"],
      },
      q: { kind: "module", entry: LOG, linux: {}, grants: { w: { from: "p", cap: "w" } } },
    },
  });
  assert.equal(got, [
    E("p", "entry", "missing entry point (a path to the process's main .ts file)"),
    E("p", "sandbox", "must be an object of permission lists"),
    E("p", "linux.capabilities", "must be a list of non-empty strings"),
    E("p", "linux.groups", "must be a list of non-empty strings"),
    E("p", "exposes.y.interface", "missing: the Cap'n Proto interface name (e.g. \"Kv\")"),
    E("p", "exposes.z.interface", "missing: the Cap'n Proto interface name (e.g. \"Kv\")"),
    E("p", "grants.g1.from", "missing: the process that provides it"),
    E("p", "grants.g2.from", "missing: the process that provides it"),
    E("p", "grants.g3.cap", "must be the name of a capability the provider exposes"),
    E("p", "v8Flags", `"x--lite-mode" is not an allowed V8 flag (allowed: --single-threaded, --single-threaded-gc, --optimize-for-size, --lite-mode, --max-lazy, --max-semi-space-size=N, --min-semi-space-size=N, --initial-heap-size=N, --stack-size=N)`),
    E("p", "grants.g1.from", 'no process named "" (processes: p, q)'),
    E("p", "grants.g2.from", 'no process named "5" (processes: p, q)'),
    E("p", "grants.g3.from", "a process cannot be granted its own capability"),
    E("p", "depends", 'no process named ""'),
    E("p", "depends", 'no process named "5"'),
    E("p", "depends", "a process cannot depend on itself"),
    E("q", "grants.w.cap", '"p" does not expose "w" (it exposes: a, b)'),
    E("p", "depends", "dependency cycle: p → p (grants and depends both order start-up)"),
  ]);
});

test("every allowed V8 flag is accepted; depends are sorted; a module may have an empty linux key", () => {
  const m = accepted({
    version: 1,
    processes: {
      a: { kind: "driver", entry: LOG, depends: ["c", "b"], v8Flags: ["--single-threaded", "--single-threaded-gc", "--optimize-for-size", "--lite-mode", "--max-lazy", "--max-semi-space-size=1", "--min-semi-space-size=0", "--initial-heap-size=2", "--stack-size=3"] },
      c: { kind: "driver", entry: LOG },
      b: { kind: "module", entry: LOG, linux: { capabilities: [], groups: [] } },
    },
  });
  assert.equal(m.processes[0].depends, ["b", "c"]);
  assert.is(m.processes[0].v8Flags.length, 9);
  assert.equal(m.processes[2].linux, { capabilities: [], groups: [] });
});

test("dependency cycles are named from where they close, not from where the search began", () => {
  const p = (depends: string[]) => ({ kind: "driver", entry: LOG, depends });
  assert.equal(errors({ version: 1, processes: { x: p(["y"]), y: p(["z"]), z: p(["y"]) } }), [
    E("y", "depends", "dependency cycle: y → z → y (grants and depends both order start-up)"),
  ]);
  assert.equal(errors({ version: 1, processes: { a: p(["s", "b"]), s: p([]), b: p(["a"]) } }), [
    E("a", "depends", "dependency cycle: a → b → a (grants and depends both order start-up)"),
  ]);
});

test("formatErrors: one line per error, with the file and the process when there is one", () => {
  assert.is(formatErrors([E(null, "version", "must be 1"), E("a", "kind", "bad")], "m.json"), 'm.json: version: must be 1\nm.json: process "a", kind: bad');
  assert.is(formatErrors([E(null, "x", "y")]), "manifest: x: y");
});

test("comments: whole lines starting with // are dropped, nothing else", () => {
  assert.is(stripComments('// a\n  // b\n{"u": "http://x", // c\n}'), '\n\n{"u": "http://x", // c\n}');
});

test("loadManifest: unreadable file and JSON syntax errors name the file, line and column", () => {
  const dir = tempDir("zt-tests-manifest-exact-");
  const none = loadManifest(join(dir, "none.json"));
  assert.equal(none, { ok: false, errors: [E(null, "(file)", `cannot read ${join(dir, "none.json")}: ENOENT`)] });
  writeFileSync(join(dir, "bad.json"), '// note\n{\n  "version": 1,\n    "processes": {,}\n}\n');
  const bad = loadManifest(join(dir, "bad.json"));
  assert.not.ok(bad.ok);
  if (!bad.ok) {
    assert.equal(bad.errors, [{ process: null, key: "(syntax)", line: 4, column: 19, message: "not valid JSON: a property name was expected, found ',': remove the extra comma" }]);
    assert.is(formatErrors(bad.errors, "bad.json"), "bad.json:4:19: not valid JSON: a property name was expected, found ',': remove the extra comma");
  }
  // a message V8 gives without a position ("Unexpected token 'x'") gets one too
  writeFileSync(join(dir, "token.json"), '{"version": x}');
  const token = loadManifest(join(dir, "token.json"));
  assert.not.ok(token.ok);
  if (!token.ok) assert.is(formatErrors(token.errors, "t.json"), "t.json:1:13: not valid JSON: 'x' is not a JSON value: put text in double quotes (\"x\"); the literals are true, false and null, lowercase");
  // the default root is the manifest folder's parent; files are checked
  mkdirSync(join(dir, "m"));
  writeFileSync(join(dir, "m", "x.json"), '// explained\n{"version": 1, "processes": {"a": {"kind": "driver", "entry": "m/x.json"}}}');
  const good = loadManifest(join(dir, "m", "x.json"));
  assert.ok(good.ok && good.manifest.root === dir && good.manifest.path === join(dir, "m", "x.json"));
  writeFileSync(join(dir, "m", "y.json"), '{"version": 1, "processes": {"a": {"kind": "driver", "entry": "nope.ts"}}}');
  assert.not.ok(loadManifest(join(dir, "m", "y.json")).ok);
  assert.ok(loadManifest(join(dir, "m", "y.json"), { checkFiles: false }).ok);
});

test.run();
