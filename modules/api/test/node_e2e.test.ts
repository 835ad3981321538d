// End to end on a real local grid, exactly as `npm start` brings it up (startDevGrid, the function `zos dev`
// calls): the dev chain (instant blocks), our relay, and the node under the capability kernel
// (modules/node.ts startNode with manifests/node.json: identity, chain, rmb, hostfacts drivers; provision,
// registrar, api modules, each its own sandboxed process). Users are the official clients:
// @threefold/rmb_direct_client wrapped in grid_client's RMB class, deployments built and signed by
// @threefold/grid_client, contracts created with @threefold/tfchain_client.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import "reflect-metadata";
import { ChainClient, NODE_CHAIN_CALLS } from "../../../capabilities/chain/mod.ts";
import { NodeIdentity } from "../../../capabilities/identity/mod.ts";
import { e2eKeyFromSecret } from "../../../capabilities/rmb/e2e.ts";
import { miniSecretFromMnemonic, signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { OfficialClient } from "../../../capabilities/rmb/official-sdk.test-helper.ts";
import { type DevGrid, startDevGrid } from "../../../cli/commands/dev/grid.ts";
import { officialRelayField } from "../../../cli/commands/dev/user.ts";
import { DevFaucet } from "../../../cli/commands/dev/faucet.ts";
import { TERMS_HASH, TERMS_LINK, UNKNOWN_LOCATION } from "../../registrar/mod.ts";
import { startNode } from "../../node.ts";
import { readFileSync, statSync } from "node:fs";
import { command as clientCommand } from "../../../cli/commands/client.ts";
import { UserError } from "../../../cli/lib/errors.ts";
import { writeFileSync } from "node:fs";
import { WebSocket } from "ws";
import { createJwt } from "../../../capabilities/rmb/jwt.ts";
import { signEnvelope } from "../../../capabilities/rmb/challenge.ts";
import { decodeEnvelope, type Envelope, encodeEnvelope } from "../../../capabilities/rmb/envelope.ts";
import { signerFromSeed } from "../../../capabilities/rmb/signer.ts";

const require = createRequire(import.meta.url);
// deno-lint-ignore no-explicit-any
type Any = any;
const gc: Any = require("@threefold/grid_client");
const { Client: TfClient }: Any = require("@threefold/tfchain_client");

const t = suite("node end to end: official clients → relay → node (chain contract check, twin scoping)");
let dir: string;
let grid: DevGrid;
let chain: ChainClient;
const closers: (() => Promise<unknown>)[] = [];

interface User {
  twin: number;
  mnemonic: string;
  rmb: Any;
  tf: Any;
}
let alice: User; // the dev user npm start hands out
let bob: User; // another grid user
let otherNode = 0;

async function officialUser(mnemonic: string, twin: number): Promise<User> {
  const client = new OfficialClient(grid.chainUrl, grid.relayUrl, mnemonic, randomBytes(5).toString("hex"), "sr25519", 3);
  closers.push(() => client.disconnect());
  await client.connect();
  const tf = new TfClient({ url: grid.chainUrl, mnemonicOrSecret: mnemonic, keypairType: "sr25519" });
  closers.push(() => tf.disconnect());
  await tf.connect();
  return { twin, mnemonic, rmb: new gc.RMB(client), tf };
}

async function call(u: User, command: string, payload: unknown = ""): Promise<Any> {
  return await u.rmb.request([grid.node.twinId], command, typeof payload === "string" ? payload : JSON.stringify(payload), 20, 1);
}

async function callError(u: User, command: string, payload: unknown = ""): Promise<string> {
  try {
    await call(u, command, payload);
  } catch (err) {
    return String((err as Error).message ?? err);
  }
  throw new Error(`${command} was expected to fail`);
}

/** A grid_client deployment of `twin`: one 1 GiB disk named `name`. */
function buildDeployment(twin: number, name: string, metadata = ""): Any {
  const disk = new gc.DiskPrimitive().create(1, name, metadata, "", 0);
  return new gc.DeploymentFactory({ twinId: twin }).create([disk], 0, metadata, "", 0);
}

async function createContract(u: User, nodeId: number, hash: string): Promise<number> {
  const ext = await u.tf.contracts.createNode({ nodeId, hash, data: "", numberOfPublicIps: 0, solutionProviderId: null });
  const c = await ext.apply();
  return Number(c.contractId);
}

async function signed(u: User, d: Any): Promise<string> {
  await d.sign(u.twin, u.mnemonic, "sr25519");
  return JSON.stringify(d);
}

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "zt-node-e2e-"));
  grid = await startDevGrid({ stateDir: dir, blockTimeMs: 0 });
  chain = await ChainClient.connect({ urls: [grid.chainUrl] });
  // bob: a genesis-funded dev account that makes itself a twin, as any grid user would
  const bobMnemonic = grid.devAccounts.find((a) => a.name === "bob")!.mnemonic;
  const bobSubmit = chain.submitter(await signerFromMnemonic(bobMnemonic, "sr25519"));
  await bobSubmit.submit("tfgridModule", "userAcceptTc", TERMS_LINK, TERMS_HASH);
  const bobPk = "0x" + Buffer.from(e2eKeyFromSecret(miniSecretFromMnemonic(bobMnemonic)).publicKey).toString("hex");
  await bobSubmit.submit("tfgridModule", "createTwin", officialRelayField(grid.relayUrl), bobPk);
  const bobTwin = Number(await chain.read.twinIdByAccount(bobSubmit.address));
  alice = await officialUser(grid.user.mnemonic, grid.user.twinId);
  bob = await officialUser(bobMnemonic, bobTwin);
  // a second node on the same farm, so contracts can point elsewhere (set up with plain extrinsics: it is
  // scenery, not the node under test)
  const faucet = await signerFromMnemonic(grid.devAccounts.find((a) => a.name === "charlie")!.mnemonic, "sr25519");
  const other = NodeIdentity.fromSeed(new Uint8Array(randomBytes(32)));
  const otherSigner = other.chainSigner(NODE_CHAIN_CALLS);
  const otherCalls = chain.nodeCalls(otherSigner);
  await new DevFaucet(chain, faucet).activate(otherCalls.submitter.address);
  await otherCalls.acceptTermsAndConditions();
  await otherCalls.createTwin("elsewhere.local", null);
  otherNode = await otherCalls.createNode({
    farmId: grid.farmId,
    resources: { cru: 1, mru: 1024 ** 3, sru: 0, hru: 0 },
    location: UNKNOWN_LOCATION,
    interfaces: [],
    secureBoot: false,
    virtualized: false,
    serialNumber: null,
  });
});

