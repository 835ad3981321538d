// The explorer's own RMB identity on the dev grid: a funded twin kept in the grid's state folder
// (grid/explorer/user.json), and an RMB peer on it through which the explorer asks nodes for their
// features, health and statistics, as the real grid proxy does.
import { join } from "node:path";
import type { ChainClient } from "../../../capabilities/chain/mod.ts";
import { ChainTwins } from "../../../capabilities/rmb/chain-twins.ts";
import { e2eKeyFromSecret } from "../../../capabilities/rmb/e2e.ts";
import { RmbPeer } from "../../../capabilities/rmb/peer.ts";
import { miniSecretFromMnemonic, signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { CachedTwins } from "../../../capabilities/rmb/twins.ts";
import type { NodeAsk } from "../../../grid/explorer/node-info.ts";
import type { DevFaucet } from "./faucet.ts";
import { ensureDevUser } from "./user.ts";

export interface ExplorerRmb {
  twinId: number;
  ask: NodeAsk;
  close(): Promise<void>;
}

export async function connectExplorerRmb(gridStateDir: string, chainUrl: string, relayUrl: string, client: ChainClient, faucet: DevFaucet): Promise<ExplorerRmb> {
  const me = await ensureDevUser(join(gridStateDir, "explorer"), client, faucet, relayUrl);
  const twinsReader = await ChainTwins.connect(chainUrl);
  const peer = new RmbPeer({
    relayUrls: [relayUrl],
    twinId: me.twinId,
    signer: await signerFromMnemonic(me.mnemonic, "sr25519"),
    twins: new CachedTwins(twinsReader, { ttlMs: 60_000 }),
    e2e: e2eKeyFromSecret(miniSecretFromMnemonic(me.mnemonic)),
    session: "explorer",
  });
  try {
    await peer.start(15_000);
  } catch (e) {
    await peer.close().catch(() => {});
    await twinsReader.close().catch(() => {});
    throw e;
  }
  return {
    twinId: me.twinId,
    ask: (twin, command, payload, timeoutMs) => peer.request(twin, command, payload, { timeoutMs }),
    close: async () => {
      await peer.close().catch(() => {});
      await twinsReader.close().catch(() => {});
    },
  };
}
