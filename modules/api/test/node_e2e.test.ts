// End to end on a real local grid, in-process: the dev chain (instant blocks), our relay, and the node
// as `zos dev` runs it (identity, registrar, RMB peer, provision engine, zos.* api). Users are the
// official clients: @threefold/rmb_direct_client wrapped in grid_client's RMB class, deployments built
// and signed by @threefold/grid_client, contracts created with @threefold/tfchain_client.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import "reflect-metadata";
import { ChainClient } from "../../../capabilities/chain/mod.ts";
import { NodeIdentity } from "../../../capabilities/identity/mod.ts";
import { e2eKeyFromSecret } from "../../../capabilities/rmb/e2e.ts";
import { miniSecretFromMnemonic, signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { OfficialClient } from "../../../capabilities/rmb/official-sdk.test-helper.ts";
import { type DevGrid, startDevGrid } from "../../../cli/commands/dev/grid.ts";
import { officialRelayField } from "../../../cli/commands/dev/user.ts";
import { DriverRegistrarChain } from "../../../cli/commands/dev/registrar_chain.ts";
import { DevFaucet } from "../../../cli/commands/dev/faucet.ts";
import { devHostFacts } from "../../../cli/commands/dev/host_facts.ts";
import { Registrar, TERMS_HASH, TERMS_LINK } from "../../registrar/mod.ts";

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
  // a second node on the same farm, so contracts can point elsewhere
  const faucet = await signerFromMnemonic(grid.devAccounts.find((a) => a.name === "charlie")!.mnemonic, "sr25519");
  const other = NodeIdentity.fromSeed(new Uint8Array(randomBytes(32)));
  const r = new Registrar({
    chain: new DriverRegistrarChain(chain, other.signer("chain")),
    activator: new DevFaucet(chain, faucet),
    host: devHostFacts(dir),
    farmId: grid.farmId,
    relays: ["elsewhere.local"],
    pk: null,
  });
  otherNode = (await r.registerOnce()).nodeId;
});

t.after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await chain?.close();
  await grid?.stop();
  rmSync(dir, { recursive: true, force: true });
});

t("npm start's grid: node registered on chain with its relay and e2e pk, endpoints written", async () => {
  assert.ok(grid.node.nodeId > 0 && grid.node.twinId > 0);
  const node = await chain.read.node(grid.node.nodeId);
  assert.is(Number(node.twinId), grid.node.twinId);
  assert.is(Number(node.farmId), grid.farmId);
  const twin = await chain.read.twin(grid.node.twinId);
  assert.is(twin.relay, new URL(grid.relayUrl).host);
  assert.match(String(twin.pk), /^0x0[23][0-9a-f]{64}$/);
  assert.equal(Object.keys(grid.endpoints).sort(), ["chain_url", "farm_id", "node_id", "node_twin_id", "relay_url", "user_key_type", "user_mnemonic", "user_twin_id"]);
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

t("diagnostics show the registrar's state", async () => {
  const d = await call(bob, "zos.system.diagnostics");
  const reg = d.modules.find((m: Any) => m.name === "registrar");
  assert.is(reg.status.state, "registered");
  assert.is(reg.status.node_id, grid.node.nodeId);
  assert.is(d.online, true);
});

t.run();