t.after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await chain?.close();
  await grid?.stop();
  rmSync(dir, { recursive: true, force: true });
});

t("npm start's grid: node registered on chain with its relay and e2e pk, endpoints written", async () => {
  assert.ok(grid.node.nodeId > 0 && grid.node.twinId > 0);
  assert.is(grid.node.mode, "kernel");
  for (const p of ["identity", "chain", "rmb", "hostfacts", "provision", "registrar", "api"]) {
    assert.ok(grid.node.running.kernel.pid(p), `${p} runs as its own kernel process`);
  }
  const node = await chain.read.node(grid.node.nodeId);
  assert.is(Number(node.twinId), grid.node.twinId);
  assert.is(Number(node.farmId), grid.farmId);
  const twin = await chain.read.twin(grid.node.twinId);
  assert.is(twin.relay, new URL(grid.relayUrl).host);
  assert.match(String(twin.pk), /^0x0[23][0-9a-f]{64}$/);
  // endpoints.json keeps these keys with their meaning; new keys may be added (shared contract)
  for (const k of [
    "chain_url", "farm_id", "node_id", "node_twin_id", "relay_url", "user_key_type", "user_mnemonic", "user_twin_id",
    "activation_url", "client_env", "graphql_url", "kyc_url", "network", "proxy_url", "hub_url", "flists",
  ]) {
    assert.ok(k in grid.endpoints, `endpoints.json has ${k}`);
  }
  assert.ok((await chain.read.balance(grid.user.address)).free > 0n, "dev user funded");
});

