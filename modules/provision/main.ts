// The provision module under the kernel: the deployment engine (engine.ts) with its store in the granted
// kv namespace, twin keys and contract checks through the chain driver's read facet, capacity from the
// host facts driver. Exposes `engine` (node.capnp DeploymentEngine) to the api module. No permissions:
// everything it touches is a granted capability.
import "../node/no-env.ts"; // first: no environment in the sandbox
import { DeploymentEngine$Server } from "../../capabilities/schema/gen/node.ts";
import { ChainReader$Client, EventSink$Server } from "../../capabilities/schema/gen/chain.ts";
import { ContractSync } from "./contract-sync.ts";
import { ChainReaderClient } from "../../capabilities/chain/reader-client.ts";
import { KvClient } from "../../capabilities/lib/guest/clients.ts";
import { startProcess } from "../../capabilities/lib/guest/process.ts";
import { deploymentJson, workloadJson } from "../lib/gridtypes/mod.ts";
import { granted, HostFactsClient, nodeAddress } from "../node/caps.ts";
import { toJson } from "../node/json.ts";
import { StorageClient } from "../node/storage-client.ts";
import { volumeManager, zmountManager } from "./managers/storage.ts";
import { contractCheckerFromChain, type CapacitySource, Engine, KvDurableStore, twinKeysFromChain, type WorkloadManager } from "./mod.ts";

interface Cap { cru: number; sru: number; hru: number; mru: number }

let engine: Engine | null = null;
let startError = "";

function ready(): Engine {
  if (!engine) throw new Error(`failed: provision: the engine is not open yet${startError ? ` (${startError})` : ""}`);
  return engine;
}

// Workload managers by type, each bound to the capability it needs; a type with no manager fails with the
// engine's "not supported" message while its deployment is still stored.
const managers = new Map<string, WorkloadManager>();

const server = new DeploymentEngine$Server({
  async deploy(p) { await ready().deploy(p.raw, p.twin); },
  async update(p) { await ready().update(p.raw, p.twin); },
  get(p, r) {
    const d = ready().get(p.twin, p.contractId);
    r.json = d ? deploymentJson(d) : "";
    return Promise.resolve();
  },
  list(p, r) {
    r.json = `[${ready().list(p.twin).map((d) => deploymentJson(d)).join(",")}]`;
    return Promise.resolve();
  },
  changes(p, r) {
    r.json = `[${ready().changes(p.twin, p.contractId).map((w) => workloadJson(w)).join(",")}]`;
    return Promise.resolve();
  },
  features(_p, r) {
    const l = r._initNames(managers.size);
    [...managers.keys()].forEach((k, i) => l.set(i, k));
    return Promise.resolve();
  },
  usage(_p, r) {
    const e = ready();
    const s = e.statistics();
    const u = e.used();
    const n = (x: bigint) => Number(x);
    r.json = toJson({
      used: { cru: n(u.cru), sru: n(u.sru), hru: n(u.hru), mru: n(u.mru), ipv4u: n(u.ipv4u) },
      deployments: s.users.deployments,
      workloads: s.users.workloads,
      last_deployment_timestamp: s.users.last_deployment_timestamp,
    });
    return Promise.resolve();
  },
});

const { session } = startProcess({
  provide: { engine: () => server },
  health: () => ({ ready: engine !== null, detail: engine ? "" : startError || "opening the store" }),
  onShutdown: () => engine?.stop(),
});

const kvUse = granted(session, "kv");
const kv = {
  get: (key: string) => kvUse((c) => new KvClient(c).get(key)),
  put: (key: string, value: Uint8Array) => kvUse((c) => new KvClient(c).put(key, value)),
  delete: (key: string) => kvUse((c) => new KvClient(c).delete(key)),
  list: (prefix: string) => kvUse((c) => new KvClient(c).list(prefix)),
};
const reader = new ChainReaderClient(granted(session, "reader"));
const facts = new HostFactsClient(granted(session, "facts"));
const identity = granted(session, "identity");
const storage = new StorageClient(granted(session, "storage"));
managers.set("zmount", zmountManager(storage));
managers.set("volume", volumeManager(storage));

// The node id is known once the registrar put the node on chain; contract checks wait for it.
let nodeId: number | null = null;
async function ownNodeId(): Promise<number> {
  if (nodeId !== null) return nodeId;
  const twin = await reader.twinIdByAccount(await nodeAddress(identity));
  const id = twin === null ? null : await reader.nodeIdByTwin(twin);
  if (id === null) throw new Error("this node is not registered on chain yet");
  nodeId = id;
  return id;
}

const b = (n: number) => BigInt(Math.floor(n));
const zero = { cru: 0n, sru: 0n, hru: 0n, mru: 0n, ipv4u: 0n };
let total = zero;
let reserved = zero;
let available: bigint | undefined;
async function refreshCapacity(): Promise<void> {
  const [t, r, m, s] = await Promise.all([
    facts.get<Cap>("capacity"), facts.get<Cap>("reserved"), facts.get<number | null>("availableMemory"), storage.totals(),
  ]);
  // disks are the storage module's: SRU = Σ SSD pools, HRU = Σ HDD pools, the cache subvolume is reserved
  total = { cru: b(t.cru), sru: b(s.sru), hru: b(s.hru), mru: b(t.mru), ipv4u: 0n };
  reserved = { cru: 0n, sru: b(s.cache?.size ?? 0), hru: 0n, mru: b(r.mru), ipv4u: 0n };
  available = m === null ? undefined : b(m);
}
const capacity: CapacitySource = { total: () => total, reserved: () => reserved, availableMemory: () => available };

try {
  await refreshCapacity();
  setInterval(() => refreshCapacity().catch(() => {}), 10_000);
  const keys = twinKeysFromChain(reader);
  engine = await Engine.open({
    store: await KvDurableStore.open(kv),
    keys,
    contracts: {
      async check(id, hash) {
        return await contractCheckerFromChain(reader, await ownNodeId()).check(id, hash);
      },
    },
    managers,
    capacity,
    onError: (e) => console.error(`provision: ${(e as Error).message}`),
  });
  engine.start();
  watchContracts(engine);
  console.error("provision: engine open");
} catch (err) {
  startError = (err as Error).message;
  console.error(`provision: cannot open the engine: ${startError}`);
  throw err;
}

/** Cancelled contracts free their workloads: chain events at once, a sync every 30 s for anything missed. */
function watchContracts(e: Engine): void {
  const sync = new ContractSync(e, reader, ownNodeId);
  const readerCap = granted(session, "reader");
  const sink = new EventSink$Server({
    async events(p) {
      for (const ev of p.events.toArray()) {
        await sync.onEvent(ev.section, ev.method, JSON.parse(ev.dataJson) as unknown[]).catch(() => {});
      }
    },
  });
  let subscription: { cancel(): { promise(): Promise<unknown> } } | null = null;
  const tick = async () => {
    // renewed each time: a restarted chain driver drops subscriptions, so cancel and subscribe again
    const old = subscription;
    subscription = null;
    old?.cancel().promise().catch(() => {});
    try {
      subscription = await readerCap(async (c) => (await new ChainReader$Client(c).subscribeEvents((q) => (q.sink = sink.client())).promise()).subscription);
    } catch { /* the chain driver restarts: next tick */ }
    await sync.sync().catch(() => {});
  };
  tick();
  setInterval(tick, 30_000);
}
