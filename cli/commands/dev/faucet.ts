// The dev grid's activation service: on the dev chain, accounts are funded by a transfer from the dev
// faucet account (a genesis-funded dev account), which is what the activator does on real grids.
import type { ApiPromise } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import type { Activator } from "../../../modules/registrar/ports.ts";
import { submitTx } from "../client/chain_tx.ts";

/** 10 TFT (7 decimals): plenty of fees for registration, uptime reports and a few contracts. */
export const FAUCET_AMOUNT = 10n * 10_000_000n;

export class DevFaucet implements Activator {
  #api: ApiPromise;
  #mnemonic: string;
  #amount: bigint;
  // one transfer at a time: the faucet's nonce must not be raced
  #queue: Promise<unknown> = Promise.resolve();

  constructor(api: ApiPromise, faucetMnemonic: string, amount = FAUCET_AMOUNT) {
    this.#api = api;
    this.#mnemonic = faucetMnemonic;
    this.#amount = amount;
  }

  activate(address: string): Promise<void> {
    const run = async () => {
      const pair = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri(this.#mnemonic);
      await submitTx(this.#api, this.#api.tx.balances.transferKeepAlive(address, this.#amount), pair);
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }
}
