// End to end, as a grid user does it: the node under the capability kernel (startNode, manifests/node.json
// with the zdb driver), `zos client deploy examples/zdb.json` run as a real CLI process, then a redis client
// (ioredis) reaches the deployed namespace at the result's IPs/Port with its password and reads back what it
// wrote. Escape checks: without or with a wrong password the namespace stays closed, admin commands are
// refused, and the server process runs with exactly its manifest's permissions (/proc). Cancelling the
// contract frees the namespace.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { writeEndpoints } from "../../../cli/commands/dev/endpoints.ts";
import { cancelContract } from "../../../cli/commands/client/deploy.ts";
import { Zdb$Client } from "../../../capabilities/schema/gen/zdb.ts";
import { repoRoot } from "../../../kernel/sandbox.ts";
import { startTestNode, type TestNode } from "../../../tools/test-node.ts";
import type { RunningNode } from "../../node.ts";
import { StorageClient } from "../../node/storage-client.ts";
import { rootOnly } from "../../../tools/test-env.ts";
import { runZos } from "../../../tools/zos-cli.ts";

/** The uid the kernel runs `name` under (its verified `spawned` facts). */
function readSandboxUid(name: string): number {
  const e = events.findLast((x) => x.event === "spawned" && x.process === name);
  return (e?.sandbox as { uid: number }).uid;
}

const EXAMPLE = join(repoRoot, "examples", "zdb.json");
const PASSWORD = (JSON.parse(readFileSync(EXAMPLE, "utf8")) as { workloads: { data: { password: string } }[] }).workloads[0].data.password;
let tn: TestNode;
let dir = "";
let node: RunningNode;
let endpoints: string;
let lines: string[] = [];
let events: Record<string, unknown>[] = [];
const redis: Redis[] = [];
let contractId = 0;
let result: { Namespace: string; IPs: string[]; Port: number };

const t = suite("zdb workload end to end");

t.before(async () => {
  tn = await startTestNode({ prefix: "zt-zdb-e2e-", officialRmb: false });
  ({ dir, node, lines } = tn);
  events = tn.events as unknown as Record<string, unknown>[];
  endpoints = writeEndpoints(join(dir, "dev"), {
    chain_url: tn.chain.url, relay_url: tn.relay.url, node_twin_id: node.twinId, node_id: node.nodeId, farm_id: 1,
    user_mnemonic: tn.user.mnemonic, user_twin_id: tn.user.twinId, user_key_type: "sr25519",
  });
});

t.after(async () => {
  for (const r of redis) r.disconnect();
  await tn?.stop();
});

const zos = runZos;

function connect(): Redis {
  const r = new Redis({ host: result.IPs[0], port: result.Port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: false });
  r.on("error", () => {});
  redis.push(r);
  return r;
}

async function refused(p: Promise<unknown>, text: string): Promise<void> {
  try {
    await p;
    assert.unreachable(`expected "${text}"`);
  } catch (e) {
    assert.is((e as Error).message, text);
  }
}

t("`zos client deploy examples/zdb.json` provisions a namespace; the result is Zero-OS's", async () => {
  const r = await zos(["client", "deploy", EXAMPLE, "--endpoints", endpoints, "--json"]);
  assert.is(r.code, 0, `deploy failed: ${r.stdout}\n${r.stderr}\n${lines.slice(-20).join("\n")}`);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  contractId = out.contract_id;
  const wl = out.deployment.workloads[0];
  assert.is(wl.result.state, "ok", JSON.stringify(wl.result));
  result = wl.result.data;
  assert.equal(Object.keys(result), ["Namespace", "IPs", "Port"]);
  assert.is(result.Namespace, `${out.deployment.twin_id}-${contractId}-store`);
  assert.equal(result.IPs, ["127.0.0.1"]);
  assert.ok(result.Port > 0);
  const got = await zos(["client", "get", String(contractId), "--endpoints", endpoints, "--json"]);
  assert.is(got.code, 0, got.stderr);
  assert.equal(JSON.parse(got.stdout).workloads[0].result.data, result);
});

t("a redis client writes and reads back through the namespace with its password", async () => {
  const c = connect();
  assert.is(await c.call("SELECT", result.Namespace, PASSWORD), "OK");
  assert.is(await c.set("hello", "zos-ts"), "hello");
  assert.is(await c.get("hello"), "zos-ts");
  const info = String(await c.call("NSINFO", result.Namespace));
  assert.ok(info.includes("data_limits_bytes: 1073741824\n"), info);
  assert.ok(info.includes("public: no\n") && info.includes("password: yes\n"), info);
  // SECURE: sha1("<challenge>:<password>")
  const d = connect();
  const nonce = String(await d.call("AUTH", "SECURE", "CHALLENGE"));
  const hash = createHash("sha1").update(`${nonce}:${PASSWORD}`).digest("hex");
  assert.is(await d.call("SELECT", result.Namespace, "SECURE", hash), "OK");
  assert.is(await d.get("hello"), "zos-ts");
});

