// The kernel checks /proc against the launch plan and fails closed. A command line stripped of its
// explicit deny flags is started through node:child_process from this Deno process, which really inserts
// `-A` (upstream Deno mimicking Node): the kernel sees it in /proc, kills the process, reports
// `sandbox-mismatch` naming the difference, leaves it failed (no restart) and serves it nothing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { repoRoot } from "../sandbox.ts";
import { validateManifest } from "../manifest.ts";
import { defaultRunDir } from "../kernel.ts";
import { capabilityMask } from "../linux.ts";
import { sandboxDifferences, type SandboxFacts } from "../sandbox-check.ts";
import { type KernelEvent, startKernel } from "../mod.ts";
import { tempDir } from "../../tools/test-tmp.ts";

test("a rewritten command line (-A inserted) is caught from /proc: killed, failed, nothing granted", async () => {
  const tmp = tempDir("zt-sandbox-check-");
  const r = validateManifest({
    version: 1, root: repoRoot,
    processes: {
      log: { kind: "driver", entry: "capabilities/log/main.ts", exposes: { log: { interface: "Log" } } },
      // asks its Session at once, before the kernel's first health call is answered: the ask waits for the
      // /proc check. "memory" is served by the kernel itself, so without the wait it would be granted at once.
      probe: { kind: "module", entry: "kernel/test/fixtures/session-probe/main.ts", args: ["memory", "log"], grants: { log: { from: "log", cap: "log" }, memory: { from: "kernel", cap: "memory" } }, restart: { backoffMs: 10 } },
    },
  }, { path: join(tmp, "m.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const events: KernelEvent[] = [];
  const state = join(tmp, "state");
  const h = await startKernel({
    manifest: r.manifest, stateDir: state, bootTimeoutMs: 20_000, onEvent: (e) => events.push(e),
    alterCommandLine: (name, command, args) => ({ command, args: name === "probe" ? args.filter((a) => !a.startsWith("--deny-")) : args }),
  });
  try {
    assert.equal(h.notReady, ["probe"]);
    const mismatch = events.find((e) => e.event === "sandbox-mismatch" && e.process === "probe");
    assert.ok(mismatch, "sandbox-mismatch reported");
    const differences = mismatch!.differences as string[];
    // Deno inserts -A only when the binary it spawns is its own execPath; where node_modules is a symlink
    // (Stryker's sandbox) the path differs and only the stripped flags show: caught all the same
    assert.ok(differences.some((d) => /^argv differs; (added: -A|missing: --deny-read --deny-write --deny-net)/.test(d)), differences.join(" | "));
    assert.ok(events.some((e) => e.event === "failed" && e.process === "probe" && /sandbox mismatch/.test(String(e.reason))));
    assert.not.ok(events.some((e) => e.event === "spawned" && e.process === "probe"), "never announced as spawned");
    assert.not.ok(events.some((e) => e.event === "granted" && e.process === "probe"), "its Session served nothing");
    assert.not.ok(events.some((e) => e.event === "restarting" && e.process === "probe"), "not restarted");
    assert.is(h.kernel.states().probe, "failed");
    assert.is(h.kernel.states().log, "ready", "the rest of the node runs on");
    const log = events.find((e) => e.event === "spawned" && e.process === "log")!.sandbox as SandboxFacts;
    assert.ok(log.argv.includes("--deny-net") && !log.argv.includes("-A"), "the verified facts of a good process");
  } finally {
    await h.stop(3000);
    rmSync(defaultRunDir(state), { recursive: true, force: true });
  }
});

test("sandboxDifferences names every difference in words a reviewer can act on", () => {
  const planned: SandboxFacts = {
    argv: ["deno", "run", "--deny-read", "m.ts"], uid: 61001, gid: 61001, groups: [],
    capInh: "0000000000000000", capPrm: "0000000000000000", capEff: "0000000000000000", capBnd: "0000000000000000", capAmb: "0000000000000000",
    noNewPrivs: true,
  };
  assert.equal(sandboxDifferences(planned, { ...planned }), []);
  const wide = capabilityMask(["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]);
  const d = sandboxDifferences(planned, { ...planned, argv: ["deno", "run", "-A", "m.ts"], uid: 0, groups: [6], capBnd: wide, noNewPrivs: false });
  assert.equal(d, [
    "argv differs; added: -A; missing: --deny-read",
    "uid 0, expected 61001",
    "groups [6], expected []",
    `capBnd ${wide}, expected 0000000000000000 (extra: CAP_NET_ADMIN,CAP_SYS_ADMIN)`,
    "no_new_privs 0, expected 1",
  ]);
});

test.run();
