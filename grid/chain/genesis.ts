// Genesis of a new dev chain: funded dev accounts (fresh mnemonics, saved next to the chain state so
// they survive restarts) and one farm owned by the "farmer" account's twin.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady, mnemonicGenerate } from "@polkadot/util-crypto";
import { stringToHex, u8aToHex } from "@polkadot/util";
import type { Ctx } from "./runtime/context.ts";
import { putAccount, TFT } from "./runtime/balances.ts";
import { FARM_VERSION } from "./runtime/tfgrid.ts";
import { writeFileAtomic } from "./store.ts";

export interface DevAccount {
  name: string;
  mnemonic: string;
  address: string;
  type: "sr25519";
}

export const DEV_ACCOUNT_NAMES = ["alice", "bob", "charlie", "farmer"];
export const GENESIS_BALANCE = 1_000_000n * TFT;
export const GENESIS_FARM_NAME = "zt-dev-farm";
export const TERMS_LINK = "http://zos.tf/terms/v0.1";
export const TERMS_HASH = "9021d4dee05a661e2cb6838152c67f25";

/** Loads the dev accounts of `stateDir`, or makes new ones (saved there, mode 0600). */
export async function devAccounts(stateDir?: string): Promise<DevAccount[]> {
  await cryptoWaitReady();
  const file = stateDir ? join(stateDir, "dev-accounts.json") : null;
  if (stateDir) mkdirSync(stateDir, { recursive: true });
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  const accounts = DEV_ACCOUNT_NAMES.map((name) => {
    const mnemonic = mnemonicGenerate(12);
    return { name, mnemonic, address: keyring.addFromUri(mnemonic).address, type: "sr25519" as const };
  });
  if (file) writeFileAtomic(file, JSON.stringify(accounts, null, 2) + "\n", { mode: 0o600 });
  return accounts;
}

export function writeGenesis(ctx: Ctx, accounts: DevAccount[]): void {
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  let issuance = 0n;
  for (const a of accounts) {
    const who = u8aToHex(keyring.decodeAddress(a.address));
    putAccount(ctx, who, {
      nonce: 0,
      consumers: 0,
      providers: 1,
      sufficients: 0,
      data: { free: GENESIS_BALANCE, reserved: 0n, frozen: 0n, flags: 1n << 127n },
    });
    issuance += GENESIS_BALANCE;
  }
  ctx.put("Balances", "TotalIssuance", [], issuance.toString());
  const farmer = accounts.find((a) => a.name === "farmer") ?? accounts[0];
  const farmerHex = u8aToHex(keyring.decodeAddress(farmer.address));
  ctx.put("TfgridModule", "UsersTermsAndConditions", [farmerHex], [{
    accountId: farmerHex,
    timestamp: Math.floor(ctx.nowMs / 1000),
    documentLink: stringToHex(TERMS_LINK),
    documentHash: stringToHex(TERMS_HASH),
  }]);
  const twin = { id: 1, accountId: farmerHex, relay: null, entities: [], pk: null };
  ctx.put("TfgridModule", "TwinID", [], 1);
  ctx.put("TfgridModule", "Twins", [1], twin);
  ctx.put("TfgridModule", "TwinIdByAccountID", [farmerHex], 1);
  const farm = {
    version: FARM_VERSION,
    id: 1,
    name: stringToHex(GENESIS_FARM_NAME),
    twinId: 1,
    pricingPolicyId: 1,
    certification: "NotCertified",
    publicIps: [],
    dedicatedFarm: false,
    farmingPolicyLimits: null,
  };
  // pricing policy 1 and farming policy 1, with TFChain's dev-genesis values (clients compute costs
  // from the pricing policy; nodes get farming policy 1 on registration)
  const gb = (value: number) => ({ value, unit: "Gigabytes" });
  ctx.put("TfgridModule", "PricingPolicies", [1], {
    version: 1,
    id: 1,
    name: stringToHex("threefold_default_pricing_policy"),
    su: gb(50_000),
    cu: gb(100_000),
    nu: gb(15_000),
    ipu: gb(40_000),
    uniqueName: gb(2_500),
    domainName: gb(5_000),
    foundationAccount: farmerHex,
    certifiedSalesAccount: farmerHex,
    discountForDedicationNodes: 50,
  });
  ctx.put("TfgridModule", "PricingPolicyIdByName", [stringToHex("threefold_default_pricing_policy")], 1);
  ctx.put("TfgridModule", "PricingPolicyID", [], 1);
  ctx.put("TfgridModule", "FarmingPoliciesMap", [1], {
    version: 1,
    id: 1,
    name: stringToHex("default"),
    cu: 2_400,
    su: 1_000,
    nu: 30,
    ipv4: 5,
    minimalUptime: 95,
    policyCreated: 0,
    policyEnd: 0,
    immutable: false,
    default: true,
    nodeCertification: "Diy",
    farmCertification: "NotCertified",
  });
  ctx.put("TfgridModule", "FarmingPolicyID", [], 1);
  // TFT price in mUSD (0.01 USD), which clients use to convert contract costs
  ctx.put("TFTPriceModule", "TftPrice", [], 10);
  ctx.put("TFTPriceModule", "AverageTftPrice", [], 10);
  ctx.put("TFTPriceModule", "MinTftPrice", [], 10);
  ctx.put("TFTPriceModule", "MaxTftPrice", [], 1000);
  ctx.put("TfgridModule", "FarmID", [], 1);
  ctx.put("TfgridModule", "Farms", [1], farm);
  ctx.put("TfgridModule", "FarmIdByName", [stringToHex(GENESIS_FARM_NAME)], 1);
}