t("the namespace lives in a volume of its size on the HDD pool, handed to the 0-db server; NSINFO reports its free space", async () => {
  const zdb = new Zdb$Client(await node.kernel.grantFor("provision", "zdb"));
  const info = (await zdb.info((p) => (p.name = result.Namespace)).promise()).info;
  const storage = new StorageClient((fn) => node.kernel.grantFor("provision", "storage").then(fn));
  const pools = await storage.pools();
  assert.is(pools.find((p) => p.name === info.pool)?.type, "hdd", `on an HDD pool: ${info.pool} of ${JSON.stringify(pools)}`);
  const vol = await storage.volumeInfo(Number(result.Namespace.split("-")[0]), result.Namespace);
  assert.is(vol?.size, 1024 ** 3, "the volume has the workload's size as its quota");
  const path = join(dir, "node", "blockdev", "mnt", info.pool, result.Namespace);
  assert.ok(existsSync(join(path, "zdb-namespace")), "the namespace's files are in the volume");
  const st = statSync(path);
  assert.is(st.mode & 0o777, 0o700);
  if (rootOnly("a zdb volume owned by the 0-db server's uid")) assert.is(st.uid, readSandboxUid("zdb"), "owned by the 0-db server's uid");
  const c = connect();
  await c.call("SELECT", result.Namespace, PASSWORD);
  const nsinfo = String(await c.call("NSINFO", result.Namespace));
  const free = Number(/data_disk_freespace_bytes: (\d+)/.exec(nsinfo)?.[1] ?? -1);
  assert.ok(free > 0.9 * 1024 ** 3 && free < 1024 ** 3, `NSINFO data_disk_freespace_bytes: ${free}`);
  assert.is(info.diskFree, BigInt(free));
});

t("escape: the password gates the namespace; admin commands and the default namespace are closed", async () => {
  const c = connect();
  await refused(c.call("SELECT", result.Namespace), "Namespace protected and private");
  await refused(c.call("SELECT", result.Namespace, "guess"), "Access denied");
  await refused(c.call("SELECT", result.Namespace, PASSWORD.toUpperCase()), "Access denied");
  await refused(c.call("SELECT", result.Namespace, "SECURE", "0".repeat(40)), "No CHALLENGE requested, secure authentication not available");
  await refused(c.call("NSSET", result.Namespace, "password", "mine"), "Permission denied");
  await refused(c.call("NSDEL", result.Namespace), "Permission denied");
  await refused(c.call("NSNEW", "squat"), "Permission denied");
  await refused(c.call("AUTH", PASSWORD), "Access denied");
  await refused(c.set("x", "y"), "Namespace is in read-only mode"); // `default` is protected, as zos runs 0-db
  assert.is(await c.get("hello"), null, "the default namespace does not see the workload's keys");
  const ok = connect();
  await ok.call("SELECT", result.Namespace, PASSWORD);
  assert.is(await ok.get("hello"), "zos-ts", "still there, untouched");
});

t("escape: the zdb server process holds only its manifest's permissions (/proc)", () => {
  const pid = node.kernel.pid("zdb");
  assert.ok(pid, "zdb is running");
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  const state = join(dir, "node", "zdb");
  const pools = join(dir, "node", "blockdev", "mnt");
  const allow = argv.filter((a) => a.startsWith("--allow-") || a === "-A");
  assert.equal(allow.sort(), [
    `--allow-net=127.0.0.1:0,unix:${state}/zdb.sock`,
    `--allow-read=${state},${pools}`,
    `--allow-write=${state},${pools}`,
  ]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (k: string) => new RegExp(`^${k}:\\s+(.*)$`, "m").exec(status)![1].trim();
  // the kernel is root: the driver runs under a uid of its own, with no Linux capabilities at all, and the
  // kernel's verified facts (its `spawned` event) say the same
  if (rootOnly("zdb under its own uid without Linux capabilities")) {
    assert.not.equal(field("Uid").split(/\s+/)[0], "0", "zdb does not run as root");
    for (const k of ["CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"]) assert.is(BigInt(`0x${field(k)}`), 0n, `${k} is empty`);
    assert.is(field("NoNewPrivs"), "1");
    const spawned = events.findLast((e) => e.event === "spawned" && e.process === "zdb");
    const facts = spawned?.sandbox as Record<string, unknown> | undefined;
    assert.ok(facts, "the kernel reports zdb's verified sandbox");
    assert.is(facts!.noNewPrivs, true);
    assert.not.equal(facts!.uid, 0);
    for (const k of ["capInh", "capPrm", "capEff", "capAmb", "capBnd"]) assert.is(BigInt(`0x${facts![k]}`), 0n, `verified ${k}`);
  }
});

t("escape: the control capability refuses names outside the server's folder", async () => {
  const zdb = new Zdb$Client(await node.kernel.grantFor("provision", "zdb"));
  for (const name of ["../escape", "/etc", "a/b", ".hidden", "default"]) {
    await refused(zdb.ensure((p) => {
      const s = p._initSpec();
      s.name = name;
      s.mode = "user";
    }).promise().then(() => undefined), `failed: zdb: ${name === "default" ? 'the "default" namespace is the server\'s own' : `namespace "${name}": a namespace name uses letters, digits and _ . : @ - and does not start with . or -`}`);
  }
});

t("cancelling the contract deletes the namespace", async () => {
  await cancelContract(tn.session, contractId);
  const zdb = new Zdb$Client(await node.kernel.grantFor("provision", "zdb"));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const names = (await zdb.list().promise()).names.toArray();
    if (!names.includes(result.Namespace)) break;
    if (Date.now() > deadline) throw new Error(`namespace still there after cancel: ${names}\n${lines.slice(-20).join("\n")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const c = connect();
  await refused(c.call("SELECT", result.Namespace, PASSWORD), "Namespace not found");
  const storage = new StorageClient((fn) => node.kernel.grantFor("provision", "storage").then(fn));
  for (;;) {
    const vol = await storage.volumeInfo(Number(result.Namespace.split("-")[0]), result.Namespace);
    if (!vol) break;
    if (Date.now() > deadline) throw new Error(`volume still there after cancel: ${JSON.stringify(vol)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

t.run();
