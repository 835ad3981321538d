// The QEMU farm's private network: one network namespace `zt-farm-<tag>` holding a bridge with the farm's
// gateway address and one tap per node. Nothing in the host's own namespace changes (no link, address,
// route or firewall rule); nothing outside the machine can reach it. Removing the namespace removes the
// bridge and taps; processes we started inside are killed by PID first.
import { execFileSync } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";

export const FARM_SUBNET = "10.99.0";
export const FARM_GATEWAY = `${FARM_SUBNET}.1`;
export const FARM_BRIDGE = "zt-br0";

export interface FarmNode {
  index: number;
  tap: string;
  mac: string;
  ip: string;
}

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
}

/** The farm's node n (1-based): tap, MAC and the address the farm's DHCP server leases it. */
export function farmNode(index: number): FarmNode {
  const hex = index.toString(16).padStart(2, "0");
  return { index, tap: `zt-tap${index}`, mac: `52:54:00:99:00:${hex}`, ip: `${FARM_SUBNET}.${10 + index}` };
}

/** Creates the namespace, its bridge (gateway address, default route over it for DHCP broadcasts) and N taps. */
export function createFarmNetns(name: string, nodes: number): FarmNode[] {
  if (!/^zt-[a-z0-9-]{1,20}$/.test(name)) throw new Error(`farm namespace "${name}" must be zt-… (lowercase, digits, dashes)`);
  ip(["netns", "add", name]);
  try {
    const n = (args: string[]) => ip(["-n", name, ...args]);
    n(["link", "set", "lo", "up"]);
    n(["link", "add", FARM_BRIDGE, "type", "bridge"]);
    n(["addr", "add", `${FARM_GATEWAY}/24`, "dev", FARM_BRIDGE]);
    n(["link", "set", FARM_BRIDGE, "up"]);
    // 255.255.255.255 (the DHCP server's replies) needs a route; the namespace has nowhere else to go
    n(["route", "add", "default", "dev", FARM_BRIDGE]);
    const out: FarmNode[] = [];
    for (let i = 1; i <= nodes; i++) {
      const f = farmNode(i);
      n(["tuntap", "add", "dev", f.tap, "mode", "tap"]);
      n(["link", "set", f.tap, "master", FARM_BRIDGE, "up"]);
      out.push(f);
    }
    return out;
  } catch (err) {
    removeFarmNetns(name);
    throw err;
  }
}

/** PIDs of processes whose network namespace is `name` (ours: we started every one of them there). */
export function pidsIn(name: string): number[] {
  const out: number[] = [];
  let ino = "";
  try {
    ino = execFileSync("stat", ["-L", "-c", "%i", `/run/netns/${name}`], { encoding: "utf8" }).trim();
  } catch {
    return out;
  }
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      if (readlinkSync(`/proc/${p}/ns/net`) === `net:[${ino}]`) out.push(Number(p));
    } catch { /* gone or not ours to read */ }
  }
  return out;
}

/** Kills what still runs in the namespace (by PID) and deletes it with its bridge and taps. */
export function removeFarmNetns(name: string): void {
  for (const pid of pidsIn(name)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* already gone */ }
  }
  try {
    ip(["netns", "del", name]);
  } catch { /* already gone */ }
}
