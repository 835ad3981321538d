// The vm-test's sandbox comparison on events shaped as the kernel reports them (CONTRACTS.md:
// `spawned`/`ready` carry `sandbox: {argv, uid, gid, groups, cap*, noNewPrivs}` read from /proc):
// a node launched as the golden manifest says passes, and each way a process could hold more than
// its manifest is named; then the same check on a real root kernel's events (the booted image is
// checked in direct-boot.test.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { capabilityMask, checkSandboxFacts, kernelEventsFromConsole, type KernelEventLike, type SandboxFacts } from "./sandbox-facts.ts";
import { parseJsonc } from "../../rootfs/lib/read-image-manifest.ts";
import { writeFileSync } from "node:fs";
import { startKernel } from "../../kernel/mod.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { rootOnly } from "../../tools/test-env.ts";

const REPO_ROOT = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

const GOLDEN_FILE = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "rootfs", "golden", "manifest.json");
const golden = readFileSync(GOLDEN_FILE, "utf8");
const NONE = "0000000000000000";

interface Proc {
  kind: string;
  entry: string;
  sandbox?: Record<string, string[]>;
  linux?: { capabilities?: string[]; groups?: string[] };
  start?: string;
}

/** A node started exactly as `manifest` says, as a root kernel in the image would report it. */
function launchedAsReviewed(manifest: string): KernelEventLike[] {
  const procs = (parseJsonc(manifest) as { processes: Record<string, Proc> }).processes;
  const events: KernelEventLike[] = [{ event: "kernel-starting", processes: Object.keys(procs).length, root: true }];
  Object.entries(procs).forEach(([name, p], i) => {
    const flags = p.kind === "module" ? [] : Object.entries(p.sandbox ?? {}).filter(([, v]) => v.length)
      .map(([k, v]) => `--allow-${k}=${v.map((x) => x.replace(/\$\{state\}/g, "/run/zos/kernel").replace(/\$\{\w+\}/g, "10.0.2.2:8080")).join(",")}`);
    const mask = capabilityMask(p.linux?.capabilities ?? []).toString(16).padStart(16, "0");
    const sandbox: SandboxFacts = {
      argv: ["/usr/bin/deno", "run", "--quiet", "--no-prompt", "--no-remote", ...flags, `/lib/zos/${p.entry}`],
      uid: 20000 + i,
      gid: 20000 + i,
      groups: (p.linux?.groups ?? []).map((_, j) => 6 + j),
      capInh: mask,
      capPrm: mask,
      capEff: mask,
      capBnd: mask,
      capAmb: mask,
      noNewPrivs: true,
    };
    events.push({ event: "spawned", process: name, pid: 100 + i, sandbox });
    events.push({ event: "ready", process: name, ms: 900, sandbox });
  });
  return events;
}

function edit(events: KernelEventLike[], name: string, change: (f: SandboxFacts) => void): KernelEventLike[] {
  return events.map((e) => {
    if (e.process !== name || !e.sandbox) return e;
    const sandbox = structuredClone(e.sandbox);
    change(sandbox);
    return { ...e, sandbox };
  });
}

test("a node launched as the golden manifest says has no differences", () => {
  assert.equal(checkSandboxFacts(golden, launchedAsReviewed(golden), { kernelIsRoot: true }), []);
});

test("an on-demand process nobody used is fine when the kernel said it left it idle; any other missing process is not", () => {
  const procs = (parseJsonc(golden) as { processes: Record<string, Proc> }).processes;
  const onDemand = Object.keys(procs).filter((n) => procs[n].start === "on-demand");
  assert.ok(onDemand.includes("hypervisor"), "the node starts the hypervisor on demand");
  const unused = launchedAsReviewed(golden).filter((e) => !onDemand.includes(String(e.process)));
  const idle = [...unused, ...onDemand.map((process) => ({ event: "idle", process, start: "on-demand" }))];
  assert.equal(checkSandboxFacts(golden, idle, { kernelIsRoot: true }), []);
  assert.equal(checkSandboxFacts(golden, unused, { kernelIsRoot: true }), onDemand.map((n) => `${n}: no verified sandbox facts reported (no spawned/ready event with "sandbox")`));
  const noKv = idle.filter((e) => e.process !== "kv").concat({ event: "idle", process: "kv" });
  assert.equal(checkSandboxFacts(golden, noKv, { kernelIsRoot: true }), ["kv: no verified sandbox facts reported (no spawned/ready event with \"sandbox\")"], "kv starts at boot");
});

