// Fills a running dev chain with a grid through real signed extrinsics (for tests and benchmarks):
// `nodes` node twins registered on farm 1 (funded in batches by alice, one batch_all each: accept
// T&C, create twin, create node), an optional second farm with public IPs, and `contracts` node
// contracts of one user twin spread over the nodes (batch_all of up to 400 per extrinsic).
import { randomBytes } from "node:crypto";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import type { RunningChain } from "../chain/mod.ts";
import { TERMS_HASH, TERMS_LINK } from "../chain/genesis.ts";

export interface PopulateOptions {
  nodes: number;
  contracts: number;
  /** a second farm (owned by the contracts' user) with this many public IPs; 0 = none */
  farmIps?: number;
}

export interface Populated {
  nodeIds: number[];
  userTwinId: number;
  user: KeyringPair;
  contractIds: number[];
  farm2Id: number | null;
}

const GiB = 1024 ** 3;
const BATCH = 400;

export async function populate(rc: RunningChain, o: PopulateOptions): Promise<Populated> {
  await cryptoWaitReady();
  const api = await ApiPromise.create({ provider: new WsProvider(rc.url), noInitWarn: true });
  try {
    const sr = new Keyring({ type: "sr25519" });
    const ed = new Keyring({ type: "ed25519" });
    const alice = sr.addFromUri(rc.devAccounts[0].mnemonic);
    const user = sr.addFromUri(rc.devAccounts.find((a) => a.name === "charlie")!.mnemonic);
    const nonces = new Map<string, number>();
    const submit = async (pair: KeyringPair, tx: SubmittableExtrinsic<"promise">) => {
      const nonce = nonces.get(pair.address) ?? rc.chain.accountNextIndex(pair.address);
      nonces.set(pair.address, nonce + 1);
      const signed = await tx.signAsync(pair, { nonce, era: 0 });
      rc.chain.submit(signed.toHex());
    };
    const settle = async () => {
      while (rc.chain.pending().length) {
        if (rc.chain.blockTimeMs === 0) rc.chain.produceBlock();
        else await new Promise((r) => setTimeout(r, 50));
      }
    };
    const g = api.tx.tfgridModule;
    // the user: a twin, and a farm with public IPs
    await submit(user, api.tx.utility.batchAll([g.userAcceptTc(TERMS_LINK, TERMS_HASH), g.createTwin(null, null)]));
    await settle();
    let farm2Id: number | null = null;
    if (o.farmIps) {
      const name = `zt-bench-${randomBytes(3).toString("hex")}`;
      const ips = Array.from({ length: o.farmIps }, (_, i) => ({ ip: `185.206.122.${10 + i}/24`, gw: "185.206.122.1" }));
      await submit(user, g.createFarm(name, ips));
      await settle();
      farm2Id = Number(rc.chain.meta.decode("TfgridModule", "FarmID", rc.chain.state.get(rc.chain.meta.key("TfgridModule", "FarmID"))));
    }
    // the nodes
    const nodeKeys = Array.from({ length: o.nodes }, () => ed.addFromSeed(randomBytes(32)));
    for (let i = 0; i < nodeKeys.length; i += BATCH) {
      const part = nodeKeys.slice(i, i + BATCH).map((k) => api.tx.balances.transferKeepAlive(k.address, 10n * 10_000_000n));
      await submit(alice, api.tx.utility.batchAll(part));
    }
    await settle();
    for (const [i, k] of nodeKeys.entries()) {
      const farm = farm2Id !== null && i % 4 === 3 ? farm2Id : 1;
      const res = { cru: 4 + (i % 4) * 4, mru: (8 + (i % 8) * 8) * GiB, sru: (256 + (i % 3) * 256) * GiB, hru: (i % 2) * 2048 * GiB };
      const loc = { city: i % 2 ? "Ghent" : "Cairo", country: i % 2 ? "Belgium" : "Egypt", latitude: "51.05", longitude: "3.71" };
      await submit(k, api.tx.utility.batchAll([
        g.userAcceptTc(TERMS_LINK, TERMS_HASH),
        g.createTwin(null, null),
        g.createNode(farm, res, loc, [{ name: "zos", mac: "52:54:00:12:34:56", ips: ["10.0.2.15"] }], false, false, `SN-${i}`),
      ]));
      if (i % 500 === 499) await settle();
    }
    await settle();
    const nodeIds: number[] = [];
    const twinOf = (addr: string) => rc.chain.meta.decode("TfgridModule", "TwinIdByAccountID", rc.chain.state.get(rc.chain.meta.key("TfgridModule", "TwinIdByAccountID", addr))) as number | null;
    for (const k of nodeKeys) {
      const twin = twinOf(k.address);
      const id = twin === null ? null : rc.chain.meta.decode("TfgridModule", "NodeIdByTwinID", rc.chain.state.get(rc.chain.meta.key("TfgridModule", "NodeIdByTwinID", twin)));
      if (!id) throw new Error(`node account ${k.address} was not registered`);
      nodeIds.push(Number(id));
    }
    // the contracts
    const before = Number(rc.chain.meta.decode("SmartContractModule", "ContractID", rc.chain.state.get(rc.chain.meta.key("SmartContractModule", "ContractID"))) ?? 0);
    const calls = Array.from({ length: o.contracts }, (_, i) =>
      api.tx.smartContractModule.createNodeContract(
        nodeIds[i % nodeIds.length],
        randomBytes(16).toString("hex"),
        JSON.stringify({ version: 3, type: i % 2 ? "vm" : "zdb", name: `w${i}`, projectName: `p${i % 10}` }),
        0,
        null,
      )
    );
    for (let i = 0; i < calls.length; i += BATCH) {
      await submit(user, api.tx.utility.batchAll(calls.slice(i, i + BATCH)));
      await settle();
    }
    const after = Number(rc.chain.meta.decode("SmartContractModule", "ContractID", rc.chain.state.get(rc.chain.meta.key("SmartContractModule", "ContractID"))) ?? 0);
    if (after - before !== o.contracts) throw new Error(`created ${after - before} of ${o.contracts} contracts`);
    const contractIds = Array.from({ length: o.contracts }, (_, i) => before + 1 + i);
    return { nodeIds, userTwinId: Number(twinOf(user.address)), user, contractIds, farm2Id };
  } finally {
    await api.disconnect();
  }
}
