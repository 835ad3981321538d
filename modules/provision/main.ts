// The provision module under the kernel: the deployment engine (engine.ts) with its store in the granted
// kv namespace, twin keys and contract checks through the chain driver's read facet, capacity from the
// host facts driver. Exposes `engine` (node.capnp DeploymentEngine) to the api module. No permissions:
// everything it touches is a granted capability.
import "../node/no-env.ts"; // first: no environment in the sandbox
import process from "node:process";
import { DeploymentEngine$Server } from "../../capabilities/schema/gen/node.ts";
import { ChainReaderClient } from "../../capabilities/chain/reader-client.ts";
import { KvClient } from "../../capabilities/lib/guest/clients.ts";
import { startProcess } from "../../capabilities/lib/guest/process.ts";
import { deploymentJson, workloadJson } from "../lib/gridtypes/mod.ts";
import { granted, HostFactsClient, nodeAddress } from "../node/caps.ts";
import { toJson } from "../node/json.ts";
import { StorageClient } from "../node/storage-client.ts";
import { volumeManager, zmountManager } from "./managers/storage.ts";
import { networkClient } from "../node/network-client.ts";
import { ChainReader$Client } from "../../capabilities/schema/gen/chain.ts";
import { freeCancelled } from "./contract-sync.ts";
import { zdbBackend } from "./zdb/client.ts";
import { zdbManager } from "./zdb/manager.ts";
import { storagePlacement } from "./zdb/placement.ts";
import { gatewayFqdnManager, gatewayNameManager, qsfsManager } from "./managers/gateway.ts";
import { gatewayBackend } from "./managers/gateway-client.ts";
import { type NetworkPort, type TapInfo, type VmInfo, zmachineLightManager, zmachineManager } from "./managers/zmachine.ts";
import { watchFailedVms } from "./vm-watch.ts";
import { hypervisorClient } from "../node/hypervisor-client.ts";
import { zlogsManager } from "./managers/zlogs.ts";
import { flistClient } from "../node/flist-client.ts";
import { contractCheckerFromChain, type CapacitySource, Engine, KvDurableStore, twinKeysFromChain, type WorkloadManager } from "./mod.ts";

interface Cap { cru: number; sru: number; hru: number; mru: number }

let engine: Engine | null = null;
let startError = "";

function ready(): Engine {
  if (!engine) throw new Error(`failed: provision: the engine is not open yet${startError ? ` (${startError})` : ""}`);
  return engine;
}

// Workload managers by type, each bound to the capabilities it was granted; types without one fail with
// the engine's "not supported" message while deployments are still stored.
const managers = new Map<string, WorkloadManager>();
// Types not listed in node_features_get: qsfs and zmachine-light only ever answer "not supported" (zmachine is
// listed when the hypervisor is granted: its manager exists only then).
const unadvertised = new Set<string>(["qsfs", "zmachine-light"]);
// Features that are not workload types: "wireguard" says networks are full Zero-OS v3 NRs (WireGuard peers),
// which is how grid_client's machines.deploy picks a `network` over `network-light` (EXPLORER.md).
const capabilities = new Set<string>();
managers.set("qsfs", qsfsManager);

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
    const names = [...[...managers.keys()].filter((k) => !unadvertised.has(k)), ...capabilities];
    const l = r._initNames(names.length);
    names.forEach((k, i) => l.set(i, k));
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

// The network module (when granted) provisions `network` and `ip`/`ipv4` workloads.
if ((await session.list()).includes("network")) {
  const net = networkClient(granted(session, "network"));
  const req = (ctx: { twin: number; workloadId: string; contract: bigint }, wl: Parameters<WorkloadManager["provision"]>[1]) => ({
    twin: ctx.twin, workloadId: ctx.workloadId, name: wl.name, type: wl.type, contract: String(ctx.contract),
    data: (JSON.parse(workloadJson(wl)) as { data?: unknown }).data ?? {},
  });
  const manager: WorkloadManager = {
    provision: (ctx, wl) => net.provision(req(ctx, wl)),
    update: (ctx, wl) => net.provision(req(ctx, wl)),
    deprovision: (ctx, wl) => net.deprovision(req(ctx, wl)),
  };
  managers.set("network", manager);
  capabilities.add("wireguard");
  // public IPs (ip, and the deprecated ipv4): the network module assigns them from the contract's reserved IPs
  const ip: WorkloadManager = { provision: manager.provision, deprovision: manager.deprovision };
  managers.set("ip", ip);
  managers.set("ipv4", ip);
}

