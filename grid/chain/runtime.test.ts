// deno-lint-ignore-file no-explicit-any
// TFChain semantics of the calls the dev chain executes, through @polkadot/api: storage written,
// events emitted, and TFChain's module errors (decoded by the client from the metadata).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import { cryptoWaitReady, mnemonicGenerate } from "@polkadot/util-crypto";
import { type RunningChain, startChain } from "./mod.ts";
import { TERMS_HASH, TERMS_LINK } from "./genesis.ts";

interface Outcome {
  ok: boolean;
  error: string | null; // "section.Name" of the dispatch error
  events: string[];
  data: Record<string, any[]>;
}

let c: RunningChain;
let api: ApiPromise;
const sr = new Keyring({ type: "sr25519" });
const ed = new Keyring({ type: "ed25519" });
let alice: KeyringPair, farmer: KeyringPair, nodeKey: KeyringPair, other: KeyringPair;

function send(pair: KeyringPair, tx: SubmittableExtrinsic<"promise">): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    tx.signAndSend(pair, (r) => {
      if (!r.status.isInBlock) return;
      const out: Outcome = { ok: !r.dispatchError, error: null, events: [], data: {} };
      for (const { event } of r.events) {
        const name = `${event.section}.${event.method}`;
        out.events.push(name);
        out.data[name] = event.data.map((d) => d.toPrimitive());
      }
      if (r.dispatchError) {
        if (r.dispatchError.isModule) {
          const m = api.registry.findMetaError(r.dispatchError.asModule);
          out.error = `${m.section}.${m.name}`;
        } else out.error = r.dispatchError.type;
      }
      resolve(out);
    }).catch(reject);
  });
}

async function free(address: string): Promise<bigint> {
  return BigInt(
    ((await api.query.system.account(address)).toJSON() as { data: { free: number | string } }).data.free,
  );
}

const t = suite("dev chain runtime");

t.before(async () => {
  await cryptoWaitReady();
  c = await startChain({ blockTimeMs: 0, log: () => {} });
  api = await ApiPromise.create({ provider: new WsProvider(c.url), noInitWarn: true });
  alice = sr.addFromUri(c.devAccounts[0].mnemonic);
  farmer = sr.addFromUri(c.devAccounts.find((a) => a.name === "farmer")!.mnemonic);
  nodeKey = ed.addFromUri(mnemonicGenerate(12));
  other = sr.addFromUri(mnemonicGenerate(12));
  for (const who of [nodeKey, other]) {
    assert.ok((await send(alice, api.tx.balances.transferKeepAlive(who.address, 1000n * 10_000_000n))).ok);
  }
});

t.after(async () => {
  await api?.disconnect();
  await c?.stop();
});

t("balances: transfers, NewAccount, FundsUnavailable", async () => {
  const fresh = sr.addFromUri(mnemonicGenerate(12));
  const r = await send(alice, api.tx.balances.transferAllowDeath(fresh.address, 10_000));
  assert.ok(r.ok);
  assert.ok(r.events.includes("system.NewAccount") && r.events.includes("balances.Endowed"));
  const tooMuch = await send(other, api.tx.balances.transfer(alice.address, 10n ** 20n));
  assert.is(tooMuch.error, "Token");
  const fee = tooMuch.data["transactionPayment.TransactionFeePaid"];
  assert.ok(BigInt(fee[1]) > 0n, "a failed call still pays its fee");
});

t("twins: T&C required, create, update, TwinExists", async () => {
  assert.is(
    (await send(other, api.tx.tfgridModule.createTwin(null, null))).error,
    "tfgridModule.UserDidNotSignTermsAndConditions",
  );
  assert.ok((await send(other, api.tx.tfgridModule.userAcceptTc(TERMS_LINK, TERMS_HASH))).ok);
  const r = await send(other, api.tx.tfgridModule.createTwin("relay.one", null));
  assert.ok(r.ok);
  const twin = r.data["tfgridModule.TwinStored"][0];
  assert.is(twin.relay, "relay.one");
  assert.is((await send(other, api.tx.tfgridModule.createTwin(null, null))).error, "tfgridModule.TwinExists");
  assert.is(
    (await send(other, api.tx.tfgridModule.updateTwin("bad relay!", null))).error,
    "tfgridModule.InvalidRelay",
  );
  assert.ok((await send(other, api.tx.tfgridModule.updateTwin("relay.two_relay.three", "0x02ab"))).ok);
  const stored = (await api.query.tfgridModule.twins(twin.id)).toPrimitive() as Record<string, unknown>;
  assert.is(stored.relay, "relay.two_relay.three");
  assert.is(stored.pk, "0x02ab");
  assert.is((await api.query.tfgridModule.twinIdByAccountID(other.address)).toPrimitive(), twin.id);
});

