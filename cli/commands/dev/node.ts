// One node, in-process, on this host: identity (seed in the state dir), chain driver, registrar, RMB
// peer, provision engine and the zos.* api. `zos dev` and the end-to-end tests start it; in the image
// the same pieces run as separate kernel processes (see docs/operator-guide.md for the difference).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ChainClient, NODE_CHAIN_CALLS } from "../../../capabilities/chain/mod.ts";
import { NodeIdentity, type RmbSigner } from "../../../capabilities/identity/mod.ts";
import { ChainTwins } from "../../../capabilities/rmb/chain-twins.ts";
import { e2eKeyFromSecret, type E2eKey } from "../../../capabilities/rmb/e2e.ts";
import { RmbPeer } from "../../../capabilities/rmb/peer.ts";
import { CachedTwins } from "../../../capabilities/rmb/twins.ts";
import type { Signer } from "../../../capabilities/chain/mod.ts";
import { ApiError, createRouter, gridtypesCodec, serveApi } from "../../../modules/api/mod.ts";
import type { ApiRouter } from "../../../modules/api/mod.ts";
import { Engine, FileStore } from "../../../modules/provision/mod.ts";
import type { ContractChecker, WorkloadManager } from "../../../modules/provision/mod.ts";
import { Registrar, type RegistrationState } from "../../../modules/registrar/mod.ts";
import type { BackoffPolicy } from "../../../modules/registrar/mod.ts";
import { DriverContractReader } from "./contract_reader.ts";
import { enginePort } from "./engine_port.ts";
import { DevFaucet } from "./faucet.ts";
import { devHostFacts } from "./host_facts.ts";
import { hostCapacitySource, hostSystemInfo } from "./node_system.ts";
import { allInterfaces, hasPublicIpv6, zosInterfaces } from "../../../capabilities/hostfacts/lib/mod.ts";
import { DriverRegistrarChain } from "./registrar_chain.ts";