t("zos.system.version and zos.statistics.get answer the official client", async () => {
  const v = await call(alice, "zos.system.version");
  assert.equal(Object.keys(v).sort(), ["zinit", "zos"]);
  assert.match(v.zos, /^\d+\.\d+\.\d+/);
  const s = await call(alice, "zos.statistics.get");
  assert.equal(Object.keys(s).sort(), ["open_connections", "system", "total", "used", "users"]);
  assert.ok(s.total.cru >= 1 && s.total.mru > 0);
  assert.is(s.users.deployments, 0);
});

t("network queries answer from the node's real state; no public config is an error as on zos", async () => {
  const ifs = await call(alice, "zos.network.interfaces");
  assert.equal(Object.keys(ifs).sort(), ["ygg", "zos"]);
  assert.ok(Array.isArray(ifs.zos));
  assert.type(await call(alice, "zos.network.has_ipv6"), "boolean");
  assert.match(await callError(alice, "zos.network.public_config_get"), /no public configuration is set for this node/);
  // the network module answers from its port registry: no network resource deployed yet, no port taken
  assert.equal(await call(alice, "zos.network.list_wg_ports"), []);
  // the network module's ip workloads: none deployed yet
  assert.equal(await call(alice, "zos.network.list_public_ips"), []);
});

t("an unknown command is an error, and unsupported ones say so", async () => {
  assert.match(await callError(alice, "zos.no.such.thing"), /function is not found/);
  assert.match(await callError(alice, "zos.gpu.list"), /zos\.gpu\.list is not supported on this node yet/);
  assert.match(await callError(alice, "zos.admin.interfaces"), /reserved for the farmer twin/);
});

let contractId = 0;

t("a grid_client deployment with a tfchain_client contract is accepted, hash-checked and returned", async () => {
  const d = buildDeployment(alice.twin, "disk1", "e2e");
  const hash = d.challenge_hash();
  contractId = await createContract(alice, grid.node.nodeId, hash);
  d.contract_id = contractId;
  assert.is(await call(alice, "zos.deployment.deploy", await signed(alice, d)), null);
  const got = await call(alice, "zos.deployment.get", { contract_id: contractId });
  assert.is(got.contract_id, contractId);
  assert.is(got.twin_id, alice.twin);
  assert.is(got.workloads[0].name, "disk1");
  assert.ok(["init", "ok", "error"].includes(got.workloads[0].result.state));
  const list = await call(alice, "zos.deployment.list");
  assert.equal(list.map((x: Any) => x.contract_id), [contractId]);
  const changes = await call(alice, "zos.deployment.changes", { contract_id: contractId });
  assert.ok(changes.length >= 1);
  assert.is(changes[0].name, "disk1");
});

t("another twin cannot read it, list it or see its changes", async () => {
  assert.match(await callError(bob, "zos.deployment.get", { contract_id: contractId }), /no deployment with contract id \d+ for twin/);
  assert.match(await callError(bob, "zos.deployment.changes", { contract_id: contractId }), /no deployment with contract id/);
  assert.equal(await call(bob, "zos.deployment.list"), []);
});