t("farms: create, FarmExists, add_farm_ip with ownership and IP checks", async () => {
  assert.is(
    (await send(other, api.tx.tfgridModule.createFarm("zt-dev-farm", []))).error,
    "tfgridModule.FarmExists",
  );
  assert.is(
    (await send(other, api.tx.tfgridModule.createFarm("bad name", []))).error,
    "tfgridModule.InvalidFarmName",
  );
  const r = await send(other, api.tx.tfgridModule.createFarm("zt_other", []));
  const farmId = r.data["tfgridModule.FarmStored"][0].id;
  assert.is(farmId, 2);
  assert.is(
    (await send(farmer, api.tx.tfgridModule.addFarmIp(farmId, "185.0.0.2/24", "185.0.0.1"))).error,
    "tfgridModule.CannotUpdateFarmWrongTwin",
  );
  assert.is(
    (await send(other, api.tx.tfgridModule.addFarmIp(farmId, "999.0.0.2/24", "185.0.0.1"))).error,
    "tfgridModule.InvalidPublicIP",
  );
  assert.ok((await send(other, api.tx.tfgridModule.addFarmIp(farmId, "185.0.0.2/24", "185.0.0.1"))).ok);
  assert.is(
    (await send(other, api.tx.tfgridModule.addFarmIp(farmId, "185.0.0.2/24", "185.0.0.1"))).error,
    "tfgridModule.IpExists",
  );
  assert.is(
    (await send(farmer, api.tx.tfgridModule.addFarmIp(77, "185.0.0.3/24", "185.0.0.1"))).error,
    "tfgridModule.FarmNotExists",
  );
});

const loc = { city: "Lochristi", country: "Belgium", latitude: "51.09", longitude: "3.83" };
const res = { hru: 0, sru: 100 * 1024 ** 3, cru: 2, mru: 4 * 1024 ** 3 };
const ifaces = [{ name: "zos", mac: "52:54:00:00:00:01", ips: ["10.0.0.2"] }];
let nodeId = 0;

