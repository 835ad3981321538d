// test-timeout: 900
// Live upgrade end to end on the host, as a farmer runs it: a real node (startNode: manifests/node.json under
// the capability kernel, loop-device disks), the dev grid's hub, releases built by `zos release build` and
// published with `zos release push`'s code, and the farmer's signed RMB calls (zos.admin.upgrade_*) through
// the official client. With a zdb deployment on the node: a harmless release replaces every process one by
// one and the deployment keeps its data; a release that widens authority is refused with a clear event until
// the farmer approves its hash, and that one — whose hostfacts never gets ready — rolls back by itself; a
// restart of the node (a reboot on a host) starts the active release.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { chmodSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { createRequire } from "node:module";
import { Redis } from "ioredis";
import { startHub, type RunningHub } from "../../grid/hub/hub.ts";
import { OfficialClient } from "../../capabilities/rmb/official-sdk.test-helper.ts";
import { writeEndpoints } from "../../cli/commands/dev/endpoints.ts";
import { attachDevDisks, canAttachLoops, type DevDisks } from "../../modules/node/dev-disks.ts";
import { type RunningNode, startNode } from "../../modules/node.ts";
import { startTestNode, type TestNode } from "../../tools/test-node.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { repoRoot } from "../sandbox.ts";
import type { KernelEvent } from "../mod.ts";
import { buildRelease, writeReleaseInfo } from "./build.ts";
import { pushRelease } from "./push.ts";
import { runZos } from "../../tools/zos-cli.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
const require = createRequire(import.meta.url);
const CHANNEL = "tf-zos/zos-test.fl";
const V1 = "9.1.0-up";
const V2 = "9.2.0-wide-bad";
const EXAMPLE = join(repoRoot, "examples", "zdb.json");
const PASSWORD = (JSON.parse(readFileSync(EXAMPLE, "utf8")) as { workloads: { data: { password: string } }[] }).workloads[0].data.password;

const t = suite("live upgrade from the hub");
let work = "";
let hub: RunningHub;
let disks: DevDisks | null = null;
let tn: TestNode;
let node: RunningNode;
let node2: RunningNode | null = null;
let farmer: Any;
let farmerClient: InstanceType<typeof OfficialClient> | null = null;
let endpoints = "";
let zdbListen = "";
let zdb: { Namespace: string; IPs: string[]; Port: number };
let contractId = 0;
const redis: Redis[] = [];
const events: KernelEvent[] = [];
const pushed: Record<string, { hash: string }> = {};

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => ok(port));
    });
  });
}

const zos = runZos;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `fn` until it resolves (processes are being replaced: the api and rmb come back by themselves). */
async function eventually<T>(what: string, fn: () => Promise<T>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      await sleep(1000);
    }
  }
  throw new Error(`${what}: still failing after ${ms / 1000} s: ${(last as Error)?.message ?? last}`);
}

/** The farmer's signed request (the official RMB client as the farm's twin). */
function asFarmer(command: string, payload: unknown = ""): Promise<Any> {
  return farmer.request([tn.node.twinId], command, typeof payload === "string" ? payload : JSON.stringify(payload), 30);
}

/** Waits for the kernel event that ends an upgrade check. */
async function outcome(since: number, ms = 240_000): Promise<KernelEvent> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const e = events.slice(since).find((x) => ["upgrade-done", "upgrade-refused", "upgrade-rolled-back", "upgrade-error"].includes(x.event));
    if (e) return e;
    await sleep(250);
  }
  throw new Error(`no upgrade outcome within ${ms / 1000} s; last events: ${events.slice(-8).map((e) => e.event).join(", ")}`);
}

