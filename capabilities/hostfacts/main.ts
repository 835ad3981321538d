// The host facts driver: what its library (lib/) reads from /proc, /sys and node:os, answered as JSON so the
// node's modules (which may read nothing themselves) can report capacity, DMI and interfaces.
// Args: <state dir> (its filesystem is the dev node's SSD capacity) <package.json> (the version).
// Grant: facts {} — read-only, so no restrictions.
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import { readFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";
import { HostFacts$Server } from "../schema/gen/node.ts";
import { startProcess } from "../lib/guest/process.ts";
import {
  allInterfaces, dmi, hasPublicIpv6, hostCapacity, hypervisor, managementInterface, reservedCapacity, secureBoot, serialNumber,
  zosInterfaces,
} from "./lib/mod.ts";
import { toJson } from "../../modules/node/json.ts";

const stateDir = process.argv[2];
const pkgPath = process.argv[3];
if (!stateDir || !pkgPath) {
  console.error("hostfacts: usage: hostfacts/main.ts <state dir> <package.json>");
  process.exit(2);
}
const version = (JSON.parse(readFileSync(pkgPath, "utf8")) as { version: string }).version;

function availableMemory(): number | null {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const FACTS: Record<string, () => unknown> = {
  version: () => ({ zos: version, zinit: `zos-ts-kernel ${version}` }),
  dmi,
  hypervisor,
  capacity: () => ({ ...hostCapacity(stateDir), ipv4u: 0 }),
  // no zos-cache subvolume on a host: nothing reserved on disk
  reserved: () => reservedCapacity(0),
  interfaces: managementInterface,
  secureBoot,
  serialNumber,
  uptimeSecs: () => Math.floor(os.uptime()),
  availableMemory,
  // the api's network queries (zos.network.interfaces, has_ipv6, zos.admin.interfaces)
  zosInterfaces,
  hasPublicIpv6,
  allInterfaces,
};

const facts = new HostFacts$Server({
  get(p, r) {
    const f = FACTS[p.name];
    if (!f) throw new Error(`failed: hostfacts: no fact "${p.name}" (known: ${Object.keys(FACTS).join(", ")})`);
    r.json = toJson(f());
    return Promise.resolve();
  },
});

startProcess({
  provide: {
    facts: (r) => {
      if (Object.keys(r).length) throw new Error(`denied: hostfacts: "facts" takes no restrictions (got ${Object.keys(r).join(", ")})`);
      return facts;
    },
  },
});