test("a bare ${list} variable may expand into several entries (flist's ${hubhosts}); nothing may vanish", () => {
  const netOf = (f: SandboxFacts) => f.argv.findIndex((a) => a.startsWith("--allow-net="));
  const three = edit(launchedAsReviewed(golden), "flist", (f) => (f.argv[netOf(f)] = "--allow-net=hub.a:443,hub.b:443,hub.a:9900"));
  assert.equal(checkSandboxFacts(golden, three, { kernelIsRoot: true }), []);
  const other = edit(launchedAsReviewed(golden), "flist", (f) => (f.argv[netOf(f)] = "--allow-net=hub.a:443,hub.b:443,hub.a:9900,/etc/shadow"));
  assert.equal(checkSandboxFacts(golden, other, { kernelIsRoot: true }), [], "the golden alone cannot tell (the kernel's own check can)");
  const none = edit(launchedAsReviewed(golden), "flist", (f) => (f.argv = f.argv.filter((a) => !a.startsWith("--allow-net"))));
  assert.equal(checkSandboxFacts(golden, none, { kernelIsRoot: true }), ["flist: lacks --allow-net that its manifest grants (the launch differs from the plan)"]);
});

test("with the image's variables the comparison is exact: a bare ${list} entry, extra entries and arguments", () => {
  // launched by the kernel's own plan (kernel/sandbox.ts: substitute each entry, join with commas)
  const vars: Record<string, string> = {
    state: "/var/cache/zos/kernel", root: "/lib/zos", hubhosts: "hub.a:443,hub.b:443,hub.a:9900", hubstore: "http://hub.a/blocks",
  };
  const procs = (parseJsonc(golden) as { processes: Record<string, Proc & { args?: string[] }> }).processes;
  // ${bootid} is the kernel's, new at each start: the check knows only that it is a UUID
  const bootid = "0f3c2a9e-7d41-4b8e-9c55-1e2f3a4b5c6d";
  const sub = (v: string) => v.replace(/\$\{(\w+)\}/g, (_, k) => k === "bootid" ? bootid : vars[k] ?? "10.0.2.2:8080");
  for (const k of Object.keys(procs)) vars[k] ??= "";
  const events = launchedAsReviewed(golden).map((e) => {
    if (!e.sandbox || !e.process) return e;
    const p = procs[e.process];
    const flags = p.kind === "module" ? [] : Object.entries(p.sandbox ?? {}).filter(([, v]) => v.length)
      .map(([k, v]) => `--allow-${k}=${v.map(sub).join(",")}`);
    return { ...e, sandbox: { ...e.sandbox, argv: ["/usr/bin/deno", "run", ...flags, `/lib/zos/${p.entry}`, ...(p.args ?? []).map(sub)] } };
  });
  const all = new Proxy(vars, { get: (t, k: string) => t[k] ?? "10.0.2.2:8080", has: () => true, getOwnPropertyDescriptor: (t, k: string) => (k === "bootid" ? undefined : { value: t[k] ?? "10.0.2.2:8080", enumerable: true, configurable: true, writable: true }) });
  assert.equal(checkSandboxFacts(golden, events, { kernelIsRoot: true, vars: all }), []);
  const netOf = (f: SandboxFacts) => f.argv.findIndex((a) => a.startsWith("--allow-net="));
  const extra = edit(events, "flist", (f) => (f.argv[netOf(f)] += ",evil.example:443"));
  assert.equal(checkSandboxFacts(golden, extra, { kernelIsRoot: true, vars: all }), [
    "flist: --allow-net is hub.a:443,hub.b:443,hub.a:9900,evil.example:443, its manifest with the image's variables says hub.a:443,hub.b:443,hub.a:9900",
  ], "the lax check lets this pass; the exact one does not");
  const fewer = edit(events, "flist", (f) => (f.argv[netOf(f)] = "--allow-net=hub.a:443,hub.b:443"));
  assert.is(checkSandboxFacts(golden, fewer, { kernelIsRoot: true, vars: all }).length, 1);
  const args = edit(events, "flist", (f) => (f.argv[f.argv.length - 1] = "http://evil.example/blocks"));
  assert.match(checkSandboxFacts(golden, args, { kernelIsRoot: true, vars: all }).join("\n"), /^flist: runs with arguments .*evil\.example.*its manifest with the image's variables says/);
  const notBoot = edit(events, "provision", (f) => (f.argv[f.argv.length - 1] = "--evil"));
  assert.match(checkSandboxFacts(golden, notBoot, { kernelIsRoot: true, vars: all }).join("\n"), /^provision: runs with arguments \["--evil"\]/);
  const unset = checkSandboxFacts(golden, events, { kernelIsRoot: true, vars: { state: "/var/cache/zos/kernel", root: "/lib/zos" } });
  assert.ok(unset.some((d) => /^flist: --allow-net: the manifest's \$\{hubhosts\} has no value/.test(d)), unset.join("\n"));
});

test("-A on a module, and any permission flag on a module, are named", () => {
  const ev = edit(launchedAsReviewed(golden), "provision", (f) => f.argv.splice(2, 0, "-A"));
  assert.equal(checkSandboxFacts(golden, ev, { kernelIsRoot: true }), [`provision: runs with all permissions (-A/--allow-all): ${factsOf(ev, "provision").argv.join(" ")}`]);
  const net = edit(launchedAsReviewed(golden), "api", (f) => f.argv.splice(2, 0, "--allow-net"));
  assert.match(checkSandboxFacts(golden, net, { kernelIsRoot: true }).join("\n"), /^api: has --allow-net but its manifest is a module/);
});

test("a driver with more or other Deno permissions than its manifest is named", () => {
  const extra = edit(launchedAsReviewed(golden), "kv", (f) => f.argv.splice(2, 0, "--allow-run=/usr/bin/deno"));
  assert.equal(checkSandboxFacts(golden, extra, { kernelIsRoot: true }), ["kv: has --allow-run=/usr/bin/deno but its manifest grants no run"]);
  const wide = edit(launchedAsReviewed(golden), "hostfacts", (f) => {
    const i = f.argv.findIndex((a) => a.startsWith("--allow-sys="));
    f.argv[i] = "--allow-sys";
  });
  assert.match(checkSandboxFacts(golden, wide, { kernelIsRoot: true })[0], /^hostfacts: has --allow-sys without a list/);
  const other = edit(launchedAsReviewed(golden), "hostfacts", (f) => {
    const i = f.argv.findIndex((a) => a.startsWith("--allow-read="));
    f.argv[i] = f.argv[i].replace("/proc/meminfo", "/etc/shadow");
  });
  assert.equal(checkSandboxFacts(golden, other, { kernelIsRoot: true }), ["hostfacts: --allow-read entry 1 is /etc/shadow, its manifest says /proc/meminfo"]);
  const fewer = edit(launchedAsReviewed(golden), "chain", (f) => (f.argv = f.argv.filter((a) => !a.startsWith("--allow-net"))));
  assert.equal(checkSandboxFacts(golden, fewer, { kernelIsRoot: true }), ["chain: lacks --allow-net that its manifest grants (the launch differs from the plan)"]);
});

test("root, shared uids, groups, capabilities and missing no_new_privs are named", () => {
  const root = edit(launchedAsReviewed(golden), "log", (f) => {
    f.uid = 0;
    f.gid = 0;
  });
  assert.equal(checkSandboxFacts(golden, root, { kernelIsRoot: true }), ["log: runs as root (uid 0)", "log: runs with gid 0"]);
  const shared = edit(launchedAsReviewed(golden), "clock", (f) => (f.uid = factsOf(launchedAsReviewed(golden), "kv").uid));
  assert.match(checkSandboxFacts(golden, shared, { kernelIsRoot: true }).join("\n"), /^clock: shares uid \d+ with kv$/m);
  const caps = edit(launchedAsReviewed(golden), "identity", (f) => {
    f.capBnd = "000001ffffffffff"; // the full bounding set a plain setuid() leaves
    f.groups = [6];
    f.noNewPrivs = false;
  });
  assert.equal(checkSandboxFacts(golden, caps, { kernelIsRoot: true }), [
    "identity: has supplementary groups [6], its manifest lists []",
    `identity: capBnd is 000001ffffffffff, its manifest allows ${NONE} (none)`,
    "identity: runs without no_new_privs",
  ]);
  // a non-root kernel cannot switch identities: only the command line is checked
  assert.equal(checkSandboxFacts(golden, caps, { kernelIsRoot: false }), []);
});

test("a driver's manifest capabilities are the exact expected masks", () => {
  const withCap = golden.replace(/"kind": "driver",\s*"entry": "capabilities\/kv\/main.ts",/, (m) => `${m} "linux": { "capabilities": ["CAP_NET_ADMIN"] },`);
  assert.ok(withCap !== golden, "the golden has the kv driver");
  const ev = launchedAsReviewed(withCap);
  assert.is(factsOf(ev, "kv").capAmb, "0000000000001000");
  assert.equal(checkSandboxFacts(withCap, ev, { kernelIsRoot: true }), []);
  // the same facts against the golden (no capability): every set is named as wider
  assert.equal(checkSandboxFacts(golden, ev, { kernelIsRoot: true }).length, 5);
});

test("missing facts, unknown processes and the kernel's own sandbox-mismatch are failures", () => {
  const ev = launchedAsReviewed(golden).filter((e) => e.process !== "rmb");
  ev.push({ event: "ready", process: "intruder", sandbox: factsOf(launchedAsReviewed(golden), "log") });
  ev.push({ event: "sandbox-mismatch", process: "api", differences: ["argv: -A not in the plan"] });
  assert.equal(checkSandboxFacts(golden, ev, { kernelIsRoot: true }), [
    "api: the kernel reported sandbox-mismatch: argv: -A not in the plan",
    "intruder: runs but is not in the golden manifest",
    "rmb: no verified sandbox facts reported (no spawned/ready event with \"sandbox\")",
  ]);
});

test("events are read back from the serial console lines PID 1 writes", () => {
  const ev = launchedAsReviewed(golden);
  const lines = ["[    3.1] random kernel line", ...ev.map((e) => `zos-kernel: ${JSON.stringify(e)}`), "zos-kernel: {\"event\":\"rea"];
  assert.equal(kernelEventsFromConsole(lines), ev);
});

test("real kernel events: a root kernel's verified facts pass against its manifest, and a widened manifest is caught", async () => {
  if (!rootOnly("a root kernel's verified sandbox facts")) return; // identities and capabilities are switched only by a root kernel
  const dir = tempDir("zt-image-facts-");
  const text = JSON.stringify({
    version: 1,
    root: REPO_ROOT,
    processes: {
      kv: {
        kind: "driver", entry: "capabilities/kv/main.ts", args: ["${state}/kv"], sandbox: { read: ["${state}/kv"], write: ["${state}/kv"] },
        linux: { capabilities: ["CAP_NET_ADMIN"] }, exposes: { kv: { interface: "Kv" } },
      },
      log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
      greeter: { kind: "module", entry: "modules/greeter/main.ts", grants: { log: { from: "log", cap: "log" } }, exposes: { greeter: { interface: "Greeter" } } },
    },
  }, null, 2);
  const file = join(dir, "manifest.json");
  writeFileSync(file, text);
  const events: KernelEventLike[] = [];
  const h = await startKernel({ manifest: file, stateDir: join(dir, "state"), onEvent: (e) => events.push(e as KernelEventLike), bootTimeoutMs: 30_000 });
  try {
    assert.equal(h.notReady, []);
    assert.equal(checkSandboxFacts(text, events, { kernelIsRoot: true }), []);
    assert.is(factsOf(events, "kv").capAmb, "0000000000001000");
    // the same processes judged against a manifest without kv's capability: the widening is named
    const narrower = text.replace(/"linux": \{[^}]*\},/, "");
    assert.equal(checkSandboxFacts(narrower, events, { kernelIsRoot: true }).filter((d) => d.startsWith("kv: cap")).length, 5);
  } finally {
    await h.stop(3000);
  }
});

function factsOf(events: KernelEventLike[], name: string): SandboxFacts {
  return events.find((e) => e.process === name && e.sandbox)!.sandbox!;
}

test.run();