const kvUse = granted(session, "kv");
const kv = {
  get: (key: string) => kvUse((c) => new KvClient(c).get(key)),
  put: (key: string, value: Uint8Array) => kvUse((c) => new KvClient(c).put(key, value)),
  delete: (key: string) => kvUse((c) => new KvClient(c).delete(key)),
  list: (prefix: string) => kvUse((c) => new KvClient(c).list(prefix)),
};
const readerCap = granted(session, "reader");
const reader = new ChainReaderClient(readerCap);
const facts = new HostFactsClient(granted(session, "facts"));
const identity = granted(session, "identity");
const storage = new StorageClient(granted(session, "storage"));
managers.set("zmount", zmountManager(storage));
managers.set("volume", volumeManager(storage));

// VMs: the hypervisor driver (when granted), taps through the network module, disk paths from storage;
// flists through the flist driver (CONTRACTS "Flist"); without that grant zmachine says so.
const grants = await session.list();
/** this grant's VMs, when VMs run here: failed ones are decommissioned (vm-watch.ts) */
let listVms: (() => Promise<VmInfo[]>) | null = null;
if (grants.includes("hypervisor") && grants.includes("network")) {
  const net = networkClient(granted(session, "network"));
  const network: NetworkPort = {
    tap: async (twin, name, vmId, user) => await net.provision({ twin, workloadId: vmId, name, type: "vm-tap", data: { user } }) as TapInfo,
    untap: (twin, name, vmId) => net.deprovision({ twin, workloadId: vmId, name, type: "vm-tap", data: {} }),
  };
  // the storage module's info carries the path (CONTRACTS) or at least the pool: the driver resolves
  // <pool>/vdisks/<id> or <pool>/<id> under its own pools root
  const where = (p: unknown, id: string) => {
    if (p === null) return null;
    const x = p as { path?: string; pool?: string };
    if (x.path) return x.path;
    if (x.pool) return { pool: x.pool, name: id };
    throw new Error(`the storage module reports neither a path nor a pool for ${id}`);
  };
  const hypervisor = hypervisorClient(granted(session, "hypervisor"));
  listVms = () => hypervisor.list();
  managers.set("zlogs", zlogsManager(hypervisor));
  managers.set("zmachine", zmachineManager({
    hypervisor,
    network,
    storage: {
      diskPath: async (owner, id) => where(await storage.diskInfo(owner, id), id),
      volumePath: async (owner, id) => where(await storage.volumeInfo(owner, id), id),
      // the writable root in a quota-limited volume when the flist driver can fill one (its volumes root)
      rootfsCreate: async (owner, id, size) => ({ pool: (await storage.volumeCreate(owner, "volume", id, size)).pool }),
      rootfsDelete: (owner, id) => storage.volumeDelete(owner, id),
    },
    flist: grants.includes("flist") ? flistClient(granted(session, "flist")) : null,
  }));
  managers.set("zmachine-light", zmachineLightManager);
}

interface HostInterface { name: string; ips: string[] }
const zdb = zdbBackend(granted(session, "zdb"));
managers.set("zdb", zdbManager({
  backend: zdb,
  // each namespace in a volume of its size on an HDD pool, as Zero-OS places 0-db
  placement: storagePlacement(storage),
  // a server on every address is reached through the node's own (non-internal) addresses
  nodeAddresses: async () => (await facts.get<HostInterface[]>("interfaces")).flatMap((i) => i.ips),
}));