t("nodes: create, NodeWithTwinIdExists, update, public config, power state, uptime", async () => {
  assert.is(
    (await send(nodeKey, api.tx.tfgridModule.createNode(1, res, loc, ifaces, false, true, null))).error,
    "tfgridModule.TwinNotExists",
  );
  await send(nodeKey, api.tx.tfgridModule.userAcceptTc(TERMS_LINK, TERMS_HASH));
  await send(nodeKey, api.tx.tfgridModule.createTwin(null, null));
  assert.is(
    (await send(nodeKey, api.tx.tfgridModule.createNode(9, res, loc, ifaces, false, true, null))).error,
    "tfgridModule.FarmNotExists",
  );
  assert.is(
    (await send(
      nodeKey,
      api.tx.tfgridModule.createNode(1, { ...res, cru: 0 }, loc, ifaces, false, true, null),
    )).error,
    "tfgridModule.InvalidCRUInput",
  );
  assert.is(
    (await send(
      nodeKey,
      api.tx.tfgridModule.createNode(1, res, { ...loc, latitude: "north" }, ifaces, false, true, null),
    )).error,
    "tfgridModule.InvalidLatitudeInput",
  );
  const r = await send(nodeKey, api.tx.tfgridModule.createNode(1, res, loc, ifaces, false, true, "SN-1"));
  assert.ok(r.ok, String(r.error));
  nodeId = r.data["tfgridModule.NodeStored"][0].id;
  assert.is(
    (await send(nodeKey, api.tx.tfgridModule.createNode(1, res, loc, ifaces, false, true, null))).error,
    "tfgridModule.NodeWithTwinIdExists",
  );
  assert.equal((await api.query.tfgridModule.nodesByFarmID(1)).toPrimitive(), [nodeId]);
  // update: more memory, moves nothing else; virtualized cannot flip back to true
  const u = await send(
    nodeKey,
    api.tx.tfgridModule.updateNode(
      nodeId,
      1,
      { ...res, mru: 8 * 1024 ** 3 },
      loc,
      ifaces,
      false,
      false,
      "SN-1",
    ),
  );
  assert.ok(u.ok, String(u.error));
  await send(nodeKey, api.tx.tfgridModule.updateNode(nodeId, 1, res, loc, ifaces, false, true, "SN-1"));
  const node = (await api.query.tfgridModule.nodes(nodeId)).toPrimitive() as Record<string, any>;
  assert.is(node.virtualized, false);
  assert.is(node.certification, "Diy");
  assert.is(
    (await send(other, api.tx.tfgridModule.updateNode(nodeId, 1, res, loc, ifaces, false, false, null)))
      .error,
    "tfgridModule.NodeUpdateNotAuthorized",
  );
  // public config is the farmer's call
  const pc = { ip4: { ip: "185.206.122.33/24", gw: "185.206.122.1" }, ip6: null, domain: "gw.example.com" };
  assert.is(
    (await send(nodeKey, api.tx.tfgridModule.addNodePublicConfig(1, nodeId, pc))).error,
    "tfgridModule.CannotUpdateFarmWrongTwin",
  );
  const p = await send(farmer, api.tx.tfgridModule.addNodePublicConfig(1, nodeId, pc));
  assert.ok(p.ok, String(p.error));
  const withPc = (await api.query.tfgridModule.nodes(nodeId)).toPrimitive() as Record<string, any>;
  assert.is(withPc.publicConfig.domain, "gw.example.com");
  const down = await send(nodeKey, api.tx.tfgridModule.changePowerState("Down"));
  assert.ok(down.events.includes("tfgridModule.PowerStateChanged"));
  const power = (await api.query.tfgridModule.nodePower(nodeId)).toPrimitive() as Record<string, any>;
  assert.ok("down" in power.state);
  const now = Math.floor(Date.now() / 1000);
  assert.is(
    (await send(nodeKey, api.tx.tfgridModule.reportUptimeV2(10, now - 3600))).error,
    "tfgridModule.InvalidTimestampHint",
  );
  const up = await send(nodeKey, api.tx.tfgridModule.reportUptimeV2(10, now));
  assert.is(up.data["tfgridModule.NodeUptimeReported"][0], nodeId);
});

