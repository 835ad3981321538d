// Storage end to end, as a user meets it: `zos dev`'s grid with the node under the capability kernel and three
// loop-device data disks (two SSD, one HDD). The examples deploy with `zos client deploy` as they are; the
// official grid_client builds and signs a DiskPrimitive + volume deployment sent over RMB; contract cancel
// frees the space; kill -9 of the storage module and of the blockdev driver in the middle of a create
// converge with nothing leaked; a restart of the node keeps pools and data. Root only (loop devices).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import process from "node:process";
import "reflect-metadata";
import { OfficialClient } from "../../../capabilities/rmb/official-sdk.test-helper.ts";
import { type DevGrid, startDevGrid } from "../../../cli/commands/dev/grid.ts";
import { command as clientCommand } from "../../../cli/commands/client.ts";
import { canAttachLoops, mountsOf } from "../../node/dev-disks.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import { needs } from "../../../tools/test-env.ts";
import { VM_GID } from "../../../capabilities/lib/linux-groups.ts";

const require = createRequire(import.meta.url);
// deno-lint-ignore no-explicit-any
type Any = any;
const gc: Any = require("@threefold/grid_client");
const { Client: TfClient }: Any = require("@threefold/tfchain_client");

const t = suite("storage end to end: zos dev node with loop disks, examples, grid_client, cancel, kill -9, restart");
const GiB = 1024 ** 3;
let dir = "";
let grid: DevGrid | null = null;
let rmb: Any;
let tf: Any;
const closers: (() => Promise<unknown>)[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mnt = () => join(dir, "node", "blockdev", "mnt");

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await sleep(250);
  }
}

async function call(command: string, payload: unknown = ""): Promise<Any> {
  return await rmb.request([grid!.node.twinId], command, typeof payload === "string" ? payload : JSON.stringify(payload), 20, 1);
}

/** Every vdisk and volume (subvolume) on the node's pools: "<pool>/vdisks/<id>" and "<pool>/<id>". */
function onDisk(): string[] {
  const out: string[] = [];
  for (const pool of readdirSync(mnt())) {
    const root = join(mnt(), pool);
    for (const n of readdirSync(root)) {
      if (n === "vdisks") for (const f of readdirSync(join(root, n))) out.push(`${pool}/vdisks/${f}`);
      else if (!n.startsWith(".") && n !== "zos-cache") out.push(`${pool}/${n}`);
    }
  }
  return out.sort();
}

function vdiskPath(id: string): string | undefined {
  for (const pool of readdirSync(mnt())) {
    const p = join(mnt(), pool, "vdisks", id);
    if (existsSync(p)) return p;
  }
  return undefined;
}

async function deployJson(file: string): Promise<{ code: number; out: Any }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => lines.push(String(s));
  try {
    const code = await clientCommand.run(["deploy", file, "--endpoints", join(dir, "endpoints.json"), "--json", "--timeout", "90"]);
    return { code, out: JSON.parse(lines.join("\n")) };
  } finally {
    console.log = log;
  }
}

async function signedDeployment(workloads: Any[], metadata = ""): Promise<{ d: Any; contract: number }> {
  const d = new gc.DeploymentFactory({ twinId: grid!.user.twinId }).create(workloads, 0, metadata, "", 0);
  const hash = d.challenge_hash();
  const ext = await tf.contracts.createNode({ nodeId: grid!.node.nodeId, hash, data: "", numberOfPublicIps: 0, solutionProviderId: null });
  const c = await ext.apply();
  d.contract_id = Number(c.contractId);
  await d.sign(grid!.user.twinId, grid!.user.mnemonic, "sr25519");
  return { d, contract: d.contract_id };
}

function volumeWorkload(name: string, size: number): Any {
  const v = new gc.Volume();
  v.size = size;
  const w = new gc.Workload();
  w.version = 0;
  w.name = name;
  w.type = gc.WorkloadTypes.volume;
  w.data = v;
  w.metadata = "";
  w.description = "";
  return w;
}

async function states(contract: number): Promise<Record<string, string>> {
  const d = await call("zos.deployment.get", { contract_id: contract });
  return Object.fromEntries(d.workloads.map((w: Any) => [w.name, w.result.state]));
}

async function settled(contract: number, names: string[]): Promise<Record<string, Any>> {
  return await until(`workloads ${names.join(", ")} of contract ${contract} to settle`, async () => {
    const d = await call("zos.deployment.get", { contract_id: contract });
    const byName = Object.fromEntries(d.workloads.map((w: Any) => [w.name, w]));
    return names.every((n) => byName[n] && byName[n].result.state !== "init" && byName[n].result.state !== "") ? byName : undefined;
  }, 90_000);
}

/** pid of the kernel child whose command line contains `needle` (the kernel runs in this process). */
function childPid(needle: string): number | undefined {
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").some((a) => a.includes(needle))) return Number(p);
    } catch { /* gone */ }
  }
  return undefined;
}

