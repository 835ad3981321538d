// The storage module (zos storaged): turns the node's data disks into btrfs pools through the block-device
// driver and serves volumes, vdisks and zdb space by owner and id (capabilities/schema/storage.capnp
// Storage). No permissions: the driver is its only way to a disk.
// Args: <hdd: "auto" = by zos's seek-time rule (the driver measures each disk), else the disks that are HDD, comma-separated, every
//       other one SSD ("-": all SSD) — zos-debug-vm's override; loop devices inherit their backing disk's flag>
//       <require-ssd: "yes" (Zero-OS: no SSD pool → the node does not register) | "no" (an image without
//       btrfs tools yet: report the disks, never block registration)>.
// Grant restrictions on `storage`: {"owners"?: [twin ids this grantee may act for], "readOnly"?: true}.
import "../node/no-env.ts"; // first: no environment in the sandbox
import process from "node:process";
import { Storage$Server } from "../../capabilities/schema/gen/storage.ts";
import { startProcess } from "../../capabilities/lib/guest/process.ts";
import { granted } from "../node/caps.ts";
import { toJson } from "../node/json.ts";
import { blockDevClient } from "./blockdev-client.ts";
import { StoragePools } from "./pools.ts";

const hddArg = process.argv[2] ?? "auto";
const forcedHdd = hddArg === "auto" ? null : hddArg === "-" || hddArg === "" ? [] : hddArg.split(",");
const requireSsd = (process.argv[3] ?? "yes") !== "no";

/** Volume and vdisk ids: the driver's name rule, checked before any pool is chosen or space promised. */
const ID = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,127}$/;
let up = false;
let startError = "";

function serve(restrictions: Record<string, unknown>, grantee: string): Storage$Server {
  for (const k of Object.keys(restrictions)) {
    if (k !== "owners" && k !== "readOnly") throw new Error(`denied: storage: unknown restriction "${k}" (known: owners, readOnly)`);
  }
  const owners = restrictions.owners;
  if (owners !== undefined && !(Array.isArray(owners) && owners.every((o) => Number.isInteger(o) && o > 0))) {
    throw new Error("denied: storage: restrictions.owners must be a list of twin ids");
  }
  const readOnly = restrictions.readOnly === true;
  const ready = () => {
    if (!up) throw new Error(`failed: storage: pools are not up yet${startError ? ` (${startError})` : ""}`);
  };
  /** The id of `owner`'s volume: "<owner>-…", and the grant must allow that owner. */
  const check = (owner: number, id: string, write: boolean) => {
    ready();
    if (write && readOnly) throw new Error(`denied: storage: ${grantee}'s grant is read-only`);
    if (Array.isArray(owners) && !owners.includes(owner)) throw new Error(`denied: storage: ${grantee} may not act for twin ${owner}`);
    if (!id.startsWith(`${owner}-`)) throw new Error(`denied: storage: ${JSON.stringify(id)} is not an id of twin ${owner} (ids start with "${owner}-")`);
    if (!ID.test(id) || id.includes("..")) throw new Error(`denied: storage: ${JSON.stringify(id)} is not a valid id (letters, digits, _ . : -; no "..", at most 128)`);
  };
  const n = (x: bigint) => Number(x);
  return new Storage$Server({
    async pools(_p, r) { ready(); r.json = toJson(await pools.poolList()); },
    totals(_p, r) { ready(); r.json = toJson(pools.totals()); return Promise.resolve(); },
    async volumeCreate(p, r) {
      check(p.owner, p.id, true);
      if (p.kind !== "volume" && p.kind !== "zdb") throw new Error(`failed: storage: kind must be "volume" or "zdb", got ${JSON.stringify(p.kind)}`);
      r.json = toJson(await pools.volumeCreate(p.kind, p.id, n(p.size)));
    },
    async volumeResize(p, r) { check(p.owner, p.id, true); r.json = toJson(await pools.volumeResize(p.id, n(p.size))); },
    async volumeDelete(p) { check(p.owner, p.id, true); await pools.volumeDelete(p.id); },
    async volumeInfo(p, r) { check(p.owner, p.id, false); const v = await pools.volumeInfo(p.id); r.json = v ? toJson(v) : ""; },
    async diskCreate(p, r) { check(p.owner, p.id, true); r.json = toJson(await pools.diskCreate(p.id, n(p.size))); },
    async diskResize(p, r) { check(p.owner, p.id, true); r.json = toJson(await pools.diskResize(p.id, n(p.size))); },
    async diskDelete(p) { check(p.owner, p.id, true); await pools.diskDelete(p.id); },
    diskInfo(p, r) { check(p.owner, p.id, false); const d = pools.diskInfo(p.id); r.json = d ? toJson(d) : ""; return Promise.resolve(); },
  });
}

const { session } = startProcess({
  provide: { storage: serve },
  health: () => ({ ready: up, detail: up ? "" : startError || "bringing up pools" }),
});

const pools = new StoragePools(blockDevClient(granted(session, "blockdev")), forcedHdd, requireSsd);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Ready after the first attempt even when it failed (the rest of the node must run and say why);
// failures are retried in the background and reported in totals().problem meanwhile.
for (let attempt = 1; ; attempt++) {
  try {
    await pools.bringUp();
    startError = "";
    pools.setProblem("");
    up = true;
    const t = pools.totals();
    const list = [...pools.pools.values()].map((p) => `${p.name} on ${p.disk} (${p.type})`).join(", ") || "none";
    console.error(`storage: pools up: ${list}${t.problem ? `; ${t.problem}` : ""}`);
    break;
  } catch (e) {
    startError = (e as Error).message;
    pools.setProblem(`bringing up the disks failed: ${startError}`);
    up = true;
    console.error(`storage: bringing up pools failed (attempt ${attempt}): ${startError}`);
    await sleep(Math.min(2000 * attempt, 30_000));
  }
}
