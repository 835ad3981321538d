// test-timeout: 300
// A bad release's rollback says what failed, as the kernel saw it: the process, its exit code or signal, how
// long it ran and its last stderr lines — in the `upgrade-rolling-back`/`upgrade-rolled-back` events, in the
// agent's status (what zos.admin.upgrade_status answers the farmer) and in the state file's failed list. The
// image's upgrade vm-test saw hostfacts exit with code 3 after 3 s and the rollback say "not ready within
// 300000 ms". A small real node: the kernel with the flist driver (which fetches releases from the dev hub)
// and one driver, `facts`; releases built with `zos release build`'s code and pushed to the hub; the agent the
// node runs. Three bad releases: `facts` exits before it answers ready, answers and then crashes while the
// release settles, or never answers.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { appendFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningHub, startHub } from "../../grid/hub/mod.ts";
import { NODE_MANIFEST } from "../../modules/node.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { repoRoot } from "../sandbox.ts";
import { type KernelEvent, type KernelHandle, startKernel } from "../mod.ts";
import { Upgrader } from "./agent.ts";
import { buildRelease, writeReleaseInfo } from "./build.ts";
import { hubHostPort } from "./fetch.ts";
import { pushRelease } from "./push.ts";
import { readState } from "./state.ts";

const t = suite("rollback reasons");
const dir = tempDir("zt-review-rollback-");
const CHANNEL = "tf-zos/zos-rollback.fl";
const FACTS_BUNDLE = join("kernel", "test", "fixtures", "echo", "main.bundle.js");
/** each new process gets this long to answer ready (the agent's floor): the never-ready release waits it out */
const HEALTH_MS = 15_000;
const SETTLE_MS = 4000;
const state = join(dir, "state");
let hub: RunningHub;
let kernel: KernelHandle;
let agent: Upgrader;
let built = "";
const events: KernelEvent[] = [];

/** The node's flist driver and one boot driver (the echo fixture), `facts` first in start order. */
function testManifest(root?: string): Record<string, unknown> {
  const node = JSON.parse(readFileSync(NODE_MANIFEST, "utf8").replace(/^\s*\/\/.*$/gm, ""));
  return {
    version: 1, ...(root ? { root } : {}),
    processes: {
      facts: { kind: "driver", entry: "kernel/test/fixtures/echo/main.ts", exposes: { echo: { interface: "Echo" } }, restart: { backoffMs: 100 } },
      flist: node.processes.flist,
    },
  };
}

/** A release derived from the built one with `facts`' bundle changed by `edit`. */
async function publish(name: string, version: string, edit: (bundle: string) => void): Promise<string> {
  const d = join(dir, name);
  cpSync(built, d, { recursive: true });
  edit(join(d, FACTS_BUNDLE));
  writeReleaseInfo(d, version);
  return (await pushRelease({ hubUrl: hub.url, dir: d, channel: CHANNEL })).hash;
}

/** Runs a check and returns what the agent reported, with the rollback's events. */
async function check(hash: string) {
  const since = events.length;
  const result = await agent.check();
  const mine = events.slice(since);
  assert.ok(mine.some((e) => e.event === "upgrade-starting" && e.hash === hash), `the release was tried: ${JSON.stringify(result)}`);
  const rolling = mine.find((e) => e.event === "upgrade-rolling-back");
  const rolled = mine.find((e) => e.event === "upgrade-rolled-back");
  assert.ok(rolling && rolled, `rolled back: ${mine.map((e) => e.event).join(", ")}`);
  assert.equal(mine.filter((e) => e.event === "upgrade-restored").map((e) => e.ok), mine.filter((e) => e.event === "upgrade-replaced").map(() => true), "every replaced process went back");
  assert.is(kernel.kernel.states().facts, "ready");
  return { result, rolling: rolling!, rolled: rolled! };
}

/** The same reason in the result, both events, the farmer's status and the state file's failed list. */
function sameEverywhere(c: Awaited<ReturnType<typeof check>>, hash: string): string {
  assert.is(c.result.result, "rolled-back");
  const reason = (c.result as { reason: string }).reason;
  assert.is(c.rolling.reason, reason);
  assert.is(c.rolled.reason, reason);
  assert.is(c.rolled.process, "facts");
  const status = agent.status() as { last: { reason: string }; failed: { hash: string; reason: string }[] };
  assert.is(status.last.reason, reason, "zos.admin.upgrade_status shows it");
  const failed = readState(state).failed.find((f) => f.hash === hash);
  assert.is(failed?.reason, reason, "the state file keeps it (a later check answers failed-before with it)");
  return reason;
}

