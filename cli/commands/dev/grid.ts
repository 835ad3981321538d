// Everything `npm start` runs, in one process: the dev chain and relay (grid/), one node, and a funded
// dev user; then .zos-dev/endpoints.json. The end-to-end tests start the same thing.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ChainClient } from "../../../capabilities/chain/mod.ts";
import { signerFromMnemonic } from "../../../capabilities/rmb/signer.ts";
import { startChain } from "../../../grid/chain/mod.ts";
import { startRelay } from "../../../grid/relay/mod.ts";
import { devZdbListen, type RunningNode, startNode } from "../../../modules/node.ts";
import { startActivation } from "../../../grid/activation/mod.ts";
import { startGridServices } from "../../../grid/services.ts";
import { connectExplorerRmb } from "./explorer_rmb.ts";
import type { GridServices } from "../../../grid/services.ts";
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../../capabilities/lib/fs/atomic.ts";
import { type Endpoints, writeEndpoints } from "./endpoints.ts";
import { DevFaucet } from "./faucet.ts";
import { type DevUser, ensureDevUser } from "./user.ts";
import { startMoreNodes } from "./nodes.ts";
import { type AccessNode, setUpAccessNode } from "./access-node.ts";
import { type GatewayAccess, startGatewayAccess } from "./gateway-access.ts";
import { Gateway$Client } from "../../../capabilities/schema/gen/gateway.ts";
import { publicIpOf } from "./underlay.ts";

export interface DevGridOptions {
  stateDir: string;
  /** 0 = a block as soon as an extrinsic arrives */
  blockTimeMs?: number;
  chainPort?: number;
  relayPort?: number;
  /** the node's data disks (modules/node.ts NodeOptions.disks): loop devices under node/disks by default */
  disks?: { count?: number; hdd?: number; sizeGiB?: number } | "none";
  /** write endpoints.json (default true) */
  writeEndpoints?: boolean;
  log?: (line: string) => void;
  /** ports of the explorer (grid proxy API), the indexer (GraphQL) and the KYC service; default any free port */
  proxyPort?: number;
  graphqlPort?: number;
  kycPort?: number;
  /** called as each piece comes up: chain, services, relay, node, user */
  onPhase?: (phase: string, ms: number) => void;
  /** how many nodes (default 1): the others live in DIR/node2, DIR/node3 …, see dev/nodes.ts */
  nodes?: number;
  /**
   * the node (1-based) that gets the farmer's public config on chain on the private underlay (root only):
   * default 1 when several nodes run, none for a single node unless given; 0 = none
   */
  accessNode?: number;
  /** where the first node's gateway proxy listens: HOST:PORT and a pinned namespace ("-" = the kernel's) */
  gateway?: { listen: string; ns: string };
  /** how long the first node may take to register (default startNode's 120 s; a loaded CI host needs more) */
  registerTimeoutMs?: number;
}

/** The node, always under the capability kernel (modules/node.ts, manifests/node.json), as in the image. */
export interface NodeHandle {
  twinId: number;
  nodeId: number;
  /** true when this start created the node's seed (a new identity) */
  newIdentity: boolean;
  mode: "kernel";
  /** the kernel-hosted node itself: its kernel (pids, grants) and registration state, for tests and benchmarks */
  running: RunningNode;
  stop(): Promise<void>;
}

export interface DevGrid {
  chainUrl: string;
  relayUrl: string;
  proxyUrl: string;
  graphqlUrl: string;
  /** the KYC service (setStatus marks an account unverified for tests) */
  kyc: GridServices["kyc"];
  node: NodeHandle;
  user: DevUser;
  farmId: number;
  endpoints: Endpoints;
  endpointsFile: string | null;

  /** every node, the first included (its public IP on the dev underlay when root) */
  nodes: { node_id: number; twin_id: number; public_ip: string | null }[];
  /** the access node's public config and the farm's public IPs (root, underlay), else null */
  accessNode: AccessNode | null;
  /** the underlay's namespace (nsenter --net=… reaches the nodes' public addresses), else null */
  lanNetns: string | null;
  /** the access node's gateway :443 as this host reaches it (root, access node), else null */
  gateway: GatewayAccess | null;
  /** dev accounts of the chain (name → mnemonic), e.g. for tests that need a second user */
  devAccounts: { name: string; mnemonic: string }[];
  stop(): Promise<void>;
}

export const DEV_FARM_ID = 1; // created at genesis by grid/chain

