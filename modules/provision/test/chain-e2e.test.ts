// End to end against the dev chain (grid/chain): a user twin (sr25519 dev account) creates a node
// contract holding the deployment hash, the engine verifies the signature with the twin's on-chain key
// and checks the contract through the chain driver's reads — the path a real deployment takes.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { type RunningChain, startChain } from "../../../grid/chain/mod.ts";
import { ChainClient, NODE_CHAIN_CALLS, type Signer } from "../../../capabilities/chain/mod.ts";
import { NodeIdentity } from "../../../capabilities/identity/mod.ts";
import { challengeHash, parseDeployment } from "../../lib/gridtypes/mod.ts";
import { Engine } from "../engine.ts";
import { MemoryStore } from "../store.ts";
import { contractCheckerFromChain, twinKeysFromChain } from "../chain-adapters.ts";
import { FileEffectManager, fixedCapacity, signedDoc, type Twin, wl } from "./fixtures.ts";

const t = suite("provision on the dev chain");
let dir = "";
let chain: RunningChain;
let client: ChainClient;
let nodeId = 0;
let user: Signer;
let owner: Twin;

t.before(async () => {
  await cryptoWaitReady();
  dir = mkdtempSync(join(tmpdir(), "zt-prov-chain-"));
  chain = await startChain({ stateDir: dir, blockTimeMs: 0, log: () => {} });
  client = await ChainClient.connect({ urls: [chain.url], retryMs: 100, timeoutMs: 20_000 });
  const pair = new Keyring({ type: "sr25519" }).addFromUri(chain.devAccounts[0].mnemonic);
  user = { publicKey: pair.publicKey, type: "sr25519", sign: (m) => Promise.resolve(pair.sign(m)) };
  // the node: funded, twin, node record
  const identity = NodeIdentity.fromSeed(new Uint8Array(randomBytes(32)));
  await client.submitter(user).submit("balances", "transfer", identity.publicIdentity().address, 50n * 10_000_000n);
  const calls = client.nodeCalls(identity.chainSigner(NODE_CHAIN_CALLS));
  await calls.acceptTermsAndConditions();
  await calls.createTwin(null, null);
  nodeId = await calls.createNode({
    farmId: 1,
    resources: { hru: 0, sru: 256 * 1024 ** 3, cru: 4, mru: 8 * 1024 ** 3 },
    location: { city: "Cairo", country: "Egypt", latitude: "30.04", longitude: "31.23" },
    interfaces: [{ name: "zos", mac: "52:54:00:aa:bb:cc", ips: ["10.0.2.15"] }],
    secureBoot: false,
    virtualized: true,
    serialNumber: null,
  });
  // the user: terms, twin
  await client.submitter(user).submit("tfgridModule", "userAcceptTc", "http://zos.tf/terms/v0.1", "9021d4dee05a661e2cb6838152c67f25");
  await client.submitter(user).submit("tfgridModule", "createTwin", null, null);
  const twinId = (await client.read.twinIdByAccount(pair.address))!;
  owner = { id: twinId, type: "sr25519", pub: pair.publicKey, sign: (m) => Buffer.from(pair.sign(m)).toString("hex") };
});

t.after(async () => {
  await client?.close();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function contractFor(hash: string): Promise<number> {
  const inc = await client.submitter(user).submit("smartContractModule", "createNodeContract", nodeId, hash, "", 0, null);
  return (inc.events.find((e) => e.method === "ContractCreated")!.data[0] as { contractId: number }).contractId;
}

t("a signed deployment is verified with the on-chain twin key and provisioned after the contract check", async () => {
  const workloads = [wl("disk", "zmount", { size: 1024 ** 3 }), wl("cache", "zdb", { size: 1024 ** 3, mode: "user" })];
  const hash = challengeHash(parseDeployment(signedDoc(owner, 0, workloads)));
  const contractId = await contractFor(hash);
  const wrong = await contractFor("0".repeat(32));
  const fx = new FileEffectManager(join(dir, "fx"), "any");
  const engine = await Engine.open({
    store: new MemoryStore(),
    keys: twinKeysFromChain(client.read),
    contracts: contractCheckerFromChain(client.read, nodeId),
    managers: new Map([["zmount", fx]]),
    capacity: fixedCapacity(8),
  });
  await engine.deploy(signedDoc(owner, contractId, workloads), owner.id);
  await engine.deploy(signedDoc(owner, wrong, workloads), owner.id);
  // a twin that does not exist on chain cannot deploy
  const stranger: Twin = { ...owner, id: 999999 };
  try {
    await engine.deploy(signedDoc(stranger, contractId + 100, workloads));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /failed to get public key for twin '999999': twin 999999 does not exist on chain/);
  }
  await engine.drain();
  const ok = engine.get(owner.id, BigInt(contractId))!;
  assert.equal(ok.workloads.map((w) => [w.name, w.result.state, w.result.message]), [["disk", "ok", ""], ["cache", "error", "zdb is not supported on this node yet"]]);
  const bad = engine.get(owner.id, BigInt(wrong))!;
  assert.ok(bad.workloads.every((w) => w.result.state === "error" && /hash mismatch/.test(w.result.message)), JSON.stringify(bad.workloads.map((w) => w.result.message)));
});

t.run();