t.before(async () => {
  hub = await startHub({ dir: join(dir, "hub") });
  const src = join(dir, "manifest.json");
  writeFileSync(src, JSON.stringify(testManifest(repoRoot)));
  built = join(dir, "built");
  buildRelease({ root: repoRoot, out: built, version: "0.0.0-built", manifest: src });
  // the release's own manifest: root is the release tree (the manifest's default, as manifests/node.json)
  writeFileSync(join(built, "manifests", "node.json"), JSON.stringify(testManifest()));
  kernel = await startKernel({
    manifest: src, stateDir: state, bootTimeoutMs: 60_000, onEvent: (e) => events.push(e),
    vars: { hubhosts: hubHostPort(hub.url), hubstore: `${hub.url}/blocks` },
  });
  agent = new Upgrader({ kernel: kernel.kernel, stateDir: state, hubUrl: hub.url, channel: CHANNEL, intervalMs: 0, settleMs: SETTLE_MS, healthTimeoutMs: HEALTH_MS, installedVersion: "1.0.0" });
});

t.after(async () => {
  await agent?.stop();
  await kernel?.stop(10_000);
  await hub?.stop();
});

t("a process that exits before it answers ready: its exit code, when, and its last output lines", async () => {
  const hash = await publish("rel-exits", "1.1.0-exits", (bundle) => writeFileSync(bundle, [
    `console.error("facts: reading /sys/class/dmi/id/zt-missing: no such file");`,
    `console.error("facts: cannot collect host facts, giving up");`,
    `setTimeout(() => Deno.exit(3), 1500);`,
  ].join("\n")));
  const c = await check(hash);
  const reason = sameEverywhere(c, hash);
  assert.match(reason, /^facts exited with code 3 after \d+\.\d s, before it answered ready; its last output: "facts: reading \/sys\/class\/dmi\/id\/zt-missing: no such file" "facts: cannot collect host facts, giving up"$/);
  assert.not.match(reason, /not ready within/);
  assert.equal(c.rolled.exit, c.rolling.exit);
  const exit = c.rolled.exit as { code: number; signal: string | null; ranMs: number; output: string[] };
  assert.is(exit.code, 3);
  assert.is(exit.signal, null);
  assert.ok(exit.ranMs >= 1500 && exit.ranMs < HEALTH_MS, `ran ${exit.ranMs} ms: the rollback did not wait for the health timeout`);
  assert.equal(exit.output, ["facts: reading /sys/class/dmi/id/zt-missing: no such file", "facts: cannot collect host facts, giving up"]);
  assert.equal(events.filter((e) => e.event === "upgrade-replaced" && e.version === "1.1.0-exits").map((e) => e.process), ["facts"], "stopped at the process that failed");
  const again = await agent.check();
  assert.equal(again, { result: "failed-before", version: "1.1.0-exits", hash, reason }, "not tried again, and the farmer still reads why");
});

t("a process that answers ready, then crashes while the release settles: the exit, not only its state", async () => {
  const hash = await publish("rel-crashes", "1.2.0-crashes", (bundle) => appendFileSync(bundle, `\nsetTimeout(() => { console.error("facts: lost /dev/zt-device"); Deno.exit(4); }, 1000);\n`));
  const c = await check(hash);
  const reason = sameEverywhere(c, hash);
  assert.match(reason, new RegExp(`^facts fell over after it was replaced \\(seen \\d+\\.\\d s into the ${SETTLE_MS} ms the release must stay up\\): exited with code 4 after \\d+\\.\\d s, after it had answered ready; its last output: "facts: lost /dev/zt-device"$`));
  assert.equal((c.rolled.exit as { code: number; output: string[] }).code, 4);
  assert.equal((c.rolled.exit as { output: string[] }).output, ["facts: lost /dev/zt-device"]);
});

t("a process that never answers: the health timeout, and that the kernel killed it", async () => {
  const hash = await publish("rel-hangs", "1.3.0-hangs", (bundle) => writeFileSync(bundle, `console.error("facts: waiting for a device that never comes");\nsetInterval(() => {}, 1 << 30);\n`));
  const c = await check(hash);
  const reason = sameEverywhere(c, hash);
  assert.ok(new RegExp(`^facts did not answer ready within ${HEALTH_MS} ms \\(healthTimeoutMs\\): it was killed by SIGKILL after \\d+\\.\\d s; its last output: "facts: waiting for a device that never comes"$`).test(reason), reason);
  assert.is((c.rolled.exit as { signal: string }).signal, "SIGKILL");
});

t.run();
