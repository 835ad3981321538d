// Host-side probes of a booted node: is it on the dev chain (twin + node of a farm), and does it answer
// over the relay? The RMB call goes through the official @threefold/rmb_direct_client (via grid_client's
// RMB wrapper), as a grid user would make it.
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { ChainClient } from "../../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../../capabilities/rmb/signer.ts";
import { OfficialClient } from "../../capabilities/rmb/official-sdk.test-helper.ts";
import { DevFaucet } from "../../cli/commands/dev/faucet.ts";
import { ensureDevUser } from "../../cli/commands/dev/user.ts";

const require = createRequire(import.meta.url);
const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
// by file path: the package's "exports" hide it
// deno-lint-ignore no-explicit-any
const { RMB }: any = require(join(root, "node_modules/@threefold/grid_client/dist/node/clients/rmb/client.js"));

export interface NodeOnChain {
  nodeId: number;
  twinId: number;
  farmId: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nodes of `farmId` on the chain, by scanning ids upwards from 1 until the first gap (dev chains start empty). */
export async function nodesOfFarm(client: ChainClient, farmId: number): Promise<NodeOnChain[]> {
  const out: NodeOnChain[] = [];
  for (let id = 1; id < 1000; id++) {
    const n = await client.read.node(id);
    if (!n) break;
    if (Number(n.farmId) === farmId) out.push({ nodeId: id, twinId: Number(n.twinId), farmId });
  }
  return out;
}

/** Waits until a node of `farmId` and its twin are on chain. */
export async function waitForNodeOnChain(client: ChainClient, farmId: number, timeoutMs: number): Promise<NodeOnChain> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [n] = await nodesOfFarm(client, farmId);
    if (n && (await client.read.twin(n.twinId))) return n;
    if (Date.now() > deadline) throw new Error(`no node of farm ${farmId} (with its twin) appeared on the dev chain within ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
}

export interface RmbUser {
  /** the user's BIP39 mnemonic (a dev user with a twin on the chain), for our own client */
  mnemonic: string;
  /** one RMB request to a twin; resolves with the decoded answer, rejects with the node's error */
  call(twinId: number, command: string, payload?: unknown, timeoutS?: number): Promise<unknown>;
  close(): Promise<void>;
}

/** A funded grid user with a twin (from `funderMnemonic`), talking through the official client. */
export async function rmbUser(chainUrl: string, relayUrl: string, funderMnemonic: string, client: ChainClient): Promise<RmbUser> {
  const dir = mkdtempSync(join(tmpdir(), "zt-vm-user-"));
  try {
    const faucet = new DevFaucet(client, await signerFromMnemonic(funderMnemonic, "sr25519"));
    const u = await ensureDevUser(dir, client, faucet, relayUrl);
    const official = new OfficialClient(chainUrl, relayUrl, u.mnemonic, randomBytes(5).toString("hex"), "sr25519", 3);
    await official.connect();
    const rmb = new RMB(official);
    return {
      mnemonic: u.mnemonic,
      call: (twinId, command, payload, timeoutS = 30) =>
        rmb.request([twinId], command, payload === undefined ? "" : JSON.stringify(payload), timeoutS),
      close: async () => {
        await official.disconnect().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Retries a call until it answers (the node's rmb and api processes may still be connecting). */
export async function callUntilAnswer(user: RmbUser, twinId: number, command: string, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      return await user.call(twinId, command, undefined, 20);
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`twin ${twinId} did not answer ${command} within ${timeoutMs / 1000} s: ${last}`);
    await sleep(1000);
  }
}
