// The network module's logic, bound to two small ports so tests can run it without the kernel: `apply`
// (the netlink grant) and a key-value store (the kv grant). It keeps one record per NR (its config, ndmz
// address and WireGuard port), converges NRs on provision/update, removes them on delete, and answers
// the zos.network.* queries from the namespaces themselves.
import { hostOps, type Layout, names, nrConfig, type NrConfig, nrDeleteOps, nrOps, WorkloadInputError } from "./nr.ts";
import { networkId, tapOps, untapOps } from "./taps.ts";

export type Apply = (ops: Record<string, unknown>[]) => Promise<unknown[]>;

export interface Store {
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

export interface NrRecord {
  workloadId: string;
  twin: number;
  name: string;
  netId: string;
  port: number;
  ndmzIp: string;
  subnet: string;
  config: NrConfig;
}

export interface WorkloadRequest {
  twin: number;
  workloadId: string;
  name: string;
  type: string;
  data: Record<string, unknown>;
}

interface LinkView {
  name: string;
  kind: string;
  mac: string;
  addresses: string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A deterministic first choice for the NR's ndmz address, probing past ones taken. */
function ndmzCandidate(netId: string, taken: Set<string>): string {
  let h = 0;
  for (const c of netId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  for (let i = 0; i < 65533; i++) {
    const n = ((h + i) % 65533) + 2; // 0.2 … 255.254; 0.0 and 0.1 (the ndmz gateway) excluded
    const ip = `100.127.${n >> 8}.${n & 255}`;
    if ((n & 255) !== 255 && (n & 255) !== 0 && !taken.has(ip)) return ip;
  }
  throw new Error("the ndmz range 100.127.0.0/16 is full");
}

export class NetworkService {
  readonly layout: Layout;
  readonly #apply: Apply;
  readonly #store: Store;
  #hostReady = false;
  // one workload at a time: the port registry and ndmz addresses are read-modify-write
  #queue: Promise<unknown> = Promise.resolve();

  constructor(layout: Layout, apply: Apply, store: Store) {
    this.layout = layout;
    this.#apply = apply;
    this.#store = store;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.#queue.then(fn);
    this.#queue = r.catch(() => {});
    return r;
  }

  async records(): Promise<NrRecord[]> {
    const out: NrRecord[] = [];
    for (const k of await this.#store.list("nr/")) {
      const v = await this.#store.get(k);
      if (v) out.push(JSON.parse(dec.decode(v)) as NrRecord);
    }
    return out;
  }

  async ensureHost(): Promise<void> {
    if (this.#hostReady) return;
    await this.#apply(hostOps(this.layout));
    this.#hostReady = true;
  }

  provision(req: WorkloadRequest): Promise<unknown> {
    return this.#serial(async () => {
      if (req.type === "network-light") {
        throw new WorkloadInputError("network-light is not supported on this node: it is the v3light/v4 flavour (mycelium-only NRs), and this node runs the full v3 network stack; deploy a `network` workload instead");
      }
      if (req.type === "vm-tap") {
        const nr = (await this.records()).find((r) => r.netId === networkId(req.twin, req.name));
        const t = tapOps(this.layout, req, nr && { netId: nr.netId, subnet: nr.subnet, ipRange: nr.config.ipRange });
        await this.#apply(t.ops);
        return t.info;
      }
      if (req.type !== "network") throw new WorkloadInputError(`${req.type} workloads are not handled by the network module`);
      const c = nrConfig(req.twin, req.name, req.data);
      const all = await this.records();
      const mine = all.find((r) => r.netId === c.netId);
      if (mine && mine.workloadId !== req.workloadId) {
        throw new WorkloadInputError(`network ${req.name} of twin ${req.twin} already exists as workload ${mine.workloadId}`);
      }
      const clash = all.find((r) => r.port === c.port && r.netId !== c.netId);
      if (clash) throw new WorkloadInputError(`wireguard listen port ${c.port} already in use by another network on this node; pick another wireguard_listen_port`);
      const ndmzIp = mine?.ndmzIp ?? ndmzCandidate(c.netId, new Set(all.map((r) => r.ndmzIp)));
      const rec: NrRecord = { workloadId: req.workloadId, twin: req.twin, name: req.name, netId: c.netId, port: c.port, ndmzIp, subnet: c.subnet, config: c };
      // recorded before it is built, so a crash half-way leaves a record that delete or replay converges
      await this.#store.put(`nr/${c.netId}`, enc.encode(JSON.stringify(rec)));
      await this.ensureHost();
      const n = names(c.netId);
      let routes: { dst: string; dev: string }[] = [];
      if (mine) {
        try {
          [routes] = (await this.#apply([{ op: "route.list", ns: n.ns }])) as { dst: string; dev: string }[][];
        } catch { /* namespace not there yet: built from scratch */ }
      }
      await this.#apply(nrOps(this.layout, c, ndmzIp, routes));
      return null; // a network workload has no result data (Zero-OS)
    });
  }

  deprovision(req: { twin: number; name: string; workloadId: string; type?: string; data?: Record<string, unknown> }): Promise<void> {
    return this.#serial(async () => {
      if (req.type === "vm-tap") {
        const present = new Set((await this.#links(this.layout.host)).map((l) => l.name));
        await this.#apply(untapOps(this.layout, { ...req, data: req.data ?? {} }, present));
        return;
      }
      const all = await this.records();
      const rec = all.find((r) => r.workloadId === req.workloadId);
      if (!rec) return;
      await this.#apply(nrDeleteOps(this.layout, rec.netId));
      await this.#store.delete(`nr/${rec.netId}`);
    });
  }

  /** Re-applies every recorded NR (module restart: converge what a crash may have left half-built). */
  async restore(): Promise<void> {
    for (const r of await this.records()) {
      await this.provision({ twin: r.twin, workloadId: r.workloadId, name: r.name, type: "network", data: rawData(r.config) }).catch((e) =>
        console.error(`network: restoring ${r.workloadId}: ${(e as Error).message}`)
      );
    }
  }

  async #links(ns: string): Promise<LinkView[]> {
    try {
      return ((await this.#apply([{ op: "link.list", ns }]))[0] ?? []) as LinkView[];
    } catch {
      return [];
    }
  }

  async query(what: string, _args: unknown): Promise<unknown> {
    const ips = (l: LinkView | undefined): string[] => (l?.addresses ?? []).map((a) => a.split("/")[0]).filter((a) => !a.startsWith("fe80"));
    switch (what) {
      case "wg_ports":
        return (await this.records()).map((r) => r.port).sort((a, b) => a - b);
      case "interfaces": {
        const host = await this.#links(this.layout.host);
        return { zos: ips(host.find((l) => l.name === "zos")), ygg: [] };
      }
      case "has_ipv6": {
        const pub = this.layout.public ? await this.#links(this.layout.public) : [];
        // a global IPv6 on the node's public link (not loopback, link-local or the private fd00::/8)
        return pub.some((l) => l.name === "public" && ips(l).some((a) => a.includes(":") && !a.startsWith("fd") && a !== "::1"));
      }
      case "public_config": {
        const pub = this.layout.public ? await this.#links(this.layout.public) : [];
        const l = pub.find((x) => x.name === "public");
        if (!l) throw new Error("no public config: this node has no public namespace (the farmer has not set a public config)");
        const v4 = l.addresses.find((a) => !a.includes(":")) ?? "";
        const v6 = l.addresses.find((a) => a.includes(":") && !a.startsWith("fe80")) ?? "";
        const routes = ((await this.#apply([{ op: "route.list", ns: this.layout.public }]))[0] ?? []) as { dst: string; via: string }[];
        const gw4 = routes.find((r) => r.dst === "default" && r.via && !r.via.includes(":"))?.via ?? "";
        const gw6 = routes.find((r) => r.dst === "default" && r.via.includes(":"))?.via ?? "";
        return { type: "vlan", ipv4: v4, ipv6: v6, gw4, gw6, domain: "" };
      }
      case "admin_interfaces": {
        const host = await this.#links(this.layout.host);
        return Object.fromEntries(host.filter((l) => l.name !== "lo").map((l) => [l.name, { ips: ips(l), mac: l.mac }]));
      }
      case "public_nic":
        // a dev/host node has one uplink: Zero-OS's "single NIC" shape
        return { is_single: true, is_dual: false, dual_interface: "" };
      case "nrs":
        return (await this.records()).map((r) => ({ workload_id: r.workloadId, net_id: r.netId, port: r.port, subnet: r.subnet, ndmz_ip: r.ndmzIp }));
      default:
        throw new Error(`network: unknown query "${what}"`);
    }
  }
}

/** The workload data of a stored config, as the workload carried it. */
function rawData(c: NrConfig): Record<string, unknown> {
  return {
    ip_range: c.ipRange, subnet: c.subnet, wireguard_private_key: c.privateKey, wireguard_listen_port: c.port,
    peers: c.peers.map((p) => ({ subnet: p.subnet, wireguard_public_key: p.public_key, allowed_ips: p.allowed_ips, endpoint: p.endpoint })),
  };
}

export { WorkloadInputError };
