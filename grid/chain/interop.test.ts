// Interop: the official @threefold/tfchain_client 2.9.2 (with its own @polkadot/api 15) and our
// @polkadot/api 16.5.6 against the dev chain, in instant mode. One chain for the whole file.
import { createRequire } from "node:module";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiPromise, WsProvider } from "@polkadot/api";
import type { EventRecord } from "@polkadot/types/interfaces";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady, mnemonicGenerate } from "@polkadot/util-crypto";
import { type RunningChain, startChain } from "./mod.ts";
import { TERMS_HASH, TERMS_LINK } from "./genesis.ts";

const require = createRequire(import.meta.url);

/** tfchain_client bundles @polkadot 15 next to our 16; polkadot warns about that on load. Known, harmless here. */
function quietRequire(id: string): unknown {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return require(id);
  } finally {
    console.warn = warn;
  }
}
// deno-lint-ignore no-explicit-any
const { Client } = quietRequire("@threefold/tfchain_client") as any;

// The official client logs every event and lock; keep the test output readable.
async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await f();
  } finally {
    console.log = log;
  }
}

const t = suite("tfchain_client interop");
let chain: RunningChain;
// deno-lint-ignore no-explicit-any
let alice: any, user: any, node: any;
let api: ApiPromise;
const seen: string[] = [];
let unsubEvents: () => void;
const userMnemonic = mnemonicGenerate(12);
const nodeMnemonic = mnemonicGenerate(12);
let farmId = 0;
let nodeId = 0;
let contractId = 0;

t.before(async () => {
  await cryptoWaitReady();
  chain = await startChain({ blockTimeMs: 0, log: () => {} });
  alice = new Client({
    url: chain.url,
    mnemonicOrSecret: chain.devAccounts[0].mnemonic,
    keypairType: "sr25519",
  });
  user = new Client({ url: chain.url, mnemonicOrSecret: userMnemonic, keypairType: "sr25519" });
  node = new Client({ url: chain.url, mnemonicOrSecret: nodeMnemonic, keypairType: "ed25519" });
  await quiet(async () => {
    await alice.connect();
    await user.connect();
    await node.connect();
  });
  api = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
  unsubEvents = (await api.query.system.events((events: EventRecord[]) => {
    for (const { event } of events) seen.push(`${event.section}.${event.method}`);
  })) as unknown as () => void;
});

t.after(async () => {
  unsubEvents?.();
  await api?.disconnect();
  await quiet(async () => {
    for (const c of [alice, user, node]) await c?.disconnect().catch(() => {});
  });
  await chain?.stop();
});

t("funds a new account with a transfer", async () => {
  const amount = 100 * 10 ** 7;
  await quiet(async () => {
    await (await alice.balances.transfer({ address: user.address, amount })).apply();
    await (await alice.balances.transfer({ address: node.address, amount })).apply();
  });
  const b = await user.balances.get({ address: user.address });
  assert.is(BigInt(b.free), BigInt(amount));
});

t("accepts T&C, creates a twin and a farm", async () => {
  await quiet(async () => {
    await (await user.termsAndConditions.accept({ documentLink: TERMS_LINK, documentHash: TERMS_HASH }))
      .apply();
    const twin = await (await user.twins.create({ relay: "relay.zt.local", pk: "0x02" + "11".repeat(32) }))
      .apply();
    assert.is(twin.accountId, user.address);
    const farm = await (await user.farms.create({
      name: "zt_interop_farm",
      publicIps: [{ ip: "185.1.2.3/24", gw: "185.1.2.1" }],
    })).apply();
    farmId = farm.id;
  });
  const twinId = await user.twins.getTwinIdByAccountId({ accountId: user.address });
  assert.ok(twinId > 1);
  const twin = await user.twins.get({ id: twinId });
  assert.is(twin.relay, "relay.zt.local");
  const farm = await user.farms.get({ id: farmId });
  assert.is(farm.name, "zt_interop_farm");
  assert.is(farm.twinId, twinId);
  assert.is(farm.publicIps.length, 1);
});