t("contracts: node, name and rent contracts, updates, reports, cancel", async () => {
  const hash = "00112233445566778899aabbccddeeff";
  assert.is(
    (await send(other, api.tx.smartContractModule.createNodeContract(99, hash, "", 0, null))).error,
    "smartContractModule.NodeNotExists",
  );
  const cr = await send(other, api.tx.smartContractModule.createNodeContract(nodeId, hash, "d", 0, null));
  assert.ok(cr.ok, String(cr.error));
  const id = cr.data["smartContractModule.ContractCreated"][0].contractId;
  assert.is(
    (await send(other, api.tx.smartContractModule.createNodeContract(nodeId, hash, "", 0, null))).error,
    "smartContractModule.ContractIsNotUnique",
  );
  assert.is(
    (await send(
      other,
      api.tx.smartContractModule.createNodeContract(nodeId, "ffeeddccbbaa99887766554433221100", "", 1, null),
    )).error,
    "smartContractModule.FarmHasNotEnoughPublicIPs",
  );
  const hash2 = "ffffffffffffffffffffffffffffffff";
  assert.is(
    (await send(alice, api.tx.smartContractModule.updateNodeContract(id, hash2, ""))).error,
    "smartContractModule.TwinNotExists",
  );
  assert.is(
    (await send(farmer, api.tx.smartContractModule.updateNodeContract(id, hash2, ""))).error,
    "smartContractModule.TwinNotAuthorizedToUpdateContract",
  );
  assert.ok((await send(other, api.tx.smartContractModule.updateNodeContract(id, hash2, "d2"))).ok);
  assert.is((await api.query.smartContractModule.contractIDByNodeIDAndHash(nodeId, hash2)).toPrimitive(), id);
  assert.is((await api.query.smartContractModule.contractIDByNodeIDAndHash(nodeId, hash)).toPrimitive(), 0);
  // the node reports capacity and NRU only for its own contracts
  const rep = await send(
    nodeKey,
    api.tx.smartContractModule.reportContractResources([
      { contractId: id, used: { hru: 0, sru: 10, cru: 1, mru: 20 } },
      { contractId: 999, used: { hru: 0, sru: 10, cru: 1, mru: 20 } },
    ]),
  );
  assert.is(rep.events.filter((e) => e === "smartContractModule.UpdatedUsedResources").length, 1);
  assert.is(
    ((await api.query.smartContractModule.nodeContractResources(id)).toPrimitive() as any).used.mru,
    20,
  );
  assert.is(
    (await send(other, api.tx.smartContractModule.reportContractResources([]))).error,
    "smartContractModule.NodeNotExists",
  );
  const nru = await send(
    nodeKey,
    api.tx.smartContractModule.addNruReports([{ contractId: id, timestamp: 1, window: 3600, nru: 5 }]),
  );
  assert.ok(nru.events.includes("smartContractModule.NruConsumptionReportReceived"));
  // name contracts
  assert.is(
    (await send(other, api.tx.smartContractModule.createNameContract("a!"))).error,
    "smartContractModule.NameContractNameTooShort",
  );
  const nc = await send(other, api.tx.smartContractModule.createNameContract("myname"));
  const nameId = nc.data["smartContractModule.ContractCreated"][0].contractId;
  assert.is(
    (await send(other, api.tx.smartContractModule.createNameContract("myname"))).error,
    "smartContractModule.NameExists",
  );
  assert.is(
    (await api.query.smartContractModule.contractIDByNameRegistration("myname")).toPrimitive(),
    nameId,
  );
  // rent contract: others cannot rent a node where someone else has contracts
  await send(farmer, api.tx.tfgridModule.userAcceptTc(TERMS_LINK, TERMS_HASH));
  assert.is(
    (await send(farmer, api.tx.smartContractModule.createRentContract(nodeId, null))).error,
    "smartContractModule.NodeNotAvailableToDeploy",
  );
  const rent = await send(other, api.tx.smartContractModule.createRentContract(nodeId, null));
  assert.ok(rent.ok, String(rent.error));
  const rentId = rent.data["smartContractModule.ContractCreated"][0].contractId;
  assert.is((await api.query.smartContractModule.activeRentContractForNode(nodeId)).toPrimitive(), rentId);
  assert.is(
    (await send(farmer, api.tx.smartContractModule.createNodeContract(nodeId, hash, "", 0, null))).error,
    "smartContractModule.NodeNotAvailableToDeploy",
  );
  assert.is(
    (await send(other, api.tx.smartContractModule.cancelContract(rentId))).error,
    "smartContractModule.NodeHasActiveContracts",
  );
  // cancel: only the owner; then everything is gone
  assert.is(
    (await send(farmer, api.tx.smartContractModule.cancelContract(id))).error,
    "smartContractModule.TwinNotAuthorizedToCancelContract",
  );
  const cancel = await send(other, api.tx.smartContractModule.cancelContract(id));
  assert.equal(cancel.data["smartContractModule.NodeContractCanceled"].slice(0, 2), [id, nodeId]);
  assert.ok((await api.query.smartContractModule.contracts(id)).isEmpty);
  assert.equal((await api.query.smartContractModule.activeNodeContracts(nodeId)).toPrimitive(), []);
  assert.ok(
    (await send(other, api.tx.smartContractModule.cancelContract(rentId))).events.includes(
      "smartContractModule.RentContractCanceled",
    ),
  );
  assert.ok(
    (await send(other, api.tx.smartContractModule.cancelContract(nameId))).events.includes(
      "smartContractModule.NameContractCanceled",
    ),
  );
  assert.is((await api.query.smartContractModule.contractIDByNameRegistration("myname")).toPrimitive(), 0);
  assert.is(
    (await send(other, api.tx.smartContractModule.cancelContract(nameId))).error,
    "smartContractModule.ContractNotExists",
  );
});

t("utility.batchAll is atomic, batch stops at the first failure", async () => {
  const before = await free(other.address);
  const all = await send(
    alice,
    api.tx.utility.batchAll([
      api.tx.balances.transfer(other.address, 1000),
      api.tx.tfgridModule.createTwin(null, null), // alice has not accepted T&C
    ]),
  );
  assert.is(all.error, "tfgridModule.UserDidNotSignTermsAndConditions");
  assert.is(await free(other.address), before);
  const some = await send(
    alice,
    api.tx.utility.batch([
      api.tx.balances.transfer(other.address, 1000),
      api.tx.tfgridModule.createTwin(null, null),
    ]),
  );
  assert.ok(some.ok);
  assert.ok(some.events.includes("utility.BatchInterrupted"));
  assert.is(await free(other.address), before + 1000n);
});

t.run();