function connect(): Redis {
  const r = new Redis({ host: zdb.IPs[0], port: zdb.Port, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on("error", () => {});
  redis.push(r);
  return r;
}

async function zdbStillServes(value: string): Promise<void> {
  await eventually("the zdb namespace answers", async () => {
    const c = connect();
    try {
      assert.is(await c.call("SELECT", zdb.Namespace, PASSWORD), "OK");
      assert.is(await c.get("kept"), value);
    } finally {
      c.disconnect();
    }
  });
}

async function deploymentOk(): Promise<void> {
  const got = await zos(["client", "get", String(contractId), "--endpoints", endpoints, "--json"]);
  assert.is(got.code, 0, got.stderr);
  assert.is(JSON.parse(got.stdout).workloads[0].result.state, "ok");
}

/** A release derived from the built one: `edit` changes its tree, release.json is rewritten for `version`. */
function derive(from: string, name: string, version: string, edit: (dir: string) => void): string {
  const dir = join(work, name);
  cpSync(from, dir, { recursive: true });
  edit(dir);
  writeReleaseInfo(dir, version);
  return dir;
}

t.before(async () => {
  work = tempDir("zt-upgrade-");
  chmodSync(work, 0o711); // the blockdev driver's uid reaches the disk files below (mkfs.btrfs opens the backing file)
  hub = await startHub({ dir: join(work, "hub") });
  if (canAttachLoops()) disks = await attachDevDisks({ dir: join(work, "disks") });
  zdbListen = `127.0.0.1:${await freePort()}`; // fixed: the replaced 0-db server listens where the result says
  const nodeOpts = {
    hubUrl: hub.url,
    upgrade: { channel: CHANNEL, intervalMs: 0, settleMs: 3000, healthTimeoutMs: 40_000 },
    zdbListen,
    ...(disks ? { disks: { devices: disks.devices, hdd: disks.hdd } } : {}),
    onEvent: (e: KernelEvent) => events.push(e),
  };
  tn = await startTestNode({ prefix: "zt-upgrade-node-", node: nodeOpts });
  node = tn.node;
  endpoints = writeEndpoints(join(tn.dir, "dev"), {
    chain_url: tn.chain.url, relay_url: tn.relay.url, node_twin_id: node.twinId, node_id: node.nodeId, farm_id: 1,
    user_mnemonic: tn.user.mnemonic, user_twin_id: tn.user.twinId, user_key_type: "sr25519",
  });
  const f = tn.chain.devAccounts.find((a) => a.name === "farmer")!;
  // the genesis farmer twin has no relay yet: the first connect sets it on chain, the client sends only once
  // it reads its twin with one
  const first = new OfficialClient(tn.chain.url, tn.relay.url, f.mnemonic, randomBytes(5).toString("hex"), "sr25519", 3);
  await first.connect();
  await first.disconnect();
  farmerClient = new OfficialClient(tn.chain.url, tn.relay.url, f.mnemonic, randomBytes(5).toString("hex"), "sr25519", 3);
  await farmerClient.connect();
  const { RMB }: Any = require("@threefold/grid_client");
  farmer = new RMB(farmerClient);
});

t.after(async () => {
  for (const r of redis) r.disconnect();
  await node2?.stop().catch(() => {});
  await farmerClient?.disconnect().catch(() => {});
  await tn?.stop();
  await hub?.stop();
  await disks?.detach();
});

t("setup: a zdb deployment holds data; zos.admin.upgrade_* answer the farmer only", async () => {
  const r = await zos(["client", "deploy", EXAMPLE, "--endpoints", endpoints, "--json"]);
  assert.is(r.code, 0, `deploy failed: ${r.stdout}\n${r.stderr}\n${tn.lines.slice(-20).join("\n")}`);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  contractId = out.contract_id;
  zdb = out.deployment.workloads[0].result.data;
  const c = connect();
  assert.is(await c.call("SELECT", zdb.Namespace, PASSWORD), "OK");
  assert.is(await c.set("kept", "before-upgrade"), "kept"); // 0-db's SET answers the key
  c.disconnect();
  const status = await asFarmer("zos.admin.upgrade_status");
  assert.is(status.channel, CHANNEL);
  assert.is(status.active, null, "nothing installed from the hub yet");
  await tn.call("zos.admin.upgrade_check").then(
    () => assert.unreachable("a grid user may not trigger upgrades"),
    (e: Error) => assert.match(String(e.message ?? e), /reserved for the farmer twin/),
  );
});

t("a harmless release: every process replaced one by one, the deployment keeps its data, zos.system.version is the new one", async () => {
  const dir = join(work, "rel-v1");
  buildRelease({ root: repoRoot, out: dir, version: V1 });
  pushed[V1] = await pushRelease({ hubUrl: hub.url, dir, channel: CHANNEL });
  const before = Object.fromEntries(node.kernel.manifest.processes.map((p) => [p.name, node.kernel.pid(p.name)]));
  const since = events.length;
  const started = await asFarmer("zos.admin.upgrade_check");
  assert.is(started.channel, CHANNEL);
  const done = await outcome(since);
  assert.is(done.event, "upgrade-done", JSON.stringify(done));
  assert.is(done.version, V1);
  assert.is(done.hash, pushed[V1].hash, "the node pinned the release's tree digest (what push printed)");
  const fetched = events.slice(since).find((e) => e.event === "granted" && e.process === "kernel");
  assert.equal([fetched?.provider, fetched?.restrictions], ["flist", { hubs: [new URL(hub.url).host] }], "the flist driver fetched it, for the kernel, from the hub only");
  const replaced = events.slice(since).filter((e) => e.event === "upgrade-replaced").map((e) => e.process);
  assert.equal(replaced, node.kernel.manifest.waves.flat(), "replaced one by one, in start order (dependencies first)");
  for (const [name, pid] of Object.entries(before)) {
    // an on-demand process nobody used (kernel/README.md) stays idle: its first use starts the new release
    // — but the flist driver: the check itself started it, for the kernel, to fetch the release
    if (pid === undefined && name === "flist") {
      assert.ok(events.slice(since).some((e) => e.event === "starting-on-demand" && e.process === "flist" && e.by === "kernel"), "flist started for the kernel's check");
      assert.is(node.kernel.states()[name], "ready");
    } else if (pid === undefined) assert.is(node.kernel.states()[name], "idle", `${name} was idle and stays idle`);
    else assert.not.equal(node.kernel.pid(name), pid, `${name} runs a new process`);
  }
  console.log(`upgrade to ${V1}: ${replaced.length} processes replaced one by one in ${done.ms} ms (machine shared by 8 engineers)`);
  assert.ok(Object.values(node.kernel.states()).every((s) => s === "ready" || s === "idle"), JSON.stringify(node.kernel.states()));
  // every process now runs the release's code
  // (from the upgrade's start: the flist driver the check started on demand ran the installed code until replaced)
  const from = events.findIndex((e, i) => i >= since && e.event === "upgrade-starting");
  const argv = events.slice(from).filter((e) => e.event === "spawned").map((e) => (e.argv as string[]).join(" "));
  const running = Object.values(before).filter((pid) => pid !== undefined).length;
  assert.ok(argv.length >= running && argv.every((a) => a.includes(`/.upgrade/releases/${pushed[V1].hash}/`)), argv[0]);
  const version = await eventually("zos.system.version", async () => {
    const v = await tn.call("zos.system.version");
    if (v.zos !== V1) throw new Error(`still ${v.zos}`);
    return v;
  });
  assert.is(version.zos, V1);
  await zdbStillServes("before-upgrade");
  await deploymentOk();
  const status = await eventually("upgrade_status", () => asFarmer("zos.admin.upgrade_status"));
  assert.is(status.active.version, V1);
  assert.is(status.last.result, "upgraded");
});

t("a widening release is refused with a clear event; once the farmer approves its hash it is tried, and when a process never gets ready it rolls back by itself", async () => {
  const dir = derive(join(work, "rel-v1"), "rel-v2", V2, (d) => {
    const path = join(d, "manifests", "node.json");
    const m = JSON.parse(readFileSync(path, "utf8").replace(/^\s*\/\/.*$/gm, ""));
    m.processes.log.sandbox = { ...(m.processes.log.sandbox ?? {}), read: [...(m.processes.log.sandbox?.read ?? []), "/etc/hostname"] };
    writeFileSync(path, JSON.stringify(m, null, 2));
    // and it is bad: hostfacts starts but never answers its health call
    writeFileSync(join(d, "capabilities", "hostfacts", "main.bundle.js"), "setInterval(() => {}, 1 << 30);\n");
  });
  pushed[V2] = await pushRelease({ hubUrl: hub.url, dir, channel: CHANNEL });
  const since = events.length;
  await eventually("upgrade_check", () => asFarmer("zos.admin.upgrade_check"));
  const refused = await outcome(since);
  assert.is(refused.event, "upgrade-refused");
  assert.is(refused.hash, pushed[V2].hash);
  assert.equal(refused.widening, ["log: permission read=/etc/hostname"]);
  assert.match(String(refused.reason), /widens authority .* zos\.admin\.upgrade_approve/);
  assert.not.ok(events.slice(since).some((e) => e.event === "upgrade-replaced"), "nothing was replaced");
  const status = await asFarmer("zos.admin.upgrade_status");
  assert.is(status.last.result, "refused");
  assert.equal(status.last.widening, refused.widening, "the farmer reads why, item by item");
  assert.is((await tn.call("zos.system.version")).zos, V1);
  await tn.call("zos.admin.upgrade_approve", { hash: pushed[V2].hash }).then(
    () => assert.unreachable("only the farmer approves"),
    (e: Error) => assert.match(String(e.message ?? e), /reserved for the farmer twin/),
  );
  const approved = await asFarmer("zos.admin.upgrade_approve", { hash: pushed[V2].hash });
  assert.is(approved.approvals.at(-1).hash, pushed[V2].hash);
  assert.is(approved.approvals.at(-1).twin, 1, "recorded with the farmer's twin");

  const since2 = events.length;
  await asFarmer("zos.admin.upgrade_check");
  const rolled = await outcome(since2);
  assert.ok(events.slice(since2).some((e) => e.event === "upgrade-starting" && e.hash === pushed[V2].hash), "approved: tried");
  assert.is(rolled.event, "upgrade-rolled-back", JSON.stringify(rolled));
  assert.is(rolled.process, "hostfacts");
  assert.match(String(rolled.reason), /^hostfacts did not answer ready within \d+ ms \(healthTimeoutMs\): it was killed by SIGKILL after /);
  const order = node.kernel.manifest.waves.flat();
  const replaced = events.slice(since2).filter((e) => e.event === "upgrade-replaced").map((e) => e.process);
  assert.equal(replaced, order.slice(0, order.indexOf("hostfacts") + 1), "stopped at the process that failed");
  const restored = events.slice(since2).filter((e) => e.event === "upgrade-restored");
  assert.equal(restored.map((e) => e.process), replaced, "each replaced process went back");
  assert.ok(restored.every((e) => e.ok === true), JSON.stringify(restored));
  assert.ok(Object.values(node.kernel.states()).every((s) => s === "ready" || s === "idle"), JSON.stringify(node.kernel.states()));
  assert.ok(node.kernel.manifest.path.includes(pushed[V1].hash), "the kernel runs the previous release's manifest again");
  await eventually("zos.system.version", async () => {
    if ((await tn.call("zos.system.version")).zos !== V1) throw new Error("not yet");
  });
  const after = await eventually("upgrade_status", () => asFarmer("zos.admin.upgrade_status"));
  assert.is(after.active.version, V1, "the active release is still the previous one");
  assert.is(after.failed.at(-1).hash, pushed[V2].hash);
  // not tried again
  const since3 = events.length;
  await asFarmer("zos.admin.upgrade_check");
  await eventually("the second check", async () => {
    const s = await asFarmer("zos.admin.upgrade_status");
    if (s.upgrading || s.last?.result !== "failed-before") throw new Error(JSON.stringify(s.last));
  });
  assert.not.ok(events.slice(since3).some((e) => e.event === "upgrade-replaced"));
  await zdbStillServes("before-upgrade");
  await deploymentOk();
});

t("a restart of the node (a reboot) starts the active release", async () => {
  await node.stop();
  node2 = await startNode({
    stateDir: join(tn.dir, "node"), chainUrl: tn.chain.url, relayUrl: tn.relay.url, farmId: 1, activationUrl: tn.activation.url,
    hubUrl: hub.url, upgrade: { channel: CHANNEL, intervalMs: 0 }, zdbListen, registerTimeoutMs: 90_000,
    ...(disks ? { disks: { devices: disks.devices, hdd: disks.hdd } } : {}),
    onEvent: (e) => events.push(e),
  });
  assert.is(node2.release.version, V1);
  assert.is(node2.release.hash, pushed[V1].hash);
  assert.ok(node2.kernel.manifest.path.includes(`/.upgrade/releases/${pushed[V1].hash}/`), node2.kernel.manifest.path);
  await eventually("zos.system.version", async () => {
    if ((await tn.call("zos.system.version")).zos !== V1) throw new Error("not yet");
  });
  await zdbStillServes("before-upgrade");
  await deploymentOk();
});

t.run();