/** Ports of the last start, so a second start gives the same URLs (and nothing to update on chain). */
function lastPorts(stateDir: string): { chain?: number; relay?: number; gateway?: number } {
  try {
    const v = JSON.parse(readFileSync(join(stateDir, "ports.json"), "utf8"));
    const ok = (n: unknown) => (Number.isInteger(n) && (n as number) > 0 && (n as number) < 65536 ? (n as number) : undefined);
    return { chain: ok(v.chain), relay: ok(v.relay), gateway: ok(v.gateway) };
  } catch {
    return {};
  }
}

/** Runs `start(port)`; when a remembered port is taken now, falls back to any free port. */
async function onPort<T>(remembered: number | undefined, explicit: number | undefined, start: (port?: number) => Promise<T>): Promise<T> {
  if (explicit !== undefined || remembered === undefined) return await start(explicit);
  try {
    return await start(remembered);
  } catch (err) {
    if (!/EADDRINUSE|address already in use|in use/i.test(String((err as Error)?.message ?? err))) throw err;
    return await start(undefined);
  }
}

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
    const remembered = lastPorts(o.stateDir);
    const chain = await onPort(remembered.chain, o.chainPort, (port) =>
      startChain({
        // the same folder `zos grid up` uses, so either command finds the other's chain
        stateDir: join(o.stateDir, "grid"),
        blockTimeMs: o.blockTimeMs ?? 1000,
        port,
        log: (l) => log(`[chain] ${l}`),
      }));
    stops.push(() => chain.stop());
    phase("chain");
    const gridDir = join(o.stateDir, "grid");
    const services = await startGridServices({
      chain: chain.chain,
      stateDir: gridDir,
      proxyPort: o.proxyPort,
      graphqlPort: o.graphqlPort,
      kycPort: o.kycPort,
      log: (l) => log(`[explorer] ${l}`),
    });
    stops.push(() => services.stop());
    phase("services");
    const relay = await onPort(remembered.relay, o.relayPort, (port) =>
      startRelay({
        chainUrl: chain.url,
        port,
        stateDir: join(o.stateDir, "grid", "relay"),
        log: (l) => log(`[relay] ${l}`),
      }));
    writeFileAtomic(
      join(o.stateDir, "ports.json"),
      JSON.stringify({ chain: Number(new URL(chain.url).port), relay: Number(new URL(relay.url).port) }) + "\n",
      { mkdirMode: 0o700 },
    );
    stops.push(() => relay.stop());
    phase("relay");
    const faucetAccount = chain.devAccounts.find((a) => a.name === "alice") ?? chain.devAccounts[0];
    const faucetSigner = await signerFromMnemonic(faucetAccount.mnemonic, "sr25519");
    // The seed lives at node/identity/seed.txt (the identity driver's file), so a second start keeps the node.
    const nodeDir = join(o.stateDir, "node");
    const count = Math.max(1, o.nodes ?? 1);
    const accessIndex = (o.accessNode ?? (count > 1 ? 1 : 0)) - 1;
    if (accessIndex >= count) throw new Error(`--access-node ${accessIndex + 1} names no node (there are ${count})`);
    const more = await startMoreNodes(o.stateDir, count, { chainUrl: chain.url, relayUrl: relay.url, farmId: DEV_FARM_ID, faucetMnemonic: faucetAccount.mnemonic, hubUrl: services.hub.url, log }, stops, accessIndex);
    const fresh = !existsSync(join(nodeDir, "identity", "seed.txt"));
    const n = await startNode({
      stateDir: nodeDir,
      zdbListen: await devZdbListen(),
      hubUrl: services.hub.url,
      chainUrl: chain.url,
      relayUrl: relay.url,
      farmId: DEV_FARM_ID,
      faucetMnemonic: faucetAccount.mnemonic,
      onEvent: (e) => log(`[kernel] ${JSON.stringify(e)}`),
      disks: o.disks,
      gatewayListen: (o.gateway ?? more.gatewayOf(0))?.listen,
      gatewayNs: (o.gateway ?? more.gatewayOf(0))?.ns,
      registerTimeoutMs: o.registerTimeoutMs,
    });
    const node: NodeHandle = { twinId: n.twinId, nodeId: n.nodeId, newIdentity: fresh, mode: "kernel", running: n, stop: () => n.stop() };
    stops.push(() => node.stop());
    const others = await more.startOthers();
    const nodes = [{ node_id: node.nodeId, twin_id: node.twinId, public_ip: more.publicIp(0) }, ...others];
    phase("node");
    const client = await ChainClient.connect({ urls: [chain.url] });
    let user: DevUser;
    let accessNode: AccessNode | null = null;
    let gateway: GatewayAccess | null = null;
    try {
      // the farmer's part (signed by the farm's twin, before the explorer's setup uses that account)
      if (accessIndex >= 0 && more.lanNetns) {
        const farmer = chain.devAccounts.find((a) => a.name === "farmer") ?? chain.devAccounts[3];
        accessNode = await setUpAccessNode(client, {
          farmId: DEV_FARM_ID, nodeId: nodes[accessIndex].node_id, index: accessIndex, nodeDir: more.dirs[accessIndex], farmerMnemonic: farmer.mnemonic,
        });
        phase("access-node");
      }
      if (accessNode && more.lanNetns && more.gatewayOf(accessIndex)) {
        const gw = await startGatewayAccess({
          stateDir: o.stateDir, nodeDir: more.dirs[accessIndex], lanNetns: more.lanNetns, publicIp: publicIpOf(accessIndex),
          domain: accessNode.domain, port: remembered.gateway, log,
          gatewayCa: async () => {
            // the kernel's own read-only reference: the first use starts the on-demand gateway
            const kernel = accessIndex === 0 ? n.kernel : more.kernelOf(accessIndex);
            if (!kernel) throw new Error(`the access node ${accessIndex + 1} is not running`);
            const cap = await kernel.kernelGrant("gateway", "gateway", { readOnly: true });
            try {
              return JSON.parse((await new Gateway$Client(cap).info().promise()).json).ca as string;
            } finally {
              cap.close();
            }
          },
        });
        stops.push(gw.stop);
        gateway = gw.access;
        writeFileAtomic(join(o.stateDir, "ports.json"), JSON.stringify({ ...JSON.parse(readFileSync(join(o.stateDir, "ports.json"), "utf8")), gateway: gw.access.host_port }) + "\n");
        phase("gateway");
      }
      user = await ensureDevUser(o.stateDir, client, new DevFaucet(client, faucetSigner), relay.url);
    } finally {
      await client.close();
    }
    phase("user");
    // the explorer asks nodes over RMB (features, health, statistics) with a twin of its own; set up in
    // the background so it does not delay readiness (the explorer shows empty node facts until then)
    let stopped = false;
    // funded by the farmer dev account, which nothing else in `npm start` signs with (no nonce races)
    const explorerFunder = chain.devAccounts.find((a) => a.name === "farmer") ?? chain.devAccounts[3];
    const explorerRmb = (async () => {
      const c = await ChainClient.connect({ urls: [chain.url] });
      try {
        const funderSigner = await signerFromMnemonic(explorerFunder.mnemonic, "sr25519");
        const rmb = await connectExplorerRmb(gridDir, chain.url, relay.url, c, new DevFaucet(c, funderSigner));
        if (stopped) await rmb.close();
        else services.setAsk(rmb.ask);
        return rmb;
      } finally {
        await c.close();
      }
    })().catch((e) => {
      if (!stopped) log(`[explorer] no RMB session: ${(e as Error).message}`);
      return null;
    });
    stops.push(async () => {
      stopped = true;
      // a setup still under way closes itself when it ends; do not wait for it here
      const done = await Promise.race([explorerRmb, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
      await done?.close();
    });
    const funder = chain.devAccounts.find((a) => a.name === "bob") ?? chain.devAccounts[1];
    const activation = await startActivation({ chainUrl: chain.url, funderMnemonic: funder.mnemonic });
    stops.push(() => activation.stop());
    await services.synced();
    await services.guests;
    const endpoints: Endpoints = {
      chain_url: chain.url,
      relay_url: relay.url,
      node_twin_id: node.twinId,
      node_id: node.nodeId,
      farm_id: DEV_FARM_ID,
      user_mnemonic: user.mnemonic,
      user_twin_id: user.twinId,
      user_key_type: user.keyType,
      network: "dev",
      proxy_url: services.proxyUrl,
      graphql_url: services.graphqlUrl,
      activation_url: activation.url,
      kyc_url: services.kyc.url,
      hub_url: services.hub.url,
      flists: services.hub.flists(),
      client_env: services.clientEnv,
      ...(count > 1 ? { nodes } : {}), // "nodes" once several nodes run (DESIGN: stable interfaces)
      ...(accessNode ? { access_node: accessNode } : {}),
      ...(more.lanNetns ? { lan_netns: more.lanNetns } : {}),
      ...(gateway ? { gateway_url: gateway.url, gateway } : {}),
    };
    const endpointsFile = o.writeEndpoints === false ? null : writeEndpoints(o.stateDir, endpoints);
    return {
      chainUrl: chain.url,
      relayUrl: relay.url,
      proxyUrl: services.proxyUrl,
      graphqlUrl: services.graphqlUrl,
      kyc: services.kyc,
      node,
      user,
      farmId: DEV_FARM_ID,
      endpoints,
      endpointsFile,
      nodes,
      accessNode,
      lanNetns: more.lanNetns,
      gateway,
      devAccounts: chain.devAccounts.map((a) => ({ name: a.name, mnemonic: a.mnemonic })),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
