// The registrar module under the kernel: puts the node on chain and keeps it there (registrar.ts).
// Args: <farm id>. Granted: chain reader + submit (registration calls only; signed inside the identity
// driver), the dev activator, the node's public identity, host facts, and the rmb driver's info (relay
// hosts and e2e key for the twin). Exposes `registration` (StatusReport: the registration state).
import "../node/no-env.ts"; // first: no environment in the sandbox
import process from "node:process";
import { Activator$Client, StatusReport$Server } from "../../capabilities/schema/gen/node.ts";
import { ChainReaderClient } from "../../capabilities/chain/reader-client.ts";
import { startProcess } from "../../capabilities/lib/guest/process.ts";
import { granted, HostFactsClient, nodeAddress, rmbInfo } from "../node/caps.ts";
import { StorageClient } from "../node/storage-client.ts";
import { toJson } from "../node/json.ts";
import { CapRegistrarChain, SubmitClient } from "../node/registrar-chain.ts";
import { Registrar } from "./mod.ts";
import type { HostFacts, NodeInterface, Resources } from "./ports.ts";

const farmId = Number(process.argv[2]);
if (!Number.isInteger(farmId) || farmId <= 0) {
  console.error(`registrar: usage: registrar/main.ts <farm id> (got ${JSON.stringify(process.argv[2])}; set the manifest's \${farm})`);
  process.exit(2);
}

let registrar: Registrar | null = null;
const status = new StatusReport$Server({
  status(_p, r) {
    r.json = toJson(registrar?.state() ?? { state: "starting" });
    return Promise.resolve();
  },
});

const { session } = startProcess({
  provide: { registration: () => status },
  onShutdown: () => registrar?.stop(),
});

const reader = new ChainReaderClient(granted(session, "reader"));
const submit = new SubmitClient(granted(session, "submit"));
const activatorUse = granted(session, "activator");
const facts = new HostFactsClient(granted(session, "facts"));
const rmb = granted(session, "rmb");
const identity = granted(session, "identity");
const storage = new StorageClient(granted(session, "storage"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let uptime = 0;
const host: HostFacts = {
  // CPU and memory from the host; SRU/HRU are the storage module's pools. No SSD pool: no registration,
  // as Zero-OS (its cache would be a tmpfs), and the registrar's last_error says why.
  capacity: async () => {
    const [c, s] = await Promise.all([facts.get<Resources>("capacity"), storage.totals()]);
    if (s.problem) throw new Error(s.problem);
    return { ...c, sru: s.sru, hru: s.hru };
  },
  interfaces: () => facts.get<NodeInterface[]>("interfaces"),
  location: () => Promise.reject(new Error("no geoip service reachable from this node")),
  secureBoot: () => facts.get<boolean>("secureBoot"),
  virtualized: async () => (await facts.get<string>("hypervisor")) !== "",
  serialNumber: () => facts.get<string | null>("serialNumber"),
  uptimeSecs: () => uptime,
};

async function main(): Promise<void> {
  uptime = await facts.get<number>("uptimeSecs");
  setInterval(() => facts.get<number>("uptimeSecs").then((u) => (uptime = u)).catch(() => {}), 30_000);
  const address = await nodeAddress(identity);
  // the rmb driver derives the e2e key from the node key; wait until it has
  let info = await rmbInfo(rmb);
  while (info.e2ePublicKey.length === 0) {
    await sleep(200);
    info = await rmbInfo(rmb);
  }
  const pk = "0x" + Array.from(info.e2ePublicKey, (x) => x.toString(16).padStart(2, "0")).join("");
  registrar = new Registrar({
    chain: new CapRegistrarChain(address, reader, submit),
    activator: {
      async activate(a: string) {
        await activatorUse((c) => new Activator$Client(c).activate((p) => (p.address = a)).promise());
      },
    },
    host,
    farmId,
    relays: info.relays,
    pk,
    log: (event, fields) => console.error(`registrar: ${event} ${toJson(fields)}`),
  });
  registrar.start();
  const ids = await registrar.whenRegistered();
  console.error(`registrar: registered: twin ${ids.twinId}, node ${ids.nodeId}`);
}

main().catch((err) => {
  console.error(`registrar: ${(err as Error).message}`);
  process.exit(1);
});