t("contracts that do not back the deployment are refused and nothing is stored", async () => {
  // no such contract
  const d1 = buildDeployment(alice.twin, "nocontract");
  d1.contract_id = 999_999;
  assert.match(await callError(alice, "zos.deployment.deploy", await signed(alice, d1)), /contract 999999 does not exist on chain/);
  // a contract on another node
  const d2 = buildDeployment(alice.twin, "elsewhere");
  d2.contract_id = await createContract(alice, otherNode, d2.challenge_hash());
  assert.match(await callError(alice, "zos.deployment.deploy", await signed(alice, d2)), new RegExp(`is for node ${otherNode}, not for this node`));
  // a contract of another twin carrying the hash of alice's deployment
  const d3 = buildDeployment(alice.twin, "stolen");
  d3.contract_id = await createContract(bob, grid.node.nodeId, d3.challenge_hash());
  assert.match(await callError(alice, "zos.deployment.deploy", await signed(alice, d3)), new RegExp(`belongs to twin ${bob.twin}, not to the sender twin ${alice.twin}`));
  // the contract's hash is of a different deployment
  const d4 = buildDeployment(alice.twin, "swapped");
  d4.contract_id = await createContract(alice, grid.node.nodeId, buildDeployment(alice.twin, "original").challenge_hash());
  assert.match(await callError(alice, "zos.deployment.deploy", await signed(alice, d4)), /does not match the deployment hash/);
  // a deployment of another twin, sent (and signed) by alice
  const d5 = buildDeployment(bob.twin, "notmine");
  d5.contract_id = contractId;
  assert.match(await callError(alice, "zos.deployment.deploy", await signed(alice, d5)), new RegExp(`twin_id ${bob.twin} does not match the sender twin ${alice.twin}`));
  // malformed
  assert.match(await callError(alice, "zos.deployment.deploy", { version: 0, twin_id: alice.twin, workloads: [{ name: "bad name!", type: "zmount", data: { size: 1 } }] }), /invalid deployment/);
  assert.match(await callError(alice, "zos.deployment.deploy", "[1,2,3]"), /must be a deployment object/);
  // deletion over the api is disabled
  assert.match(await callError(alice, "zos.deployment.delete", { contract_id: contractId }), /deletion over the api is disabled/);
  assert.equal((await call(alice, "zos.deployment.list")).map((x: Any) => x.contract_id), [contractId], "nothing else stored");
});

t("oversized payloads are refused and the node stays up", async () => {
  const big = JSON.stringify({ contract_id: 1, pad: "x".repeat(1024 * 1024 + 10) });
  const msg = await callError(alice, "zos.deployment.get", big);
  assert.match(msg, /exceeds|too large|limit/i);
  const v = await call(alice, "zos.system.version");
  assert.ok(v.zos);
});

/** Runs `zos client ...` in-process, capturing what it prints. */
async function zosClient(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await clientCommand.run([...args, "--endpoints", grid.endpointsFile!]);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } catch (e) {
    if (e instanceof UserError) return { code: e.exitCode, out: out.join("\n"), err: e.message };
    throw e;
  } finally {
    console.log = log;
    console.error = error;
  }
}

t("zos client deploy | get | list | changes work against the node npm start runs", async () => {
  const file = join(dir, "deployment.json");
  writeFileSync(file, JSON.stringify({
    version: 0,
    metadata: "via zos client",
    workloads: [{ version: 0, name: "vol", type: "volume", data: { size: 1073741824 }, metadata: "", description: "" }],
  }));
  const dep = await zosClient(["deploy", file, "--json", "--timeout", "20"]);
  const r = JSON.parse(dep.out);
  assert.ok(r.contract_id > 0, dep.err);
  assert.match(r.hash, /^[0-9a-f]{32}$/);
  assert.is(r.deployment.metadata, "via zos client");
  // the volume manager (storage driver) decides the result; the command's exit code follows it
  const state = r.deployment.workloads[0].result.state;
  assert.ok(["ok", "error"].includes(state), `final state ${state}`);
  if (state === "error") assert.ok(r.deployment.workloads[0].result.message, "an error says why");
  assert.is(dep.code, state === "ok" ? 0 : 1);
  assert.match(dep.err, /"event":"accepted"/);
  const contract = (await chain.read.contract(r.contract_id)).contractType.nodeContract;
  assert.is(Number(contract.nodeId), grid.node.nodeId);
  const got = await zosClient(["get", String(r.contract_id)]);
  assert.is(got.code, 0);
  assert.match(got.out, new RegExp(`vol\\s+volume\\s+${state}`));
  const list = JSON.parse((await zosClient(["list", "--json"])).out);
  assert.ok(list.some((d: Any) => d.contract_id === r.contract_id));
  const changes = JSON.parse((await zosClient(["changes", String(r.contract_id), "--json"])).out);
  assert.equal(changes.map((c: Any) => c.result.state), ["init", state]);
  // bad input: exit 2 with a message, nothing sent
  const bad = await zosClient(["deploy", join(dir, "missing.json")]);
  assert.is(bad.code, 2);
  assert.match(bad.err, /cannot read .*missing\.json/);
  writeFileSync(file, '{"workloads":[{"name":"x y","type":"zmount","data":{"size":1}}]}');
  const invalid = await zosClient(["deploy", file]);
  assert.is(invalid.code, 2);
  assert.match(invalid.err, /invalid deployment/);
  const wrong = await zosClient(["get", "12abc"]);
  assert.is(wrong.code, 2);
  const foreign = await zosClient(["get", String(contractId), "--mnemonic", bob.mnemonic, "--chain", grid.chainUrl, "--relay", grid.relayUrl, "--node", String(grid.node.nodeId)]);
  assert.is(foreign.code, 1);
  assert.match(foreign.err, /the node said no: no deployment with contract id/);
});

