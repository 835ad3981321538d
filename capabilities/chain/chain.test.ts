// The chain driver against the dev chain: URL failover, a node registering with its identity's
// chain signer, module errors, the events subscription, and reconnect after the chain restarts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { type RunningChain, startChain } from "../../grid/chain/mod.ts";
import { NodeIdentity } from "../identity/mod.ts";
import { ChainClient, ChainDispatchError, type ChainEvent, NODE_CHAIN_CALLS, type Signer } from "./mod.ts";
import { MORTAL_ERA_BLOCKS } from "./submitter.ts";

async function rejects(f: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await f();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable("expected a rejection");
}

const t = suite("chain driver");
let dir = "";
let chain: RunningChain;
let client: ChainClient;
let port = 0;
const identity = NodeIdentity.fromSeed(new Uint8Array(randomBytes(32)));
const nodeSigner = identity.chainSigner(NODE_CHAIN_CALLS);
const nodeAddress = identity.publicIdentity().address;
let alice: Signer;
let nodeId = 0;

function pairSigner(mnemonic: string): Signer {
  const pair = new Keyring({ type: "sr25519" }).addFromUri(mnemonic);
  return { publicKey: pair.publicKey, type: "sr25519", sign: (m) => Promise.resolve(pair.sign(m)) };
}

const registration = {
  farmId: 1,
  resources: { hru: 0, sru: 256 * 1024 ** 3, cru: 4, mru: 8 * 1024 ** 3 },
  location: { city: "Cairo", country: "Egypt", latitude: "30.04", longitude: "31.23" },
  interfaces: [{ name: "zos", mac: "52:54:00:aa:bb:cc", ips: ["10.0.2.15"] }],
  secureBoot: false,
  virtualized: true,
  serialNumber: null,
};

t.before(async () => {
  await cryptoWaitReady();
  dir = mkdtempSync(join(tmpdir(), "zt-chaincap-"));
  chain = await startChain({ stateDir: dir, blockTimeMs: 0, log: () => {} });
  port = Number(new URL(chain.url).port);
  alice = pairSigner(chain.devAccounts[0].mnemonic);
});

t.after(async () => {
  await client?.close();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

t("connects through the URL list, skipping a dead endpoint", async () => {
  client = await ChainClient.connect({
    urls: ["ws://127.0.0.1:1", chain.url],
    retryMs: 100,
    timeoutMs: 20_000,
  });
  assert.ok(client.connected);
  const farm = await client.read.farm(1);
  assert.is(farm.name, "zt-dev-farm");
  assert.is(await client.read.twin(999), null);
  await rejects(() => ChainClient.connect({ urls: ["http://x"] }), /not a ws/);
});

t("a node registers with its identity's chain signer", async () => {
  await client.submitter(alice).submit("balances", "transfer", nodeAddress, 50n * 10_000_000n);
  const calls = client.nodeCalls(nodeSigner);
  await calls.acceptTermsAndConditions();
  const twinId = await calls.createTwin(null, null);
  assert.is(await client.read.twinIdByAccount(nodeAddress), twinId);
  nodeId = await calls.createNode(registration);
  const node = await client.read.node(nodeId);
  assert.is(node.twinId, twinId);
  assert.is(node.location.city, "Cairo");
  assert.is(await client.read.nodeIdByTwin(twinId), nodeId);
  assert.ok(identity.signatures("chain") >= 3);
});

t("a submitted call carries the submitter's mortal era (long enough for a slow signer on a fast dev chain)", async () => {
  const inc = await client.submitter(alice).submit("balances", "transfer", nodeAddress, 1n);
  const { ApiPromise, WsProvider } = await import("@polkadot/api");
  const api = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
  try {
    const block = await api.rpc.chain.getBlock(inc.blockHash);
    const xt = block.block.extrinsics.find((x) => x.isSigned && x.method.section === "balances");
    assert.ok(xt, "the transfer is in its block");
    assert.ok(xt!.era.isMortalEra);
    assert.is(Number(xt!.era.asMortalEra.period), MORTAL_ERA_BLOCKS);
  } finally {
    await api.disconnect();
  }
});

t("module errors come back named", async () => {
  try {
    await client.nodeCalls(nodeSigner).createTwin(null, null);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ChainDispatchError);
    assert.is((e as ChainDispatchError).error, "TwinExists");
    assert.is((e as ChainDispatchError).section, "tfgridModule");
  }
  await rejects(() => client.submitter(nodeSigner).submit("tfgridModule", "noSuchCall"), /no call/);
});

t("events subscription, contracts and capacity reports", async () => {
  const seen: ChainEvent[] = [];
  const unsub = await client.read.subscribeEvents((evs) => seen.push(...evs));
  const user = client.submitter(alice);
  await user.submit(
    "tfgridModule",
    "userAcceptTc",
    "http://zos.tf/terms/v0.1",
    "9021d4dee05a661e2cb6838152c67f25",
  );
  await user.submit("tfgridModule", "createTwin", null, null);
  const hash = "0123456789abcdef0123456789abcdef";
  const inc = await user.submit("smartContractModule", "createNodeContract", nodeId, hash, "", 0, null);
  const contractId = (inc.events.find((e) =>
    e.method === "ContractCreated"
  )!.data[0] as { contractId: number }).contractId;
  assert.is(await client.read.contractIdByNodeAndHash(nodeId, hash), contractId);
  assert.equal(await client.read.activeNodeContracts(nodeId), [contractId]);
  const c = await client.read.contract(contractId);
  assert.is(c.contractType.nodeContract.deploymentHash, hash);
  const calls = client.nodeCalls(nodeSigner);
  const rep = await calls.reportContractResources([{
    contractId,
    used: { hru: 0, sru: 1024, cru: 1, mru: 2048 },
  }]);
  assert.ok(rep.events.some((e) => e.method === "UpdatedUsedResources"));
  await calls.reportUptime(300);
  await new Promise((r) => setTimeout(r, 300));
  unsub();
  const names = seen.map((e) => `${e.section}.${e.method}`);
  assert.ok(names.includes("smartContractModule.ContractCreated"), names.join());
  assert.ok(names.includes("tfgridModule.NodeUptimeReported"), names.join());
});

t("reconnects after the chain restarts on the same port", async () => {
  await chain.stop();
  chain = await startChain({ stateDir: dir, port, blockTimeMs: 0, log: () => {} });
  const deadline = Date.now() + 15_000;
  let node = null;
  while (Date.now() < deadline) {
    try {
      node = await client.read.node(nodeId);
      if (node) break;
    } catch {
      // still reconnecting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(node, "read after restart");
  await client.nodeCalls(nodeSigner).reportUptime(400);
});

t.run();
