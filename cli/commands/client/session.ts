// A grid user's session for `zos client`: a chain connection with the user's key (for contracts) and
// an RMB peer on its own random session (for talking to the node), both from one mnemonic.
import { randomBytes } from "node:crypto";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { ChainTwins } from "../../../capabilities/rmb/chain-twins.ts";
import { e2eKeyFromSecret } from "../../../capabilities/rmb/e2e.ts";
import { RmbPeer } from "../../../capabilities/rmb/peer.ts";
import { cryptoReady, type KeyType, miniSecretFromMnemonic, type Signer, signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { CachedTwins } from "../../../capabilities/rmb/twins.ts";

export interface ClientTarget {
  chainUrl: string;
  relayUrl: string;
  mnemonic: string;
  keyType: KeyType;
  /** node id on chain; its twin is read from TfgridModule.Nodes */
  nodeId: number;
}

export interface UserSession {
  api: ApiPromise;
  pair: KeyringPair;
  signer: Signer;
  twinId: number;
  nodeId: number;
  nodeTwinId: number;
  peer: RmbPeer;
  close(): Promise<void>;
}

export class SessionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionError";
  }
}

async function connectChain(url: string, timeoutMs: number): Promise<ApiPromise> {
  const provider = new WsProvider(url, false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error("timeout")), timeoutMs)));
  try {
    await Promise.race([provider.connect(), deadline]);
    return await Promise.race([ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true }), deadline]);
  } catch (err) {
    await provider.disconnect().catch(() => {});
    throw new SessionError(`cannot reach the chain at ${url} (${(err as Error).message}): is \`npm start\` running?`);
  } finally {
    clearTimeout(timer);
  }
}

export async function openSession(t: ClientTarget, timeoutMs = 15_000): Promise<UserSession> {
  await cryptoReady();
  let pair: KeyringPair;
  let signer: Signer;
  let secret: Uint8Array;
  try {
    pair = new Keyring({ type: t.keyType, ss58Format: 42 }).addFromUri(t.mnemonic);
    signer = await signerFromMnemonic(t.mnemonic, t.keyType);
    secret = miniSecretFromMnemonic(t.mnemonic);
  } catch (err) {
    throw new SessionError(`the mnemonic is not a valid BIP39 phrase (${(err as Error).message})`);
  }
  const api = await connectChain(t.chainUrl, timeoutMs);
  let peer: RmbPeer | null = null;
  try {
    const q = api.query.tfgridModule;
    const twinOpt = (await q.twinIdByAccountID(pair.address)).toJSON() as number | null;
    if (!twinOpt) {
      throw new SessionError(`account ${pair.address} has no twin on ${t.chainUrl}: create one (the dev user of endpoints.json has one)`);
    }
    const node = (await q.nodes(t.nodeId)).toJSON() as { twinId?: number } | null;
    if (!node || !node.twinId) throw new SessionError(`node ${t.nodeId} does not exist on ${t.chainUrl}`);
    const twins = new CachedTwins(ChainTwins.fromApi(api), { ttlMs: 60_000 });
    peer = new RmbPeer({
      relayUrls: [t.relayUrl],
      twinId: twinOpt,
      signer,
      twins,
      e2e: e2eKeyFromSecret(secret),
      session: randomBytes(8).toString("hex"),
    });
    try {
      await peer.start(timeoutMs);
    } catch (err) {
      throw new SessionError(`cannot connect to the relay ${t.relayUrl}: ${(err as Error).message}`);
    }
    const p = peer;
    return {
      api, pair, signer, twinId: twinOpt, nodeId: t.nodeId, nodeTwinId: node.twinId, peer: p,
      async close() {
        await p.close().catch(() => {});
        await api.disconnect().catch(() => {});
      },
    };
  } catch (err) {
    await peer?.close().catch(() => {});
    await api.disconnect().catch(() => {});
    throw err;
  }
}
