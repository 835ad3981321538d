// The api module under the kernel: the zos.* router (router.ts) served over RMB. It registers one
// handler capability with the rmb driver (Rmb.serve — the driver verified the sender before calling it)
// and answers with the provision engine, the chain read facet (contract checks), host facts, the node's
// public identity and the registrar's status, all granted capabilities. No permissions of its own.
import "../node/no-env.ts"; // first: no environment in the sandbox
import * as $ from "capnp-es";
import { ProcessMemory$Client } from "../../capabilities/schema/gen/system.ts";
import { Upgrade$Client } from "../../capabilities/schema/gen/upgrade.ts";
import { DeploymentEngine$Client, Rmb$Client, RmbHandler$Server, type RmbHandler$Server$Target } from "../../capabilities/schema/gen/node.ts";
import { ChainReaderClient } from "../../capabilities/chain/reader-client.ts";
import { RpcError } from "../../capabilities/lib/rpc/mod.ts";
import { startProcess } from "../../capabilities/lib/guest/process.ts";
import { deploymentHashText } from "../provision/mod.ts";
import { granted, HostFactsClient, nodeAddress, rmbInfo, statusOf } from "../node/caps.ts";
import { toJson } from "../node/json.ts";
import { StorageClient } from "../node/storage-client.ts";
import { hypervisorClient } from "../node/hypervisor-client.ts";
import { networkClient } from "../node/network-client.ts";
import { ApiError, createRouter, gridtypesCodec } from "./mod.ts";
import type { Capacity, ChainContract, DeploymentEngine, DeploymentJson, EngineUsage, WorkloadJson } from "./ports.ts";
import { privateIpsIn } from "./private-ips.ts";

const { session } = startProcess({});

