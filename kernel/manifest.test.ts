// Manifest validation, start order, audit and diff — data only, no processes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { audit } from "./audit.ts";
import { diffManifests } from "./diff.ts";
import { formatErrors, loadManifest, type Manifest, type ManifestError, substitute, validateManifest } from "./manifest.ts";
import { repoRoot } from "./sandbox.ts";
import { tempDir } from "../tools/test-tmp.ts";

const fake = join(repoRoot, "manifests", "test.json");

// deno-lint-ignore no-explicit-any -- raw JSON under test, edited freely by each case
function base(): Record<string, any> {
  return {
    version: 1,
    processes: {
      kv: { kind: "driver", entry: "capabilities/kv/main.ts", sandbox: { read: ["/s"], write: ["/s"] }, exposes: { kv: { interface: "Kv" } } },
      log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
      app: { kind: "module", entry: "modules/counter/main.ts", exposes: { counter: { interface: "Counter" } }, grants: { kv: { from: "kv", cap: "kv", restrictions: { namespace: "app" } } } },
      web: { kind: "module", entry: "modules/greeter/main.ts", grants: { counter: { from: "app", cap: "counter" }, log: { from: "log", cap: "log" } } },
    },
  };
}

function errorsOf(raw: unknown, checkFiles = true): ManifestError[] {
  const r = validateManifest(raw, { path: fake, checkFiles });
  if (r.ok) throw new Error("expected the manifest to be rejected");
  return r.errors;
}