async function startGrid(): Promise<void> {
  grid = await startDevGrid({ stateDir: dir, blockTimeMs: 0, disks: { count: 3, hdd: 1, sizeGiB: 4 } });
  const client = new OfficialClient(grid.chainUrl, grid.relayUrl, grid.user.mnemonic, randomBytes(5).toString("hex"), "sr25519", 3);
  await client.connect();
  closers.push(() => client.disconnect());
  rmb = new gc.RMB(client);
  tf = new TfClient({ url: grid.chainUrl, mnemonicOrSecret: grid.user.mnemonic, keypairType: "sr25519" });
  await tf.connect();
  closers.push(() => tf.disconnect());
}

async function stopGrid(): Promise<void> {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  await grid?.stop();
  grid = null;
}

const skip = () => !needs("storage end to end on loop devices", canAttachLoops(), "root and /dev/loop-control");

t.before(async () => {
  if (!canAttachLoops()) return;
  dir = tempDir("zt-storage-e2e-");
  // a crash skips `after`: unmount and detach whatever this node attached
  process.on("exit", () => {
    for (let i = 0; i < 3; i++) {
      try {
        const out = execFileSync("losetup", ["-j", join(dir, "node", "disks", `disk${i}.img`)], { encoding: "utf8" });
        const dev = /^(\/dev\/loop\d+):/m.exec(out)?.[1];
        if (!dev) continue;
        for (const m of mountsOf(dev)) execFileSync("umount", ["-l", m]);
        execFileSync("losetup", ["-d", dev]);
      } catch { /* best effort */ }
    }
  });
  await startGrid();
});

t.after(async () => {
  await stopGrid();
});

t("pools: three disks → three pools (2 SSD, 1 HDD); statistics count SRU/HRU from them, the cache reserved", async () => {
  if (skip()) return;
  const pools = await call("zos.storage.pools");
  assert.is(pools.length, 3);
  assert.equal(pools.map((p: Any) => p.type).sort(), ["hdd", "ssd", "ssd"]);
  const s = await call("zos.statistics.get");
  const ssd = pools.filter((p: Any) => p.type === "ssd").reduce((a: number, p: Any) => a + p.size, 0);
  assert.is(s.total.sru, ssd);
  assert.is(s.total.hru, pools.find((p: Any) => p.type === "hdd").size);
  assert.ok(s.system.sru > 0, "the zos-cache subvolume is reserved");
  const features = await call("zos.system.node_features_get");
  assert.ok(features.includes("zmount") && features.includes("volume"), JSON.stringify(features));
});

t("least privilege from /proc: blockdev runs under its own uid with only CAP_SYS_ADMIN + CAP_CHOWN and groups disk, vm; storage with nothing", () => {
  if (skip()) return;
  const status = (pid: number) => Object.fromEntries(readFileSync(`/proc/${pid}/status`, "utf8").split("\n").map((l) => l.split(":\t")).filter((x) => x.length === 2));
  const bd = status(childPid("capabilities/blockdev/main.ts")!);
  assert.ok(Number(bd.Uid.split("\t")[0]) !== 0, "not root");
  assert.is(bd.Groups.trim(), `6 ${VM_GID}`, "only groups disk and vm");
  const bits = (1n << 21n) | 1n; // CAP_SYS_ADMIN, CAP_CHOWN
  for (const k of ["CapPrm", "CapEff", "CapBnd", "CapAmb"]) assert.is(BigInt(`0x${bd[k]}`), bits, k);
  assert.is(bd.NoNewPrivs.trim(), "1");
  const argv = readFileSync(`/proc/${childPid("capabilities/blockdev/main.ts")}/cmdline`, "utf8").split("\0");
  assert.ok(!argv.includes("-A") && !argv.some((a) => a.startsWith("--allow-all")), "no -A");
  assert.ok(argv.some((a) => a.startsWith("--allow-run=/usr/sbin/mkfs.btrfs,")), "run list exact");
  const st = status(childPid("modules/storage/main.ts")!);
  for (const k of ["CapPrm", "CapEff", "CapBnd", "CapAmb"]) assert.is(BigInt(`0x${st[k]}`), 0n, `storage ${k}`);
});

t("examples/zmount.json and examples/volume.json deploy as they are with `zos client deploy`", async () => {
  if (skip()) return;
  const z = await deployJson(fileURLToPath(new URL("../../../examples/zmount.json", import.meta.url)));
  assert.is(z.code, 0, JSON.stringify(z.out));
  const zw = z.out.deployment.workloads.find((w: Any) => w.name === "disk1");
  assert.is(zw.result.state, "ok");
  assert.equal(zw.result.data, { volume_id: `${grid!.user.twinId}-${z.out.contract_id}-disk1` });
  const file = vdiskPath(zw.result.data.volume_id);
  assert.ok(file, "the vdisk file exists on a pool");
  assert.is(statSync(file!).size, GiB);
  const v = await deployJson(fileURLToPath(new URL("../../../examples/volume.json", import.meta.url)));
  assert.is(v.code, 0, JSON.stringify(v.out));
  assert.is(v.out.deployment.workloads.find((w: Any) => w.name === "vol1").result.state, "ok");
});