// Gateways (when granted): routes on the gateway driver's :443; the node's domain and name contracts from chain.
if ((await session.list()).includes("gateway")) {
  const backend = gatewayBackend(granted(session, "gateway"));
  const chain = {
    async domain() {
      const node = await reader.node(await ownNodeId());
      const d = node?.publicConfig?.domain;
      return typeof d === "string" && d !== "" ? d : null;
    },
    async nameContract(name: string) {
      const id = await reader.contractIdByName(name);
      if (id === null) return null;
      const c = await reader.contract(id);
      return c ? { contractId: id, twinId: Number(c.twinId) } : null;
    },
  };
  // the `network` field: the network module links the gateway to the twin's NR (modules/network/gateway-link.ts)
  const netClient = grants.includes("network") ? networkClient(granted(session, "network")) : null;
  const network = netClient && {
    link: (twin: number, name: string, workloadId: string, ips: string[]) => netClient.provision({ twin, workloadId, name, type: "gateway-link", data: { backends: ips } }),
    unlink: (twin: number, name: string, workloadId: string) => netClient.deprovision({ twin, workloadId, name, type: "gateway-link", data: {} }),
  };
  managers.set("gateway-name-proxy", gatewayNameManager({ backend, chain, network }));
  managers.set("gateway-fqdn-proxy", gatewayFqdnManager({ backend, chain, network }));
}

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
  // First start of this boot: every stored deployment is provisioned again (Zero-OS provisiond does so at
  // boot: VMs, gateways and 0-db namespaces do not survive a reboot); a restart of this module in the same
  // boot does not replay. The kernel passes the boot's id (its built-in ${bootid}); without one nothing replays.
  const bootId = /^[A-Za-z0-9-]{8,64}$/.test(process.argv[2] ?? "") ? process.argv[2] : "";
  const replayed = await engine.replayAfterBoot(bootId);
  if (replayed) console.error(`provision: new boot: replaying ${replayed} deployment(s)`);
  engine.start();
  console.error("provision: engine open");
  const e = engine;
  // The 0-db server starts on demand (kernel/README.md): as on Zero-OS it runs when it hosts namespaces, so
  // after a reboot the first question to it (its endpoint) starts it when a zdb workload lives here.
  if (e.list().some((d) => d.workloads.some((w) => w.type === "zdb" && w.result.state !== "deleted" && w.result.state !== "error"))) {
    zdb.endpoint().then(
      (ep) => console.error(`provision: 0-db server up for this node's zdb workloads (port ${ep.port})`),
      (err) => console.error(`provision: the 0-db server did not start: ${(err as Error).message}`),
    );
  }
  if (listVms) {
    const list = listVms;
    // only while VM workloads are deployed here: the hypervisor starts on demand (kernel/README.md), and
    // listing an empty driver every 5 s would start it at boot for nothing
    const hasVms = () => e.list().some((d) => d.workloads.some((w) => w.type.startsWith("zmachine")));
    watchFailedVms({ list: async () => (hasVms() ? await list() : []), decommission: (id, reason) => e.decommission(id, reason), log: (l) => console.error(l) });
  }
  // contracts cancelled on chain: their deployments are uninstalled (delete frees what they held)
  let syncing = false;
  setInterval(() => {
    if (syncing || !engine) return;
    syncing = true;
    const e = engine;
    ownNodeId()
      .then((id) => readerCap(async (c) => (await new ChainReader$Client(c).activeNodeContracts((p) => (p.nodeId = id)).promise()).ids.toArray()))
      .then((ids) => freeCancelled(e, ids))
      .then((freed) => freed.length && console.error(`provision: contracts cancelled on chain: ${freed.join(", ")}`))
      .catch((err) => {
        if (!/not registered on chain yet/.test((err as Error).message)) console.error(`provision: contract sync: ${(err as Error).message}`);
      })
      .finally(() => (syncing = false));
  }, 5_000);
} catch (err) {
  startError = (err as Error).message;
  console.error(`provision: cannot open the engine: ${startError}`);
  throw err;
}