function ok(raw: unknown): Manifest {
  const r = validateManifest(raw, { path: fake });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.process}/${e.key}: ${e.message}`).join("\n"));
  return r.manifest;
}

function has(errors: ManifestError[], process: string | null, key: string, message: RegExp): void {
  const hit = errors.find((e) => e.process === process && e.key === key && message.test(e.message));
  assert.ok(hit, `no error for ${process}/${key} ~ ${message}; got:\n${errors.map((e) => `${e.process}/${e.key}: ${e.message}`).join("\n")}`);
}

test("the shipped manifests validate", () => {
  for (const f of ["dev-example.json", "node.json"]) {
    const r = loadManifest(join(repoRoot, "manifests", f));
    assert.ok(r.ok, f + ": " + (!r.ok ? JSON.stringify(r.errors) : ""));
  }
});

test("start waves follow grants and explicit depends", () => {
  const m = ok(base());
  assert.equal(m.waves, [["kv", "log"], ["app"], ["web"]]);
  const raw = base();
  raw.processes.log.depends = ["kv"];
  assert.equal(ok(raw).waves, [["kv"], ["log", "app"], ["web"]]);
  assert.equal(ok(raw).processes.find((p) => p.name === "web")!.depends, ["app", "log"]);
});

test("unknown keys are named with their process and path", () => {
  const raw = base();
  raw.extra = 1;
  raw.processes.app.sandox = {};
  raw.processes.web.grants.log.restriction = {};
  raw.processes.kv.sandbox.exec = ["x"];
  const e = errorsOf(raw);
  has(e, null, "extra", /unknown key/);
  has(e, "app", "sandox", /unknown key/);
  has(e, "web", "grants.log.restriction", /unknown key/);
  has(e, "kv", "sandbox.exec", /unknown permission/);
});

test("a missing or absent entry point is an error", () => {
  const raw = base();
  delete raw.processes.app.entry;
  raw.processes.web.entry = "modules/nope/main.ts";
  const e = errorsOf(raw);
  has(e, "app", "entry", /missing entry point/);
  has(e, "web", "entry", /does not exist/);
});

test("granting something nobody exposes, or from nobody, is an error", () => {
  const raw = base();
  raw.processes.web.grants.secret = { from: "kv", cap: "root" };
  raw.processes.web.grants.ghost = { from: "nobody", cap: "x" };
  raw.processes.app.grants.self = { from: "app", cap: "counter" };
  const e = errorsOf(raw);
  has(e, "web", "grants.secret.cap", /"kv" does not expose "root" \(it exposes: kv\)/);
  has(e, "web", "grants.ghost.from", /no process named "nobody"/);
  has(e, "app", "grants.self.from", /its own capability/);
});

test("v8Flags: only the allow-listed heap and compiler flags, the manifest's first, then the process's", () => {
  const raw = base();
  raw.v8Flags = ["--single-threaded"];
  raw.processes.kv.v8Flags = ["--max-semi-space-size=1", "--single-threaded"];
  raw.processes.kv.memoryMb = 80;
  const m = ok(raw);
  const kv = m.processes.find((p) => p.name === "kv")!;
  assert.equal(kv.v8Flags, ["--single-threaded", "--max-semi-space-size=1"]);
  assert.equal(m.processes.find((p) => p.name === "log")!.v8Flags, ["--single-threaded"]);
  const bad = base();
  bad.v8Flags = ["--allow-natives-syntax"];
  bad.processes.kv.v8Flags = ["--max-semi-space-size", "--lite-mode=1", "--max-old-space-size=64", "--single-threaded,--expose-gc", "-e"];
  const e = errorsOf(bad);
  has(e, null, "v8Flags", /"--allow-natives-syntax" is not an allowed V8 flag \(allowed: --single-threaded/);
  has(e, "kv", "v8Flags", /"--max-semi-space-size" needs a value/);
  has(e, "kv", "v8Flags", /"--lite-mode=1" takes no value/);
  has(e, "kv", "v8Flags", /"--max-old-space-size=64" is not an allowed V8 flag/);
  has(e, "kv", "v8Flags", /"--single-threaded,--expose-gc" is not an allowed V8 flag/);
  has(e, "kv", "v8Flags", /"-e" is not an allowed V8 flag/);
});

test("the kernel serves `memory` itself: no dependency, no restrictions, and no process may be named kernel", () => {
  const raw = base();
  raw.processes.web.grants.memory = { from: "kernel", cap: "memory" };
  const m = ok(raw);
  const web = m.processes.find((p) => p.name === "web")!;
  assert.equal(web.depends, ["app", "log"], "a kernel grant orders nothing");
  const a = audit(m).processes.find((p) => p.name === "web")!;
  assert.equal(a.grants.find((g) => g.name === "memory")!.interface, "ProcessMemory");
  assert.ok(audit(m).capabilities.includes("kernel.memory"));
  const bad = base();
  bad.processes.web.grants.all = { from: "kernel", cap: "everything" };
  bad.processes.web.grants.memory = { from: "kernel", cap: "memory", restrictions: { only: "web" } };
  bad.processes.kernel = { kind: "driver", entry: "capabilities/log/main.ts" };
  const e = errorsOf(bad);
  has(e, "web", "grants.all.cap", /the kernel does not serve "everything" \(it serves: memory, upgrade\)/);
  has(e, "web", "grants.memory.restrictions", /takes no restrictions/);
  has(e, "kernel", "(name)", /names the kernel itself/);
});

test("a dependency cycle is reported with its path", () => {
  const raw = base();
  raw.processes.kv.depends = ["web"];
  const e = errorsOf(raw);
  const c = e.find((x) => /dependency cycle/.test(x.message));
  assert.ok(c);
  assert.match(c!.message, /kv → web → (app → kv|log → kv)|web → .* → web|app → kv → web → app/);
});

test("modules cannot have runtime permissions, Linux capabilities or groups; nobody runs as the kernel's uid", () => {
  const raw = base();
  raw.processes.app.sandbox = { net: ["127.0.0.1:80"] };
  raw.processes.app.linux = { capabilities: ["CAP_NET_ADMIN"] };
  raw.processes.web.user = "kernel";
  raw.processes.kv.user = "own";
  const e = errorsOf(raw);
  has(e, "app", "sandbox", /no runtime permissions/);
  has(e, "app", "linux", /no Linux capabilities or groups/);
  has(e, "web", "user", /uid of its own/);
  has(e, "kv", "user", /removed/);
});

test("linux: drivers name real capabilities and group names; unknown keys are refused", () => {
  const raw = base();
  raw.processes.kv.linux = { capabilities: ["CAP_NET_ADMIN", "CAP_FLY"], groups: ["disk", "Bad Group"], extra: true };
  raw.processes.log.linux = ["CAP_SYS_ADMIN"];
  const e = errorsOf(raw);
  has(e, "kv", "linux.capabilities", /"CAP_FLY" is not a Linux capability/);
  has(e, "kv", "linux.groups", /"Bad Group" is not a group name/);
  has(e, "kv", "linux.extra", /unknown key/);
  has(e, "log", "linux", /must be an object/);
  assert.not.ok(e.some((x) => x.process === "kv" && /"CAP_NET_ADMIN"|"disk"/.test(x.message)), "valid names pass");
  const good = base();
  good.processes.kv.linux = { capabilities: ["CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_NET_ADMIN"], groups: ["disk"] };
  const m = ok(good);
  assert.equal(m.processes.find((p) => p.name === "kv")!.linux, { capabilities: ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"], groups: ["disk"] });
  assert.equal(m.processes.find((p) => p.name === "log")!.linux, { capabilities: [], groups: [] }, "default: none");
  const kvAudit = audit(m).processes.find((p) => p.name === "kv")!;
  assert.equal(kvAudit.linux, { capabilities: ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"], groups: ["disk"] });
  assert.is(kvAudit.uid, m.uidBase);
});

test("bad values: kind, restart, names, restrictions, permission lists", () => {
  const raw = base();
  raw.processes.kv.kind = "daemon";
  raw.processes.log.restart = { backoffMs: -1, tries: 3 };
  raw.processes["Bad_Name"] = { kind: "module", entry: "modules/counter/main.ts" };
  raw.processes.web.grants.log.restrictions = "all";
  raw.processes.kv.sandbox.read = ["/a,/etc"];
  raw.processes.app.memoryMb = 8;
  const e = errorsOf(raw);
  has(e, "app", "memoryMb", /between 16 and 65536/);
  has(e, "kv", "kind", /"driver" or "module"/);
  has(e, "log", "restart.backoffMs", /non-negative integer/);
  has(e, "log", "restart.tries", /unknown key/);
  has(e, "Bad_Name", "(name)", /process names/);
  has(e, "web", "grants.log.restrictions", /must be an object/);
  has(e, "kv", "sandbox.read", /comma/);
});

test("loadManifest reports unreadable files and JSON syntax errors with a line", () => {
  const dir = tempDir("zt-manifest-");
  const missing = loadManifest(join(dir, "none.json"));
  assert.ok(!missing.ok && /cannot read/.test(missing.errors[0].message));
  writeFileSync(join(dir, "bad.json"), '// comment lines are allowed\n{\n  "version": 1,\n  "processes": {,}\n}\n');
  const bad = loadManifest(join(dir, "bad.json"));
  assert.ok(!bad.ok);
  if (!bad.ok) assert.match(formatErrors(bad.errors, "bad.json"), /^bad\.json:4:17: not valid JSON: /);
});

test("audit: direct grants, transitive reach and the runtime permissions behind them", () => {
  const a = audit(ok(base()));
  const web = a.processes.find((p) => p.name === "web")!;
  assert.equal(web.grants.map((g) => `${g.from}.${g.cap}`), ["app.counter", "log.log"]);
  const viaApp = web.reach.find((r) => r.capability === "kv.kv")!;
  assert.equal(viaApp.restrictions, { namespace: "app" });
  assert.equal(viaApp.via, ["app"]);
  assert.ok(web.reachablePermissions.some((p) => p.process === "kv" && p.permission === "write"));
  const kv = a.processes.find((p) => p.name === "kv")!;
  assert.equal(kv.reach, []);
  assert.equal(kv.permissions, { read: ["/s"], write: ["/s"] });
});

test("diff: gained grants and permissions widen; losses and reordering do not", () => {
  const a = ok(base());
  const same = base();
  same.processes = Object.fromEntries(Object.entries(same.processes).reverse());
  assert.is(diffManifests(a, ok(same)).widened, false);
  assert.equal(diffManifests(a, ok(same)).processes, []);
  const narrower = base();
  delete narrower.processes.web.grants.log;
  const d1 = diffManifests(a, ok(narrower));
  assert.is(d1.widened, false);
  assert.equal(d1.processes[0].lost.map((l) => l.what), ["grant log: log.log unrestricted"]);
  const wider = base();
  wider.processes.web.grants.kv = { from: "kv", cap: "kv", restrictions: { namespace: "app" } };
  wider.processes.log.sandbox = { net: ["0.0.0.0:514"] };
  wider.processes.app.grants.kv.restrictions = { namespace: "app", readOnly: false };
  const d2 = diffManifests(a, ok(wider));
  assert.is(d2.widened, true);
  const gained = Object.fromEntries(d2.processes.map((p) => [p.process, p.gained.map((g) => g.what)]));
  assert.equal(gained.web, ['grant kv: kv.kv {"namespace":"app"}']);
  assert.equal(gained.log, ["permission net=0.0.0.0:514"]);
  assert.equal(gained.app, ['grant kv: kv.kv {"namespace":"app","readOnly":false}']);
  const capable = base();
  capable.processes.log.linux = { capabilities: ["CAP_NET_ADMIN"], groups: ["disk"] };
  const d3 = diffManifests(a, ok(capable));
  assert.is(d3.widened, true);
  assert.equal(d3.processes[0].gained, [
    { what: "linux capability CAP_NET_ADMIN", widens: true },
    { what: "linux group disk", widens: true },
  ]);
  assert.is(diffManifests(ok(capable), a).widened, false, "dropping a capability narrows");
});

test("variables: ${name} is substituted only from the given map, never from the prototype", () => {
  const vars = { state: "/s", chain_url: "ws://127.0.0.1:9944" };
  assert.is(substitute("${state}/kv", vars), "/s/kv");
  assert.is(substitute("--chain=${chain_url}", vars), "--chain=ws://127.0.0.1:9944");
  assert.is(substitute("${constructor}${unknown}", vars), "${constructor}${unknown}");
});

test.run();