t("an update needs the contract updated to its hash first, then is accepted", async () => {
  const d = buildDeployment(alice.twin, "upd", "v0");
  d.contract_id = await createContract(alice, grid.node.nodeId, d.challenge_hash());
  assert.is(await call(alice, "zos.deployment.deploy", await signed(alice, d)), null);
  const d1 = buildDeployment(alice.twin, "upd", "v1");
  d1.version = 1;
  d1.workloads[0].version = 1;
  d1.workloads[0].data.size = 2 * 1024 ** 3;
  d1.contract_id = d.contract_id;
  assert.match(await callError(alice, "zos.deployment.update", await signed(alice, d1)), /does not match the deployment hash/);
  await (await alice.tf.contracts.updateNode({ id: d.contract_id, hash: d1.challenge_hash(), data: "" })).apply();
  assert.is(await call(alice, "zos.deployment.update", await signed(alice, d1)), null);
  const got = await call(alice, "zos.deployment.get", { contract_id: d.contract_id });
  assert.is(got.version, 1);
  assert.is(got.metadata, "v1");
  assert.match(await callError(bob, "zos.deployment.update", await signed(bob, d1)), /does not match the sender twin/);
});

/** A raw RMB session for alice: we build, sign and replay envelopes by hand. */
async function rawSession(): Promise<{ send(e: Envelope | Uint8Array): void; reply(uid: string): Promise<Envelope>; close(): void }> {
  const signer = await signerFromMnemonic(alice.mnemonic, "sr25519");
  const jwt = await createJwt(signer, alice.twin, { sid: "raw" });
  const ws = new WebSocket(`${grid.relayUrl}/?${jwt}`);
  await new Promise((res, rej) => (ws.once("open", res), ws.once("error", rej)));
  const waiting = new Map<string, (e: Envelope) => void>();
  ws.on("message", (data) => {
    const e = decodeEnvelope(new Uint8Array(data as Buffer));
    waiting.get(e.uid)?.(e);
  });
  return {
    send: (e) => ws.send(e instanceof Uint8Array ? e : encodeEnvelope(e)),
    reply: (uid) =>
      new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`no reply to ${uid}`)), 10_000);
        waiting.set(uid, (e) => (clearTimeout(timer), res(e)));
      }),
    close: () => ws.close(),
  };
}

