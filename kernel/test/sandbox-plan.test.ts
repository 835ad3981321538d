// The launch plan (kernel/sandbox.ts) and its check against /proc (kernel/sandbox-check.ts, kernel/linux.ts),
// without a kernel and without starting anything: the exact command line and environment a process gets, the
// setpriv identity, capability masks and group ids, the facts /proc must show and every way they can differ.
// sandbox-run.test.ts starts such plans for real; the kernel suites run the same code with whole manifests.
import { VM_GID } from "../../capabilities/lib/linux-groups.ts";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, realpathSync } from "node:fs";
import process from "node:process";
import { denoBinary, launchPlan, permissionFlags, v8FlagsArg } from "../sandbox.ts";
import { expectedFacts, readSandboxFacts, sandboxDifferences, type SandboxFacts } from "../sandbox-check.ts";
import { capabilityMask, capabilityNames, groupId, setprivCapName } from "../linux.ts";
import { entryDir as tmp, opts, specs, vars } from "./fixtures/sandbox-specs.ts";


test("a driver's command line allows exactly its sandbox (with ${vars}) and denies every other permission by name", () => {
  assert.equal(permissionFlags(specs().drv, vars), [
    "--allow-read=/st/drv,/etc/hosts", "--deny-write", "--allow-net=127.0.0.1:9", "--deny-env", "--deny-run", "--deny-ffi", "--deny-sys",
  ]);
});

test("a module's command line denies all seven permissions, whatever a sandbox would say", () => {
  const mod = { ...specs().mod, sandbox: specs().drv.sandbox };
  assert.equal(permissionFlags(mod, vars), ["--deny-read", "--deny-write", "--deny-net", "--deny-env", "--deny-run", "--deny-ffi", "--deny-sys"]);
});

test("V8 flags and the heap limit are one --v8-flags argument before the script path; none without them", () => {
  assert.equal(v8FlagsArg(specs().drv), []);
  const drv = specs({ memoryMb: 96, v8Flags: ["--single-threaded"] }).drv;
  assert.equal(v8FlagsArg(drv), [`--v8-flags=${[...drv.v8Flags, "--max-old-space-size=96"].join(",")}`]);
  assert.equal(v8FlagsArg({ ...drv, v8Flags: [] }), ["--v8-flags=--max-old-space-size=96"]);
  const plan = launchPlan(drv, opts);
  const script = plan.args.indexOf(drv.entryPath);
  const v8 = plan.args.findIndex((a) => a.startsWith("--v8-flags="));
  assert.ok(v8 >= 0 && v8 < script, `--v8-flags (${v8}) must come before the script (${script}): after it, it is a script argument`);
});

test("export conditions are one --conditions argument before the script path; none without them", () => {
  const drv = specs().drv;
  assert.not.ok(launchPlan(drv, opts).args.some((a) => a.startsWith("--conditions")));
  const plan = launchPlan({ ...drv, conditions: ["browser", "x-y"] }, opts);
  const c = plan.args.indexOf("--conditions=browser,x-y");
  assert.ok(c >= 0 && c < plan.args.indexOf(drv.entryPath), `--conditions (${c}) must come before the script`);
});