t("module errors decode on the client (TwinExists)", async () => {
  let err = null as { keyError?: string; section?: string } | null;
  await quiet(async () => {
    try {
      await (await user.twins.create({ relay: null, pk: null })).apply();
    } catch (e) {
      err = e as typeof err;
    }
  });
  assert.ok(err, "second create_twin must fail");
  assert.is(err!.keyError, "TwinExists");
  assert.is(err!.section, "tfgridModule");
});

t("registers a node with a raw extrinsic (ed25519 key)", async () => {
  await quiet(async () => {
    await (await node.termsAndConditions.accept({ documentLink: TERMS_LINK, documentHash: TERMS_HASH }))
      .apply();
    await (await node.twins.create({ relay: null, pk: null })).apply();
    const ext = node.api.tx.tfgridModule.createNode(
      farmId,
      { hru: 1024 ** 4, sru: 512 * 1024 ** 3, cru: 8, mru: 16 * 1024 ** 3 },
      { city: "Ghent", country: "Belgium", latitude: "51.05", longitude: "3.71" },
      [{ name: "zos", mac: "52:54:00:12:34:56", ips: ["10.0.2.15"] }],
      false,
      true,
      null,
    );
    const stored = await node.applyExtrinsic(ext, ["tfgridModule"], ["NodeStored"]);
    nodeId = stored.id;
  });
  assert.ok(nodeId >= 1);
  const n = await node.nodes.get({ id: nodeId });
  assert.is(n.farmId, farmId);
  assert.is(n.location.city, "Ghent");
  assert.is(n.interfaces[0].mac, "52:54:00:12:34:56");
  const twinOfNode = await node.twins.getTwinIdByAccountId({ accountId: node.address });
  assert.is(n.twinId, twinOfNode);
  // uptime through our own api, signed by the node's ed25519 key
  const kr = new Keyring({ type: "ed25519" });
  const pair = kr.addFromUri(nodeMnemonic);
  const now = Math.floor(Date.now() / 1000);
  const res = await new Promise<string[]>((resolve, reject) => {
    api.tx.tfgridModule.reportUptimeV2(120, now).signAndSend(pair, (r) => {
      if (r.status.isInBlock) resolve(r.events.map((e) => `${e.event.section}.${e.event.method}`));
    }).catch(reject);
  });
  assert.ok(res.includes("tfgridModule.NodeUptimeReported"), res.join());
});

t("node contract: create with a deployment hash, read back, cancel", async () => {
  const hash = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
  await quiet(async () => {
    const c = await (await user.contracts.createNode({ nodeId, hash, data: "zt-data", numberOfPublicIps: 1 }))
      .apply();
    contractId = c.contractId;
  });
  const c = await user.contracts.get({ id: contractId });
  assert.is(c.contractType.nodeContract.nodeId, nodeId);
  assert.is(c.contractType.nodeContract.deploymentHash, hash);
  assert.is(c.contractType.nodeContract.publicIpsList.length, 1);
  assert.equal(c.state, { created: null });
  const active = await user.contracts.getActiveContracts({ nodeId });
  assert.equal(active, [contractId]);
  const byHash = await user.contracts.getContractIdByActiveRentForNode?.({ nodeId });
  assert.is(byHash ?? null, null);
  await quiet(async () => {
    const r = await (await user.contracts.cancel({ id: contractId })).apply();
    assert.is(r, contractId);
  });
  assert.is(await user.contracts.get({ id: contractId }), null);
  assert.equal(await user.contracts.getActiveContracts({ nodeId }), []);
  const farm = await user.farms.get({ id: farmId });
  assert.is(farm.publicIps[0].contractId, 0);
});

t("@polkadot/api subscription saw the events", async () => {
  await new Promise((r) => setTimeout(r, 100));
  for (
    const e of [
      "balances.Transfer",
      "tfgridModule.TwinStored",
      "tfgridModule.FarmStored",
      "tfgridModule.NodeStored",
      "smartContractModule.ContractCreated",
      "smartContractModule.NodeContractCanceled",
      "system.ExtrinsicFailed",
    ]
  ) assert.ok(seen.includes(e), `missing ${e} in ${[...new Set(seen)].join(", ")}`);
});

t.run();
