// Everything `npm start` runs, in one process: the dev chain and relay (grid/), one node, and a funded
// dev user; then .zos-dev/endpoints.json. The end-to-end tests start the same thing.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ChainClient } from "../../../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { startChain } from "../../../grid/chain/mod.ts";
import { startRelay } from "../../../grid/relay/mod.ts";
import type { WorkloadManager } from "../../../modules/provision/mod.ts";
import { startKernel } from "../../../kernel/mod.ts";
import { type Endpoints, writeEndpoints } from "./endpoints.ts";
import { DevFaucet } from "./faucet.ts";
import { type DevNode, startDevNode } from "./node.ts";
import { type DevUser, ensureDevUser } from "./user.ts";

export interface DevGridOptions {
  stateDir: string;
  /** 0 = a block as soon as an extrinsic arrives */
  blockTimeMs?: number;
  chainPort?: number;
  relayPort?: number;
  managers?: ReadonlyMap<string, WorkloadManager>;
  /** also run the capability kernel with this manifest (its processes on the host); null = no kernel */
  kernelManifest?: string | null;
  /** write endpoints.json (default true) */
  writeEndpoints?: boolean;
  log?: (line: string) => void;
  /** called as each piece comes up: chain, relay, node, user */
  onPhase?: (phase: string, ms: number) => void;
}

export interface DevGrid {
  chainUrl: string;
  relayUrl: string;
  node: DevNode;
  user: DevUser;
  farmId: number;
  endpoints: Endpoints;
  endpointsFile: string | null;
  /** processes the kernel runs (empty without a kernel) */
  kernelProcesses: string[];
  /** dev accounts of the chain (name → mnemonic), e.g. for tests that need a second user */
  devAccounts: { name: string; mnemonic: string }[];
  stop(): Promise<void>;
}

export const DEV_FARM_ID = 1; // created at genesis by grid/chain

export async function startDevGrid(o: DevGridOptions): Promise<DevGrid> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const phase = (p: string) => o.onPhase?.(p, performance.now() - t0);
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch((e) => log(`stop: ${(e as Error).message}`));
  };
  try {
    const chain = await startChain({
      // the same folder `zos grid up` uses, so either command finds the other's chain
      stateDir: join(o.stateDir, "grid"),
      blockTimeMs: o.blockTimeMs ?? 1000,
      port: o.chainPort,
      log: (l) => log(`[chain] ${l}`),
    });
    stops.push(() => chain.stop());
    phase("chain");
    const relay = await startRelay({
      chainUrl: chain.url,
      port: o.relayPort,
      stateDir: join(o.stateDir, "grid", "relay"),
      log: (l) => log(`[relay] ${l}`),
    });
    stops.push(() => relay.stop());
    phase("relay");
    const faucetAccount = chain.devAccounts.find((a) => a.name === "alice") ?? chain.devAccounts[0];
    const faucetSigner = await signerFromMnemonic(faucetAccount.mnemonic, "sr25519");
    const node = await startDevNode({
      stateDir: join(o.stateDir, "node"),
      chainUrl: chain.url,
      relayUrl: relay.url,
      farmId: DEV_FARM_ID,
      faucet: faucetSigner,
      managers: o.managers,
      log: (l) => log(`[node] ${l}`),
    });
    stops.push(() => node.stop());
    phase("node");
    const client = await ChainClient.connect({ urls: [chain.url] });
    let user: DevUser;
    try {
      user = await ensureDevUser(o.stateDir, client, new DevFaucet(client, faucetSigner), relay.url);
    } finally {
      await client.close();
    }
    phase("user");
    let kernelProcesses: string[] = [];
    if (o.kernelManifest) {
      // The kernel runs the drivers its manifest lists (today kv, log, clock); the node's chain,
      // identity, rmb, registrar, provision and api pieces run in this process until the manifest
      // grants them (see docs/operator-guide.md).
      const k = await startKernel({
        manifest: o.kernelManifest,
        stateDir: join(o.stateDir, "kernel"),
        onEvent: (e) => log(`[kernel] ${JSON.stringify(e)}`),
      });
      stops.push(() => k.stop());
      if (k.notReady.length) throw new Error(`kernel processes not ready: ${k.notReady.join(", ")}`);
      kernelProcesses = k.kernel.manifest.processes.map((p) => p.name);
      phase("kernel");
    }
    const endpoints: Endpoints = {
      chain_url: chain.url,
      relay_url: relay.url,
      node_twin_id: node.twinId,
      node_id: node.nodeId,
      farm_id: DEV_FARM_ID,
      user_mnemonic: user.mnemonic,
      user_twin_id: user.twinId,
      user_key_type: user.keyType,
    };
    const endpointsFile = o.writeEndpoints === false ? null : writeEndpoints(o.stateDir, endpoints);
    return {
      chainUrl: chain.url,
      relayUrl: relay.url,
      node,
      user,
      farmId: DEV_FARM_ID,
      endpoints,
      endpointsFile,
      kernelProcesses,
      devAccounts: chain.devAccounts.map((a) => ({ name: a.name, mnemonic: a.mnemonic })),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
