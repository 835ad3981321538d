// The dev grid's activation service: on the dev chain, accounts are funded by a transfer from the dev
// faucet account (a genesis-funded dev account), which is what the activator does on real grids.
import type { ChainClient, ChainSubmitter, Signer } from "../../../capabilities/chain/mod.ts";
import type { Activator } from "../../../modules/registrar/ports.ts";

/** 10 TFT (7 decimals): plenty of fees for registration, uptime reports and a few contracts. */
export const FAUCET_AMOUNT = 10n * 10_000_000n;

export class DevFaucet implements Activator {
  // the submitter queues transfers, so the faucet's nonces never race
  #submitter: ChainSubmitter;
  #amount: bigint;

  constructor(client: ChainClient, faucet: Signer, amount = FAUCET_AMOUNT) {
    this.#submitter = client.submitter(faucet);
    this.#amount = amount;
  }

  get address(): string {
    return this.#submitter.address;
  }

  async activate(address: string, amount = this.#amount): Promise<void> {
    await this.#submitter.submit("balances", "transferKeepAlive", address, amount);
  }
}