t("grid_client: DiskPrimitive + volume built and signed by the official client reach ok; cancel frees both", async () => {
  if (skip()) return;
  const before = await call("zos.statistics.get");
  const disk = new gc.DiskPrimitive().create(1, "gcdisk", "", "", 0);
  const { d, contract } = await signedDeployment([disk, volumeWorkload("gcvol", GiB)]);
  await call("zos.deployment.deploy", JSON.parse(JSON.stringify(d)));
  const w = await settled(contract, ["gcdisk", "gcvol"]);
  assert.is(w.gcdisk.result.state, "ok", w.gcdisk.result.message);
  assert.is(w.gcvol.result.state, "ok", w.gcvol.result.message);
  const id = `${grid!.user.twinId}-${contract}`;
  assert.equal(w.gcdisk.result.data, { volume_id: `${id}-gcdisk` });
  assert.equal(w.gcvol.result.data, { id: `${id}-gcvol` });
  assert.ok(vdiskPath(`${id}-gcdisk`));
  assert.ok(onDisk().some((x) => x.endsWith(`/${id}-gcvol`)));
  const mid = await call("zos.statistics.get");
  assert.is(mid.used.sru - before.used.sru, 2 * GiB);
  await (await tf.contracts.cancel({ id: contract })).apply();
  await until("the disk and volume to be deleted", () => !vdiskPath(`${id}-gcdisk`) && !onDisk().some((x) => x.endsWith(`/${id}-gcvol`)), 60_000);
  const after = await until("used SRU back", async () => {
    const s = await call("zos.statistics.get");
    return s.used.sru === before.used.sru ? s : undefined;
  });
  assert.is(after.used.sru, before.used.sru);
});

t("a deployment no pool can hold is refused, saying how much is free where", async () => {
  if (skip()) return;
  const disk = new gc.DiskPrimitive().create(100, "toobig", "", "", 0);
  const { d, contract } = await signedDeployment([disk]);
  await call("zos.deployment.deploy", JSON.parse(JSON.stringify(d)));
  const w = await settled(contract, ["toobig"]);
  assert.is(w.toobig.result.state, "error");
  assert.match(w.toobig.result.message, /cannot fulfill required disk size of 100 GiB: not enough free SSD space \(pool \S+ \(loop\d+\) has [\d.]+ GiB free of/);
  await (await tf.contracts.cancel({ id: contract })).apply();
});

for (const [what, needle] of [["the storage module", "modules/storage/main.ts"], ["the blockdev driver", "capabilities/blockdev/main.ts"]]) {
  t(`kill -9 of ${what} in the middle of a create: the deployment converges, nothing leaks`, async () => {
    if (skip()) return;
    const pid = childPid(needle);
    assert.ok(pid, `found ${what}`);
    const disk = new gc.DiskPrimitive().create(2, "kdisk", "", "", 0);
    const { d, contract } = await signedDeployment([disk, volumeWorkload("kvol", GiB)]);
    await call("zos.deployment.deploy", JSON.parse(JSON.stringify(d)));
    await sleep(Math.floor(Math.random() * 300));
    process.kill(pid!, "SIGKILL");
    const w = await settled(contract, ["kdisk", "kvol"]);
    assert.is(w.kdisk.result.state, "ok", w.kdisk.result.message);
    assert.is(w.kvol.result.state, "ok", w.kvol.result.message);
    const id = `${grid!.user.twinId}-${contract}`;
    assert.is(statSync(vdiskPath(`${id}-kdisk`)!).size, 2 * GiB);
    assert.ok(childPid(needle) !== pid, "restarted");
    await (await tf.contracts.cancel({ id: contract })).apply();
    await until("nothing of the deployment left on the pools", () => !onDisk().some((x) => x.includes(`${id}-`)), 60_000);
  });
}

t("restart: the node comes back with the same pools and the data; deployments still ok", async () => {
  if (skip()) return;
  const pools = (await call("zos.storage.pools")).map((p: Any) => p.name).sort();
  const files = onDisk();
  const list = await call("zos.deployment.list");
  await stopGrid();
  await startGrid();
  assert.equal((await call("zos.storage.pools")).map((p: Any) => p.name).sort(), pools);
  assert.equal(onDisk(), files);
  const again = await call("zos.deployment.list");
  assert.is(again.length, list.length);
  for (const d of again) for (const w of d.workloads) assert.ok(["ok", "error", "deleted"].includes(w.result.state));
  void states;
});

t.run();
