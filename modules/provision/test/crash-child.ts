// Child process for crash.test.ts: an engine on a FileStore that deploys contracts [from, from+count)
// (4 in flight), cancels every 5th one right after it is acknowledged, and processes the queue at the
// same time. It prints "ACK <id>" / "DEL <id>" once those calls resolved (i.e. are durable) and
// "DONE" when everything is processed. The parent kills it with SIGKILL at arbitrary points.
import { join } from "node:path";
import { Engine } from "../engine.ts";
import { FileStore } from "../file-store.ts";
import type { WorkloadManager } from "../interfaces.ts";
import { ChainContracts, FileEffectManager, fixedCapacity, keysOf, signedDoc, twinFromSeed, wl } from "./fixtures.ts";

const [dir, fromArg, countArg] = process.argv.slice(2);
const from = Number(fromArg);
const count = Number(countArg);
const owner = twinFromSeed(7, 9);
const chain = new ChainContracts();

if (import.meta.main) {
  // contracts of earlier runs may still be queued: the chain stand-in must know all of them
  for (let id = 1; id < from + count; id++) renamed(id, chain);
  const effects = new FileEffectManager(join(dir, "effects"), "any");
  const managers = new Map<string, WorkloadManager>([["network", effects], ["zmount", effects], ["zmachine", effects]]);
  const store = FileStore.open(join(dir, "state"), { compactBytes: 64 * 1024 });
  const engine = await Engine.open({ store, keys: keysOf([owner]), contracts: chain, managers, capacity: fixedCapacity(1024) });
  engine.start();
  const out = (s: string) => process.stdout.write(s + "\n");
  let next = from;
  const worker = async () => {
    while (next < from + count) {
      const id = next++;
      try {
        await engine.deploy(renamed(id));
      } catch (e) {
        if (!/already exists/.test((e as Error).message)) throw e;
      }
      out(`ACK ${id}`);
      if (id % 5 === 0) {
        await engine.deprovision(owner.id, BigInt(id), "contract canceled event received");
        out(`DEL ${id}`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  while (engine.pending() > 0) await new Promise((r) => setTimeout(r, 5));
  await engine.stop();
  await store.close();
  out("DONE");
}

/** The document for contract `id` (network named net<id>), registered on the chain stand-in. */
export function renamed(id: number, c: ChainContracts = chain): string {
  return signedDoc(owner, id, [
    wl(`net${id}`, "network", { ip_range: "10.9.0.0/16", subnet: `10.9.${id % 250}.0/24`, wireguard_private_key: "k", wireguard_listen_port: 1000 + id }),
    wl("disk", "zmount", { size: 1024 * id }),
    wl("vm", "zmachine", { flist: "https://hub/x.flist", network: { interfaces: [{ network: `net${id}`, ip: "10.9.1.2" }] }, compute_capacity: { cpu: 1, memory: 256 * 1024 * 1024 } }),
  ], {}, c);
}