const reader = new ChainReaderClient(granted(session, "reader"));
const facts = new HostFactsClient(granted(session, "facts"));
const engineUse = granted(session, "engine");
const identity = granted(session, "identity");
const registration = granted(session, "registration");
const memory = granted(session, "memory");
const storage = new StorageClient(granted(session, "storage"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function eng<R>(fn: (c: DeploymentEngine$Client) => Promise<R>): Promise<R> {
  return engineUse((c) => fn(new DeploymentEngine$Client(c)));
}

// The engine's refusals come back as RPC errors: their message is what the user should read.
function userMessage(err: unknown): Error {
  const msg = (err as Error).message ?? String(err);
  return new Error(msg.replace(/^failed: /, ""));
}

let features: string[] = [];
const engine: DeploymentEngine = {
  deploy: (twin, d) => eng((c) => c.deploy((p) => { p.twin = twin; p.raw = d.raw; }).promise()).then(() => {}, (e) => { throw userMessage(e); }),
  update: (twin, d) => eng((c) => c.update((p) => { p.twin = twin; p.raw = d.raw; }).promise()).then(() => {}, (e) => { throw userMessage(e); }),
  get: (twin, id) => eng(async (c) => {
    const j = (await c.get((p) => { p.twin = twin; p.contractId = BigInt(id); }).promise()).json;
    return j === "" ? null : JSON.parse(j) as DeploymentJson;
  }),
  list: (twin) => eng(async (c) => JSON.parse((await c.list((p) => (p.twin = twin)).promise()).json) as DeploymentJson[]),
  changes: (twin, id) => eng(async (c) => JSON.parse((await c.changes((p) => { p.twin = twin; p.contractId = BigInt(id); }).promise()).json) as WorkloadJson[]),
  features: () => features,
  usage: () => eng(async (c) => JSON.parse((await c.usage().promise()).json) as EngineUsage),
  privateIps: async (twin, networkName) => privateIpsIn(await engine.list(twin), networkName),
};

const contracts = {
  async contract(id: number): Promise<ChainContract | null> {
    // deno-lint-ignore no-explicit-any
    const c: any = await reader.contract(id);
    if (!c) return null;
    const type: Record<string, { nodeId?: number; deploymentHash?: unknown }> = c.contractType ?? {};
    const [variant] = Object.keys(type);
    const base = { contract_id: id, twin_id: Number(c.twinId) };
    if (variant?.toLowerCase() === "nodecontract") {
      const n = type[variant];
      return { ...base, kind: "node", node_id: Number(n.nodeId), deployment_hash: deploymentHashText(n.deploymentHash) ?? "" };
    }
    return { ...base, kind: (variant ?? "unknown").replace(/Contract$/i, "").toLowerCase() };
  },
};

// Who the node is on chain: learned once registration finished, then fixed for the node's lifetime.
let twinId: number | undefined;
let nodeId: number | undefined;
let farmerTwin: number | undefined;
async function learnIds(): Promise<void> {
  const address = await nodeAddress(identity);
  while (nodeId === undefined) {
    try {
      const t = await reader.twinIdByAccount(address);
      const n = t === null ? null : await reader.nodeIdByTwin(t);
      if (t !== null && n !== null) {
        twinId = t;
        nodeId = n;
        break;
      }
    } catch { /* chain restarting: try again */ }
    await sleep(500);
  }
}

let version = { zos: "unknown", zinit: "unknown" };
// zos.network.* and zos.admin.*: the node's interfaces and WireGuard ports from the network module's real state
// when the manifest grants it (its host side is a namespace on a dev host), else from host facts; the public
// config always from chain, as Zero-OS answers it.
const net = (await session.list()).includes("network") ? networkClient(granted(session, "network")) : null;

// zos.vm.logs: consoles of the VMs provision started, through a read-only hypervisor grant
// zos.admin.upgrade_*: the kernel's live upgrade (farmer only), when the manifest grants it
const upgradeUse = (await session.list()).includes("upgrade") ? granted(session, "upgrade") : null;
const upgradeJson = (call: (c: Upgrade$Client) => Promise<{ json: string }>) =>
  upgradeUse!(async (c) => JSON.parse((await call(new Upgrade$Client(c))).json) as unknown);
const hvRead = (await session.list()).includes("hypervisor") ? hypervisorClient(granted(session, "hypervisor")) : null;
const vms = hvRead
  ? {
    async consoleLog(id: string, offset: number, max: number) {
      const info = await hvRead.info(id);
      if (!info) return null;
      const c = await hvRead.console(id, offset, max);
      return { log: new TextDecoder().decode(c.data), next: c.next, state: info.state };
    },
  }
  : undefined;

const router = createRouter({
  vms,
  codec: gridtypesCodec,
  engine,
  contracts,
  identity: {
    nodeId: () => nodeId,
    twinId: () => twinId,
    async farmerTwin() {
      if (farmerTwin === undefined && nodeId !== undefined) {
        const n = await reader.node(nodeId);
        const f = n ? await reader.farm(Number(n.farmId)) : null;
        if (f) farmerTwin = Number(f.twinId);
      }
      return farmerTwin;
    },
  },
  network: {
    interfaces: () => net ? net.query<{ zos: string[]; ygg: string[] }>("interfaces") : facts.get<{ zos: string[]; ygg: string[] }>("zosInterfaces"),
    hasIpv6: () => net ? net.query<boolean>("has_ipv6") : facts.get<boolean>("hasPublicIpv6"),
    adminInterfaces: () =>
      net ? net.query<Record<string, { ips: string[]; mac: string }>>("admin_interfaces") : facts.get<Record<string, { ips: string[]; mac: string }>>("allInterfaces"),
    ...(net ? {
      wgPorts: () => net.query<number[]>("wg_ports"),
      publicNic: () => net.query<{ is_single: boolean; is_dual: boolean; dual_interface: string }>("public_nic"),
      setPublicNic: async (ifname: string) => void (await net.query<null>("set_public_nic", { ifname })),
      publicIps: () => net.query<string[]>("public_ips"),
    } : {}),
    async publicConfig() {
      // the config the network module applied (real state); from chain when the node has no network module
      if (net) return await net.query("public_config").catch((e: Error) => Promise.reject(new ApiError(e.message)));
      const node = nodeId === undefined ? null : await reader.node(nodeId);
      const pc = node?.publicConfig;
      // zos answers with an error when the farmer set no public config
      if (!pc) throw new ApiError("no public configuration is set for this node (the farmer sets it on chain)");
      return { type: "macvlan", ipv4: pc.ip4?.ip ?? "", ipv6: pc.ip6?.ip ?? "", gw4: pc.ip4?.gw ?? "", gw6: pc.ip6?.gw ?? "", domain: pc.domain ?? "" };
    },
  },
  system: {
    version: () => version,
    dmi: () => facts.get("dmi"),
    hypervisor: () => facts.get<string>("hypervisor"),
    // CPU and memory from the host; SRU/HRU from the storage module's pools, its cache subvolume reserved
    capacity: async () => {
      const [c, s] = await Promise.all([facts.get<Capacity>("capacity"), storage.totals()]);
      return { ...c, sru: s.sru, hru: s.hru };
    },
    reserved: async () => {
      const [r, s] = await Promise.all([facts.get<Capacity>("reserved"), storage.totals()]);
      return { ...r, sru: s.cache?.size ?? 0 };
    },
  },
  storage: { pools: () => storage.pools() },
  ...(upgradeUse ? {
    upgrade: {
      status: () => upgradeJson((c) => c.status().promise()),
      check: () => upgradeJson((c) => c.check().promise()),
      approve: (hash: string, twin: number) => upgradeJson((c) => c.approve((p) => {
        p.hash = hash;
        p.twin = twin;
      }).promise()),
    },
  } : {}),
  diagnostics: {
    processes: () => memory(async (c) => JSON.parse((await new ProcessMemory$Client(c).sample().promise()).json)),
    async modules() {
      const reg = await statusOf(registration).catch((e) => ({ error: (e as Error).message })) as { state?: string };
      const rmb = await rmbInfo(rmbUse).catch(() => null);
      const usage = await engine.usage!().catch(() => null);
      const disks = await storage.totals().catch((e) => ({ problem: (e as Error).message }));
      const chainError = await reader.nodeIdByTwin(twinId ?? 0).then(() => null, (e) => (e as Error).message);
      return [
        { name: "registrar", healthy: reg.state === "registered", status: reg },
        { name: "rmb", healthy: rmb?.connected ?? false, status: { connected: rmb?.connected ?? false, twin: rmb?.twinId ?? 0 } },
        { name: "provision", healthy: usage !== null, status: usage ?? { error: "engine unreachable" } },
        { name: "storage", healthy: !disks.problem, status: disks },
        { name: "chain", healthy: chainError === null, status: chainError === null ? { connected: true } : { error: chainError } },
      ];
    },
  },
});

const handlerImpl: RmbHandler$Server$Target = {
  async handle(p, r) {
    const payload = new TextDecoder().decode(p.payload.toUint8Array());
    r.json = toJson(await router.handle({ twin: p.twin, command: p.command, payload }));
  },
};

// Serve through the rmb driver; when it restarts, our registration died with it: serve again.
let rmbCap: $.Client | null = null;
const rmbUse = <R>(fn: (c: $.Client) => Promise<R>): Promise<R> => (rmbCap ? fn(rmbCap) : Promise.reject(new Error("rmb not acquired")));
async function serveLoop(): Promise<void> {
  for (;;) {
    try {
      if (!rmbCap) {
        const cap = await session.get("rmb");
        const commands = router.commands();
        await new Rmb$Client(cap).serve((p) => {
          const l = p._initCommands(commands.length);
          commands.forEach((c, i) => l.set(i, c));
          p.handler = new RmbHandler$Server(handlerImpl).client(); // one per registration: the driver owns it
        }).promise();
        rmbCap = cap;
        console.error(`api: serving ${commands.length} zos.* commands through the rmb driver`);
      }
      await rmbInfo(rmbUse);
    } catch (err) {
      if (!(err instanceof RpcError) || err.type !== "disconnected") console.error(`api: rmb: ${(err as Error).message}`);
      rmbCap = null;
    }
    await sleep(1000);
  }
}

version = await facts.get<{ zos: string; zinit: string }>("version");
features = await eng(async (c) => (await c.features().promise()).names.toArray()).catch(() => []);
void learnIds();
void serveLoop();
