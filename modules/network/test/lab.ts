// Test fixture: N "nodes" on this host, each with its own namespace pin folder (host, public), their public
// namespaces joined by veth underlays (198.18.0.0/24, never routed off the machine), and a NetworkService
// bound straight to the netlink driver's code (the kernel path is covered by kernel.test.ts). Everything
// lives under one zt- temp folder and is removed by `close()`, also after a failed assertion.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../../tools/test-tmp.ts";
import { applyOps } from "../../../capabilities/netlink/apply.ts";
import { parseGrant } from "../../../capabilities/netlink/grant.ts";
import { NetOps } from "../../../capabilities/netlink/ops.ts";
import { denoSys } from "../../../capabilities/netlink/sys.ts";
import { joinNamespaces } from "../../../capabilities/netlink/underlay.ts";
import { type ChainPort, NetworkService, type Store } from "../service.ts";

export const NODE_GRANT = { namespaces: ["n-", "ndmz", "public", "host"], hostLinks: ["b-", "br-ndmz", "br-pub", "p-", "t-"] };

export function memoryStore(): Store & { map: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  return {
    map,
    get: (k) => Promise.resolve(map.get(k) ?? null),
    put: (k, v) => Promise.resolve(void map.set(k, v)),
    delete: (k) => Promise.resolve(void map.delete(k)),
    list: (p) => Promise.resolve([...map.keys()].filter((k) => k.startsWith(p)).sort()),
  };
}

export interface LabNode {
  name: string;
  ops: NetOps;
  service: NetworkService;
  store: ReturnType<typeof memoryStore>;
  publicIp: string;
  pin(ns: string): string;
}

export function wgKeys(): { priv: string; pub: string } {
  const k = generateKeyPairSync("x25519");
  const j = k.privateKey.export({ format: "jwk" }) as { d: string; x: string };
  const b64 = (u: string) => Buffer.from(u, "base64url").toString("base64");
  return { priv: b64(j.d), pub: b64(j.x) };
}

/** Runs a command inside a pinned namespace; returns stdout or throws with stderr. */
export function inNs(pin: string, argv: string[], timeoutMs = 10_000): string {
  return execFileSync("nsenter", [`--net=${pin}`, "--", ...argv], { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
}

/** wireguard-go processes whose UAPI folder (bind-mounted on their /run/wireguard) is `uapiDir`. */
export function wireguardPids(uapiDir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      if (!(cmd[0] ?? "").endsWith("wireguard-go")) continue;
      for (const line of readFileSync(`/proc/${p}/mountinfo`, "utf8").split("\n")) {
        const f = line.split(" ");
        // field 4 is the mount's root inside its filesystem, field 5 where it is mounted
        if (f[4] === "/run/wireguard" && f[3] && uapiDir.endsWith(f[3])) out.push(Number(p));
      }
    } catch { /* gone */ }
  }
  return out;
}

export class Lab {
  readonly dir: string;
  readonly nodes: LabNode[] = [];

  /** `chains[i]`, when given, is node i's view of the chain (a test double: the dev chain is covered by two-node.test.ts) */
  constructor(count: number, area = "network", chains: (ChainPort | null)[] = []) {
    this.dir = tempDir(`zt-${area}-lab-`);
    const sys = denoSys();
    for (let i = 0; i < count; i++) {
      const name = String.fromCharCode(97 + i);
      const ops = new NetOps(sys, join(this.dir, name, "ns"), join(this.dir, name, "wg"));
      ops.nsAdd("host");
      ops.nsAdd("public");
      const store = memoryStore();
      const grant = parseGrant(NODE_GRANT);
      const service = new NetworkService({ host: "host", public: "public", ndmz: "ndmz" }, async (o) => await applyOps(ops, grant, JSON.stringify(o)), store, chains[i] ?? null);
      this.nodes.push({ name, ops, service, store, publicIp: `198.18.0.${i + 1}`, pin: (ns) => ops.pin(ns) });
    }
    // a star underlay: node 0's public namespace holds a bridge, every other node joins it by a veth
    if (count > 1) {
      const hub = this.nodes[0];
      hub.ops.linkAdd("public", { name: "underlay", kind: "bridge" });
      hub.ops.linkSet("public", "underlay", { up: true });
      hub.ops.addrAdd("public", "underlay", "198.18.0.1/24");
      for (const n of this.nodes.slice(1)) {
        joinNamespaces(sys, { pin: hub.pin("public"), ifname: `u-${n.name}` }, { pin: n.pin("public"), ifname: "public", cidr: `${n.publicIp}/24` });
        hub.ops.linkSet("public", `u-${n.name}`, { master: "underlay", up: true });
      }
    }
  }

  async close(): Promise<void> {
    for (const n of this.nodes) {
      await n.ops.close().catch(() => {});
      for (const ns of n.ops.nsList()) n.ops.nsDel(ns);
    }
    for (const pid of this.nodes.flatMap((n) => wireguardPids(n.ops.uapiDir))) {
      try {
        process.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