export interface DevNodeOptions {
  /** the node's own state: seed, deployments */
  stateDir: string;
  chainUrl: string;
  relayUrl: string;
  farmId: number;
  /** signer of the genesis-funded account that activates (funds) the node account */
  faucet: Signer;
  managers?: ReadonlyMap<string, WorkloadManager>;
  backoff?: BackoffPolicy;
  uptimeIntervalMs?: number;
  /** how long start() waits for registration (default 120 s) */
  registerTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface DevNode {
  twinId: number;
  nodeId: number;
  address: string;
  /** true when this start created the seed (a new node identity) */
  newIdentity: boolean;
  registration(): RegistrationState;
  router: ApiRouter;
  peer: RmbPeer;
  engine: Engine;
  stop(): Promise<void>;
}

/** The node's RMB e2e (secp256k1) secret, derived from the node key inside the identity (rmb-signer.ts).
 * Zero-OS derives it from the seed directly; any stable secret works since clients take the public key
 * from the twin's `pk`. */
async function e2eFromIdentity(signer: RmbSigner): Promise<E2eKey> {
  return e2eKeyFromSecret(await signer.e2eSecret());
}

function relayHost(url: string): string {
  return new URL(url).host;
}

class ChainContractChecker implements ContractChecker {
  #client: ChainClient;
  #reader: DriverContractReader;
  #nodeId: () => number | undefined;
  constructor(client: ChainClient, nodeId: () => number | undefined) {
    this.#client = client;
    this.#reader = new DriverContractReader(client);
    this.#nodeId = nodeId;
  }
  async check(contractId: bigint, hash: string): Promise<{ rented: boolean }> {
    const node = this.#nodeId();
    if (node === undefined) throw new Error("node is not registered on chain yet");
    const c = await this.#reader.contract(Number(contractId));
    if (!c) throw new Error(`contract ${contractId} does not exist on chain`);
    if (c.kind !== "node") throw new Error(`contract ${contractId} is a ${c.kind} contract, not a node contract`);
    if (c.node_id !== node) throw new Error(`contract ${contractId} is for node ${c.node_id}, not for this node (${node})`);
    if ((c.deployment_hash ?? "").toLowerCase() !== hash.toLowerCase()) {
      throw new Error(`contract ${contractId} hash "${c.deployment_hash}" does not match the deployment hash "${hash}"`);
    }
    return { rented: (await this.#client.read.rentContractForNode(node)) !== null };
  }
}

export async function startDevNode(o: DevNodeOptions): Promise<DevNode> {
  const log = o.log ?? (() => {});
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  // the same place the kernel's identity driver keeps it (manifests/node.json: ${state}/identity/seed.txt)
  const { identity, created } = await NodeIdentity.open(join(o.stateDir, "identity", "seed.txt"));
  const pub = identity.publicIdentity();
  log(`node identity ${pub.address}${created ? " (new)" : ""}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e) => log(`stop: ${(e as Error).message}`));
  };
  try {
    const client = await ChainClient.connect({ urls: [o.chainUrl], log });
    cleanups.push(() => client.close());
    const rmbSigner = identity.rmbSigner();
    const e2e = await e2eFromIdentity(rmbSigner);
    const pk = "0x" + Buffer.from(e2e.publicKey).toString("hex");
    const registrar = new Registrar({
      chain: new DriverRegistrarChain(client, identity.chainSigner(NODE_CHAIN_CALLS)),
      activator: new DevFaucet(client, o.faucet),
      host: devHostFacts(o.stateDir),
      farmId: o.farmId,
      relays: [relayHost(o.relayUrl)],
      pk,
      backoff: o.backoff,
      uptimeIntervalMs: o.uptimeIntervalMs,
      log: (event, fields) => log(`registrar: ${event} ${JSON.stringify(fields)}`),
    });
    registrar.start();
    cleanups.push(() => registrar.stop());
    const timeout = o.registerTimeoutMs ?? 120_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ids = await Promise.race([
      registrar.whenRegistered(),
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`node not registered within ${timeout / 1000} s: ${registrar.state().last_error ?? "no answer from the chain"}`)), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
    log(`registered: twin ${ids.twinId}, node ${ids.nodeId}`);

    const twinsConn = await ChainTwins.connect(o.chainUrl);
    cleanups.push(() => twinsConn.close());
    const twins = new CachedTwins(twinsConn, { ttlMs: 60_000 });
    const managers = o.managers ?? new Map<string, WorkloadManager>();
    const store = FileStore.open(join(o.stateDir, "provision"));
    cleanups.push(() => store.close());
    const engine = await Engine.open({
      store,
      keys: {
        async getKey(twin: number) {
          const t = await twins.get(twin);
          if (!t) throw new Error(`twin ${twin} does not exist on chain`);
          return t.accountId;
        },
      },
      contracts: new ChainContractChecker(client, () => registrar.nodeId()),
      managers,
      capacity: hostCapacitySource(o.stateDir),
      onError: (e) => log(`provision: ${(e as Error).message}`),
    });
    engine.start();
    cleanups.push(() => engine.stop());

    const peer = new RmbPeer({
      relayUrls: [o.relayUrl],
      twinId: ids.twinId,
      signer: rmbSigner,
      twins,
      e2e,
      log,
    });
    let farmerTwin: number | undefined;
    const router = createRouter({
      codec: gridtypesCodec,
      engine: enginePort(engine, () => [...managers.keys()]),
      contracts: new DriverContractReader(client),
      identity: {
        nodeId: () => registrar.nodeId(),
        twinId: () => registrar.twinId(),
        async farmerTwin() {
          farmerTwin ??= (await client.read.farm(o.farmId))?.twinId;
          return farmerTwin === undefined ? undefined : Number(farmerTwin);
        },
      },
      system: hostSystemInfo(o.stateDir),
      network: {
        interfaces: () => Promise.resolve(zosInterfaces()),
        hasIpv6: () => Promise.resolve(hasPublicIpv6()),
        adminInterfaces: () => Promise.resolve(allInterfaces()),
        async publicConfig() {
          const id = registrar.nodeId();
          const node = id === undefined ? null : await client.read.node(id);
          const pc = node?.publicConfig;
          // zos answers with an error when the farmer set no public config
          if (!pc) throw new ApiError("no public configuration is set for this node (the farmer sets it on chain)");
          return { type: "macvlan", ipv4: pc.ip4?.ip ?? "", ipv6: pc.ip6?.ip ?? "", gw4: pc.ip4?.gw ?? "", gw6: pc.ip6?.gw ?? "", domain: pc.domain ?? "" };
        },
      },
      diagnostics: {
        modules: () =>
          Promise.resolve([
            { name: "registrar", healthy: registrar.state().state === "registered", status: registrar.state() },
            { name: "rmb", healthy: peer.isConnected(), status: { connected: peer.isConnected(), ...peer.stats } },
            { name: "provision", healthy: true, status: { pending_jobs: engine.pending() } },
            { name: "chain", healthy: client.connected, status: { connected: client.connected } },
          ]),
      },
    });
    serveApi(peer, router);
    await peer.start(30_000);
    cleanups.push(() => peer.close());
    log(`rmb: serving ${router.commands().length} zos.* commands on ${o.relayUrl}`);
    return {
      twinId: ids.twinId,
      nodeId: ids.nodeId,
      address: pub.address,
      newIdentity: created,
      registration: () => registrar.state(),
      router,
      peer,
      engine,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