test("the plan: Deno's run line, the script's args substituted after it, an environment of three names", () => {
  const drv = specs().drv;
  const plan = launchPlan(drv, opts);
  assert.is(plan.command, denoBinary());
  assert.equal(plan.args, [
    "run", "--quiet", "--no-prompt", "--no-lock", "--no-remote", "--no-config", "--node-modules-dir=manual",
    ...permissionFlags(drv, vars), drv.entryPath, "--dir", "/st/drv", "${unknown}",
  ]);
  assert.equal(plan.env, { DENO_DIR: opts.denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" });
  assert.is(plan.cwd, tmp);
  assert.is(plan.identity, null);
});

test("with an identity: setpriv sets uid, gid, exactly the groups and capabilities (ambient and bounding), no_new_privs, then Deno", () => {
  const drv = specs().drv;
  const plan = launchPlan(drv, { ...opts, identity: { uid: 4100, gid: 4100, groups: [6, 44], capabilities: ["CAP_NET_ADMIN", "CAP_NET_RAW"] } });
  assert.match(plan.command, /\/setpriv$/);
  const caps = "-all,+net_admin,+net_raw";
  assert.equal(plan.args.slice(0, plan.args.indexOf("--") + 2), [
    "--reuid=4100", "--regid=4100", "--groups=6,44", `--inh-caps=${caps}`, `--ambient-caps=${caps}`, `--bounding-set=${caps}`,
    "--no-new-privs", "--", denoBinary(),
  ]);
  assert.equal(plan.args.slice(plan.args.indexOf("--") + 2), launchPlan(drv, opts).args);
  const bare = launchPlan(drv, { ...opts, identity: { uid: 4101, gid: 4102, groups: [], capabilities: [] } });
  assert.equal(bare.args.slice(0, 7), ["--reuid=4101", "--regid=4102", "--clear-groups", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs"]);
  assert.equal(bare.env, plan.env);
});

test("capability masks and names as /proc/PID/status prints them", () => {
  assert.is(capabilityMask([]), "0000000000000000");
  assert.is(capabilityMask(["CAP_NET_ADMIN"]), "0000000000001000");
  assert.is(capabilityMask(["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_CHECKPOINT_RESTORE"]), "0000010000000401");
  assert.equal(capabilityNames("0000010000000401"), ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_CHECKPOINT_RESTORE"]);
  assert.equal(capabilityNames(""), []);
  assert.equal(capabilityNames("000001ffffffffff").length, 41);
  assert.is(setprivCapName("CAP_NET_BIND_SERVICE"), "net_bind_service");
});

test("group names resolve through the kernel's fixed table, never the host's /etc/group; anything else is null", () => {
  assert.is(groupId("disk"), 6);
  assert.is(groupId("vm"), VM_GID);
  assert.is(groupId("root"), null);
  assert.is(groupId("6"), null, "a number is not a group name");
  assert.is(groupId("dis"), null);
  assert.is(groupId("toString"), null, "the table's prototype is not a group");
  assert.is(groupId("__proto__"), null);
});

const base: SandboxFacts = {
  argv: ["deno", "run", "x.ts"], uid: 1, gid: 2, groups: [6], capInh: "0000000000000000", capPrm: "0000000000001000",
  capEff: "0000000000001000", capBnd: "0000000000001000", capAmb: "0000000000001000", noNewPrivs: true,
};

test("every difference between planned and actual facts is named; equal facts have none", () => {
  assert.equal(sandboxDifferences(base, { ...base, groups: [6] }), []);
  const diff = (actual: Partial<SandboxFacts>) => sandboxDifferences(base, { ...base, ...actual });
  assert.equal(diff({ argv: ["deno", "run", "-A", "x.ts"] }), ["argv differs; added: -A"]);
  assert.equal(diff({ argv: ["deno", "x.ts"] }), ["argv differs; missing: run"]);
  assert.equal(diff({ argv: ["deno", "x.ts", "run"] }), ["argv differs; reordered"]);
  assert.equal(diff({ argv: ["deno", "run", "x.ts", "-A", "--x"] }), ["argv differs; added: -A --x"]);
  assert.equal(diff({ argv: ["deno"] }), ["argv differs; missing: run x.ts"]);
  assert.equal(diff({ uid: 0 }), ["uid 0, expected 1"]);
  assert.equal(diff({ gid: 0 }), ["gid 0, expected 2"]);
  assert.equal(diff({ groups: [6, 0] }), ["groups [6,0], expected [6]"]);
  assert.equal(diff({ capEff: "0000000000003000" }), ["capEff 0000000000003000, expected 0000000000001000 (extra: CAP_NET_RAW)"]);
  assert.equal(diff({ capEff: "0000000000007000" }), ["capEff 0000000000007000, expected 0000000000001000 (extra: CAP_NET_RAW,CAP_IPC_LOCK)"]);
  assert.equal(sandboxDifferences({ ...base, capBnd: "0000000000007000" }, base), ["capBnd 0000000000001000, expected 0000000000007000 (lacking: CAP_NET_RAW,CAP_IPC_LOCK)"]);
  assert.equal(diff({ capBnd: "0000000000000000" }), ["capBnd 0000000000000000, expected 0000000000001000 (lacking: CAP_NET_ADMIN)"]);
  assert.equal(diff({ capInh: "0000000000001000" }), ["capInh 0000000000001000, expected 0000000000000000 (extra: CAP_NET_ADMIN)"]);
  assert.equal(diff({ capPrm: "0000000000002000" }), ["capPrm 0000000000002000, expected 0000000000001000 (extra: CAP_NET_RAW) (lacking: CAP_NET_ADMIN)"]);
  assert.equal(diff({ capAmb: "0" }), ["capAmb 0, expected 0000000000001000 (lacking: CAP_NET_ADMIN)"]);
  assert.equal(diff({ noNewPrivs: false }), ["no_new_privs 0, expected 1"]);
  assert.equal(sandboxDifferences({ ...base, noNewPrivs: false }, { ...base }), ["no_new_privs 1, expected 0"]);
  assert.is(diff({ uid: 0, gid: 0, noNewPrivs: false }).length, 3);
});

test("the expected facts of a plan with an identity: argv after setpriv's --, the plan's ids, one mask for all five sets", () => {
  const drv = specs().drv;
  const plan = launchPlan(drv, { ...opts, identity: { uid: 4100, gid: 4200, groups: [44, 6], capabilities: ["CAP_NET_ADMIN"] } });
  const mask = "0000000000001000";
  assert.equal(expectedFacts(plan, base), {
    argv: [denoBinary(), ...launchPlan(drv, opts).args], uid: 4100, gid: 4200, groups: [6, 44],
    capInh: mask, capPrm: mask, capEff: mask, capBnd: mask, capAmb: mask, noNewPrivs: true,
  });
});

test("the expected facts without an identity: the kernel's own ids, groups and bounding set; exec leaves only its ambient set", () => {
  const plan = launchPlan(specs().drv, opts);
  const kernel: SandboxFacts = { ...base, capInh: "00000000000000ff", capPrm: "0000000000000fff", capEff: "0000000000000ff0", capBnd: "000001ffffffffff", capAmb: "0000000000000010", noNewPrivs: false };
  const e = expectedFacts(plan, kernel);
  assert.equal(e.argv, [plan.command, ...plan.args]);
  assert.equal([e.uid, e.gid], [process.getuid!(), process.getgid!()]);
  assert.equal(e.groups, kernel.groups);
  assert.equal([e.capInh, e.capPrm, e.capEff, e.capBnd, e.capAmb], ["00000000000000ff", "0000000000000010", "0000000000000010", "000001ffffffffff", "0000000000000010"]);
  assert.is(e.noNewPrivs, false);
});

test("this process's facts read from /proc: its ids, sorted groups, 16-digit masks", () => {
  const f = readSandboxFacts("self");
  assert.equal([f.uid, f.gid], [process.getuid!(), process.getgid!()]);
  assert.equal(f.groups, [...f.groups].sort((a, b) => a - b));
  for (const k of ["capInh", "capPrm", "capEff", "capBnd", "capAmb"] as const) assert.match(f[k], /^[0-9a-f]{16}$/, k);
  assert.is(realpathSync(f.argv[0]), realpathSync(process.execPath)); // argv[0] may be a linked node_modules
  assert.ok(!f.argv.includes(""), "no empty trailing argument");
  const status = readFileSync("/proc/self/status", "utf8");
  assert.is(f.noNewPrivs, /^NoNewPrivs:\s*1$/m.test(status));
});

test.run();
