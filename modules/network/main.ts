// The network module under the kernel: user network resources (NRs) as Zero-OS builds them, through the
// netlink grant (attenuated to its namespaces and host-link prefixes) and its own kv namespace. Exposes
// `network` (network.capnp NetworkManager) to provision (workloads) and api (zos.network.* queries).
// Args: <host namespace, "-" = the real host> <public namespace> <ndmz namespace>. No permissions.
import "../node/no-env.ts"; // first: no environment in the sandbox
import process from "node:process";
import { Netlink$Client, NetworkManager$Server } from "../../capabilities/schema/gen/network.ts";
import { KvClient } from "../../capabilities/lib/guest/clients.ts";
import { startProcess } from "../../capabilities/lib/guest/process.ts";
import { ChainReaderClient } from "../../capabilities/chain/reader-client.ts";
import { granted, nodeAddress } from "../node/caps.ts";
import { type ChainPort, NetworkService, WorkloadInputError } from "./service.ts";

const [host, pub, ndmz] = process.argv.slice(2);
if (!host || !pub || !ndmz) {
  console.error("network: usage: network/main.ts <host namespace|-> <public namespace> <ndmz namespace>");
  process.exit(2);
}

let ready = false;
let service: NetworkService | null = null;
const need = (): NetworkService => {
  if (!service) throw new Error("failed: network: not started yet");
  return service;
};
const text = (e: unknown): never => {
  const m = (e as Error).message;
  throw new Error(e instanceof WorkloadInputError || m.startsWith("failed") || m.startsWith("denied") ? m : `failed: ${m}`);
};

const server = new NetworkManager$Server({
  async provision(p, r) {
    r.json = JSON.stringify((await need().provision(JSON.parse(p.json)).catch(text)) ?? null);
  },
  async deprovision(p) {
    await need().deprovision(JSON.parse(p.json)).catch(text);
  },
  async query(p, r) {
    r.json = JSON.stringify((await need().query(p.what, JSON.parse(p.args || "null")).catch(text)) ?? null);
  },
});

const { session } = startProcess({
  provide: { network: () => server },
  health: () => ({ ready, detail: ready ? "" : "restoring network resources" }),
});

// This node's chain record (the farmer's public config) and node contracts (reserved public IPs), when granted.
async function chainPort(): Promise<ChainPort | null> {
  const caps = await session.list();
  if (!caps.includes("reader") || !caps.includes("identity")) return null;
  const reader = new ChainReaderClient(granted(session, "reader"));
  const identity = granted(session, "identity");
  let nodeId: number | null = null;
  return {
    async node() {
      if (nodeId === null) {
        const twin = await reader.twinIdByAccount(await nodeAddress(identity));
        nodeId = twin === null ? null : await reader.nodeIdByTwin(twin);
        if (nodeId === null) return null; // not registered yet
      }
      return await reader.node(nodeId);
    },
    contract: (id) => reader.contract(id),
  };
}

const nl = granted(session, "netlink");
const kvUse = granted(session, "kv");
service = new NetworkService(
  { host: host === "-" ? "" : host, public: pub, ndmz },
  (ops) => nl(async (c) => JSON.parse((await new Netlink$Client(c).apply((p) => (p.ops = JSON.stringify(ops))).promise()).json) as unknown[]),
  {
    get: (k) => kvUse((c) => new KvClient(c).get(k)),
    put: (k, v) => kvUse((c) => new KvClient(c).put(k, v)),
    delete: async (k) => void (await kvUse((c) => new KvClient(c).delete(k))),
    list: (p) => kvUse((c) => new KvClient(c).list(p)),
  },
  await chainPort(),
);
// A wireguard-go that died (kill -9, crash) while this module and the driver stay up takes its NR's device
// with it: every few seconds the driver says which devices lost theirs, and those NRs are rebuilt.
const WG_WATCH_MS = 3000;

// After a restart (crash, kill -9 mid-setup, node reboot) every recorded NR is converged again.
service.restore().catch((e) => console.error(`network: restore: ${(e as Error).message}`)).finally(() => {
  ready = true;
  setTimeout(watch, WG_WATCH_MS).unref?.();
});

async function watch(): Promise<void> {
  try {
    for (const netId of await service!.watchWireguard()) console.error(`network: the wireguard-go of NR ${netId} was gone; NR rebuilt`);
  } catch (e) {
    console.error(`network: wireguard watch: ${(e as Error).message}`);
  }
  setTimeout(watch, WG_WATCH_MS).unref?.();
}

// The farmer's public config: Zero-OS re-reads it on NodePublicConfigStored and every 2 h; one storage read
// every few seconds serves both here. Applied once at start whatever the record says (a restart converges).
const POLL_MS = Number(process.argv[5] ?? "") || 3000;
let first = true;
const poll = async () => {
  try {
    await service!.syncPublicConfig(first);
    first = false;
  } catch (e) {
    console.error(`network: public config: ${(e as Error).message}`);
  }
  setTimeout(poll, POLL_MS).unref?.();
};
setTimeout(poll, 0);
