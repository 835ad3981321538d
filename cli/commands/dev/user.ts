// The funded dev user `npm start` hands out: a mnemonic kept in the state dir (so a second start gives
// the same user), an account funded from the faucet, T&C accepted and a twin whose relay and e2e pk
// are set, so both `zos client` and the official @threefold clients can use it at once.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mnemonicGenerate } from "@polkadot/util-crypto";
import type { ChainClient } from "../../../capabilities/chain/mod.ts";
import { e2eKeyFromSecret } from "../../../capabilities/rmb/e2e.ts";
import { cryptoReady, miniSecretFromMnemonic, signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { MIN_BALANCE, TERMS_HASH, TERMS_LINK } from "../../../modules/registrar/mod.ts";
import { writeFileAtomic } from "../../../capabilities/lib/fs/atomic.ts";
import type { DevFaucet } from "./faucet.ts";

export interface DevUser {
  mnemonic: string;
  keyType: "sr25519";
  address: string;
  twinId: number;
}

/** The relay field the official TS client computes for a ws:// URL (RMB-LOCAL-TEST.md): pre-set so it
 * does not try to "fix" the twin on connect. */
export function officialRelayField(relayUrl: string): string {
  return relayUrl.replace("wss://", "").replace("/", "");
}

export async function ensureDevUser(stateDir: string, client: ChainClient, faucet: DevFaucet, relayUrl: string): Promise<DevUser> {
  await cryptoReady();
  const file = join(stateDir, "user.json");
  let mnemonic: string;
  if (existsSync(file)) {
    mnemonic = (JSON.parse(readFileSync(file, "utf8")) as { mnemonic: string }).mnemonic;
  } else {
    mnemonic = mnemonicGenerate(12);
    writeFileAtomic(file, JSON.stringify({ mnemonic, key_type: "sr25519" }, null, 2) + "\n", { mode: 0o600, mkdirMode: 0o700 });
  }
  const signer = await signerFromMnemonic(mnemonic, "sr25519");
  const submitter = client.submitter(signer);
  const address = submitter.address;
  if ((await client.read.balance(address)).free <= MIN_BALANCE) await faucet.activate(address, 1000n * 10_000_000n);
  const relay = officialRelayField(relayUrl);
  const pk = "0x" + Buffer.from(e2eKeyFromSecret(miniSecretFromMnemonic(mnemonic)).publicKey).toString("hex");
  let twinId = await client.read.twinIdByAccount(address);
  if (!twinId) {
    await submitter.submit("tfgridModule", "userAcceptTc", TERMS_LINK, TERMS_HASH);
    await submitter.submit("tfgridModule", "createTwin", relay, pk);
    twinId = await client.read.twinIdByAccount(address);
    if (!twinId) throw new Error(`the dev user's twin was not created (account ${address})`);
  } else {
    const t = await client.read.twin(twinId);
    const current = t?.relay ?? null;
    if (current !== relay || String(t?.pk ?? "").toLowerCase() !== pk) {
      await submitter.submit("tfgridModule", "updateTwin", relay, pk);
    }
  }
  return { mnemonic, keyType: "sr25519", address, twinId: Number(twinId) };
}