function request(uid: string, command: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Envelope {
  return {
    uid,
    timestamp,
    expiration: 60,
    source: { twin: alice.twin, connection: "raw" },
    destination: { twin: grid.node.twinId },
    message: { kind: "request", command },
    schema: "application/json",
    plain: new TextEncoder().encode(body),
    relays: [],
  };
}

t("bad envelopes (replayed, forged, expired, garbage) get errors and the node stays up", async () => {
  const before = (await call(alice, "zos.deployment.list")).length;
  const raw = await rawSession();
  try {
    const signer = await signerFromMnemonic(alice.mnemonic, "sr25519");
    const ok = await signEnvelope(request("u-1", "zos.system.version", ""), signer);
    const bytes = encodeEnvelope(ok);
    raw.send(bytes);
    let r = await raw.reply("u-1");
    assert.is(r.message?.kind, "response");
    raw.send(bytes); // the same envelope again
    r = await raw.reply("u-1");
    assert.is(r.message?.kind, "error");
    assert.match((r.message as { message: string }).message, /replayed/);
    const forger = await signerFromSeed(new Uint8Array(randomBytes(32)), "ed25519");
    raw.send(await signEnvelope(request("u-2", "zos.deployment.list", ""), forger));
    r = await raw.reply("u-2");
    assert.match((r.message as { message: string }).message, /bad signature/);
    raw.send(await signEnvelope(request("u-3", "zos.deployment.list", "", Math.floor(Date.now() / 1000) - 3600), signer));
    r = await raw.reply("u-3");
    assert.match((r.message as { message: string }).message, /expired/);
    raw.send(await signEnvelope(request("u-4", "zos.deployment.get", "{not json"), signer));
    r = await raw.reply("u-4");
    assert.match((r.message as { message: string }).message, /not valid JSON/);
  } finally {
    raw.close();
  }
  // garbage on the wire: the relay drops that connection; the node does not notice
  const garbage = await rawSession();
  garbage.send(new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]));
  garbage.close();
  // a JWT for someone else's twin is refused by the relay
  const mallory = await signerFromSeed(new Uint8Array(randomBytes(32)), "ed25519");
  const forged = await createJwt(mallory, alice.twin, { sid: "x" });
  const ws = new WebSocket(`${grid.relayUrl}/?${forged}`);
  const refused = await new Promise<string>((res) => (ws.once("unexpected-response", (_q, resp) => res(String(resp.statusCode))), ws.once("open", () => res("open")), ws.once("error", () => res("error"))));
  assert.is(refused, "401");
  assert.ok((await call(alice, "zos.system.version")).zos, "node still serves");
  assert.is((await call(alice, "zos.deployment.list")).length, before, "nothing stored by any of it");
});

t("diagnostics show the registrar's state", async () => {
  const d = await call(bob, "zos.system.diagnostics");
  const reg = d.modules.find((m: Any) => m.name === "registrar");
  assert.is(reg.status.state, "registered");
  assert.is(reg.status.node_id, grid.node.nodeId);
  assert.is(d.online, true);
});

t("a restarted node keeps its identity, registration and deployments", async () => {
  const seedFile = join(dir, "node", "identity", "seed.txt");
  const seed = readFileSync(seedFile, "utf8");
  const seedInode = statSync(seedFile).ino;
  await grid.node.stop();
  // the kernel-hosted node again, on the same state, as the next `npm start` starts it
  const again = await startNode({
    stateDir: join(dir, "node"),
    chainUrl: grid.chainUrl,
    relayUrl: grid.relayUrl,
    farmId: grid.farmId,
    faucetMnemonic: grid.devAccounts.find((a) => a.name === "alice")!.mnemonic,
  });
  closers.push(() => again.stop());
  assert.is(readFileSync(seedFile, "utf8"), seed, "same seed: no new identity");
  assert.is(statSync(seedFile).ino, seedInode, "the seed file was not rewritten");
  assert.is(again.nodeId, grid.node.nodeId);
  assert.is(again.twinId, grid.node.twinId);
  const got = await call(alice, "zos.deployment.get", { contract_id: contractId });
  assert.is(got.workloads[0].name, "disk1");
  assert.match(await callError(bob, "zos.deployment.get", { contract_id: contractId }), /no deployment with contract id/);
});

t.run();
