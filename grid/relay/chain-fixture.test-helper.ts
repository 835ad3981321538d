// Test fixture: the real dev chain (grid/chain) plus helpers to fund accounts and create twins on it
// with ordinary signed extrinsics, the way a user or a node would.
import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import { cryptoReady } from "../../capabilities/rmb/signer.ts";

export interface DevGrid {
  chainUrl: string;
  api: ApiPromise;
  faucet: KeyringPair;
  stop(): Promise<void>;
}

// deno-lint-ignore no-explicit-any
type Any = any;

/** Starts the dev chain in-process and connects @polkadot/api to it. */
export async function startDevGrid(): Promise<DevGrid> {
  const chainMod: Any = await import("../chain/mod.ts");
  const chain = await chainMod.startChain({ host: "127.0.0.1", port: 0, blockTimeMs: 100 });
  try {
    await cryptoReady();
    const api = await ApiPromise.create({
      provider: new WsProvider(chain.url),
      noInitWarn: true,
      throwOnConnect: true,
    });
    return {
      chainUrl: chain.url,
      api,
      faucet: faucetOf(chain.devAccounts),
      async stop() {
        await api.disconnect().catch(() => {});
        await chain.stop();
      },
    };
  } catch (err) {
    await chain.stop();
    throw err;
  }
}

function faucetOf(devAccounts: Any): KeyringPair {
  const keyring = new Keyring({ type: "sr25519" });
  const list: Any[] = Array.isArray(devAccounts) ? devAccounts : Object.values(devAccounts ?? {});
  const first = list.find((a) => a && (a.mnemonic || a.uri || a.seed || a.suri)) ?? list[0];
  const secret = typeof first === "string"
    ? first
    : first?.mnemonic ?? first?.uri ?? first?.suri ?? first?.seed;
  return keyring.addFromUri(secret ?? "//Alice");
}

/** Submits and waits until the extrinsic is in a block; throws the module error by name if it failed. */
export function submit(
  api: ApiPromise,
  tx: SubmittableExtrinsic<"promise">,
  who: KeyringPair,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let unsub: (() => void) | undefined;
    const timer = setTimeout(
      () => reject(new Error(`${tx.method.section}.${tx.method.method} not included in 20 s`)),
      20_000,
    );
    tx.signAndSend(who, ({ status, dispatchError }) => {
      if (!status.isInBlock && !status.isFinalized) return;
      clearTimeout(timer);
      unsub?.();
      if (dispatchError) {
        if (dispatchError.isModule) {
          const d = api.registry.findMetaError(dispatchError.asModule);
          reject(new Error(`${tx.method.section}.${tx.method.method} failed: ${d.section}.${d.name}`));
        } else {reject(
            new Error(`${tx.method.section}.${tx.method.method} failed: ${dispatchError.toString()}`),
          );}
      } else resolve();
    }).then((u) => unsub = u, (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Funds `who`, accepts the T&C and creates its twin; returns the twin id. */
export async function createTwin(
  grid: DevGrid,
  who: KeyringPair,
  relay: string,
  pk: Uint8Array | null,
): Promise<number> {
  const { api } = grid;
  const tx = api.tx as Any;
  const transfer = tx.balances.transferKeepAlive ?? tx.balances.transfer;
  await submit(api, transfer(who.address, 1_000n * 10_000_000n), grid.faucet);
  await submit(api, tx.tfgridModule.userAcceptTc("https://example.com/tc.pdf", "0123456789abcdef"), who);
  await submit(
    api,
    tx.tfgridModule.createTwin(relay, pk ? "0x" + Buffer.from(pk).toString("hex") : null),
    who,
  );
  const id = await (api.query as Any).tfgridModule.twinIdByAccountID(who.address);
  const n = Number(id.toString());
  if (!n) throw new Error(`twin of ${who.address} not found after create_twin`);
  return n;
}
