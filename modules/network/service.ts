// The network module's logic, bound to two small ports so tests can run it without the kernel: `apply`
// (the netlink grant) and a key-value store (the kv grant). It keeps one record per NR (its config, ndmz
// address and WireGuard port), converges NRs on provision/update, removes them on delete, and answers
// the zos.network.* queries from the namespaces themselves.
import { hostOps, type Layout, names, nrConfig, type NrConfig, nrDeleteOps, nrOps, WorkloadInputError } from "./nr.ts";
import {
  type IpResult, macOf, pubipFilterOp, pubipUnfilterOp, pubNames, type PublicConfig, publicConfigOf, publicOps, reservedIpsOf, slaacOf,
} from "./public.ts";
import { networkId, tapOps, untapOps } from "./taps.ts";
import { checkBackends, type GatewayLinkRecord, GW_LINK_PUBLIC, linkName, linkOps, unlinkOps } from "./gateway-link.ts";

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
  /** the node contract (ip workloads take their IPv4 from its reserved public IPs) */
  contract?: string | number;
}

/** What the module reads from chain (the chain reader grant): this node's record and node contracts. */
export interface ChainPort {
  /** TfgridModule.Nodes(this node) as JSON; null while the node is not registered */
  node(): Promise<unknown>;
  contract(id: number): Promise<unknown>;
}

export interface IpRecord {
  workloadId: string;
  twin: number;
  contract: number;
  type: string;
  result: IpResult;
}

interface LinkView {
  name: string;
  kind: string;
  mac: string;
  master: string;
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

  readonly #chain: ChainPort | null;

  constructor(layout: Layout, apply: Apply, store: Store, chain: ChainPort | null = null) {
    this.layout = layout;
    this.#apply = apply;
    this.#store = store;
    this.#chain = chain;
  }

  async #getJson<T>(key: string): Promise<T | null> {
    const v = await this.#store.get(key);
    return v ? JSON.parse(dec.decode(v)) as T : null;
  }

  #putJson(key: string, value: unknown): Promise<void> {
    return this.#store.put(key, enc.encode(JSON.stringify(value)));
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
    if (req.type === "ip" || req.type === "ipv4") return this.#serial(() => this.#provisionIp(req));
    return this.#serial(async () => {
      if (req.type === "network-light") {
        throw new WorkloadInputError("network-light is not supported on this node: it is the v3light/v4 flavour (mycelium-only NRs), and this node runs the full v3 network stack; deploy a `network` workload instead");
      }
      if (req.type === "gateway-link") return await this.#gatewayLink(req);
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
      await this.#buildNr(rec, !!mine);
      return null; // a network workload has no result data (Zero-OS)
    });
  }

  /** Converges NR `rec`; `exists`: it was built before, so its current routes are read to drop stale ones. */
  async #buildNr(rec: NrRecord, exists: boolean): Promise<void> {
    let routes: { dst: string; dev: string }[] = [];
    if (exists) {
      try {
        [routes] = (await this.#apply([{ op: "route.list", ns: names(rec.netId).ns }])) as { dst: string; dev: string }[][];
      } catch { /* namespace not there yet: built from scratch */ }
    }
    await this.#apply(nrOps(this.layout, rec.config, rec.ndmzIp, routes));
  }

  /**
   * The WireGuard watch: asks the driver whether every recorded NR's device still has a live wireguard-go
   * (wg.alive: our child not exited, or its UAPI socket answering) and rebuilds the NRs whose wireguard-go
   * died — a kill -9 takes the TUN device, its address and the peer routes with it, and nothing else would
   * notice while this module and the driver stay up. Answers the network ids it rebuilt.
   */
  watchWireguard(): Promise<string[]> {
    return this.#serial(async () => {
      const recs = await this.records();
      if (!recs.length) return [];
      const alive = await this.#apply(recs.map((r) => ({ op: "wg.alive", ns: names(r.netId).ns, name: names(r.netId).wg })));
      const healed: string[] = [];
      for (const [i, r] of recs.entries()) {
        if (alive[i] === true) continue;
        try {
          await this.ensureHost();
          await this.#buildNr(r, true);
          healed.push(r.netId);
        } catch (e) {
          console.error(`network: rebuilding NR ${r.netId} after its wireguard-go died: ${(e as Error).message}`);
        }
      }
      return healed;
    });
  }

  deprovision(req: { twin: number; name: string; workloadId: string; type?: string; data?: Record<string, unknown> }): Promise<void> {
    return this.#serial(async () => {
      if (req.type === "gateway-link") return await this.#gatewayUnlink(req.workloadId);
      if (req.type === "vm-tap") {
        const present = new Set((await this.#links(this.layout.host)).map((l) => l.name));
        await this.#apply(untapOps(this.layout, { ...req, data: req.data ?? {} }, present));
        return;
      }
      const ip = await this.#getJson<IpRecord>(`ip/${req.workloadId}`);
      if (ip || req.type === "ip" || req.type === "ipv4") {
        // the filter goes first: a record left after a crash here is removed by the next delete
        await this.#apply([pubipUnfilterOp(this.layout, req.workloadId)]);
        await this.#store.delete(`ip/${req.workloadId}`);
        return;
      }
      const all = await this.records();
      const rec = all.find((r) => r.workloadId === req.workloadId);
      if (!rec) return;
      await this.#apply(nrDeleteOps(this.layout, rec.netId));
      await this.#store.delete(`nr/${rec.netId}`);
    });
  }

  async #gatewayLinks(): Promise<GatewayLinkRecord[]> {
    const out: GatewayLinkRecord[] = [];
    for (const k of await this.#store.list("gwlink/")) {
      const v = await this.#getJson<GatewayLinkRecord>(k);
      if (v) out.push(v);
    }
    return out;
  }

  /** The gateway's way into the twin's NR `name` for `data.backends` (gateway-link.ts); answers {link, source}. */
  async #gatewayLink(req: WorkloadRequest): Promise<unknown> {
    const pub = this.layout.public;
    if (!pub) throw new WorkloadInputError("backends over a user network need the node's public namespace, which this node does not have");
    const nr = (await this.records()).find((r) => r.netId === networkId(req.twin, req.name));
    if (!nr) {
      throw new WorkloadInputError(`network "${req.name}" of twin ${req.twin} does not exist on this node: add this node to the network (deploy its network workload here) first`);
    }
    const backends = checkBackends(req.data?.backends, { name: req.name, subnet: nr.subnet });
    const g = linkName(nr.netId);
    const [routes] = (await this.#apply([{ op: "route.list", ns: pub }])) as { dst: string; dev: string }[][];
    for (const ip of backends) {
      const r = routes.find((x) => x.dst === `${ip}/32`);
      if (r && r.dev !== g) throw new WorkloadInputError(`backend ${ip} is already reached through another network on this gateway; a gateway node reaches one network per private address`);
    }
    const present = (await this.#links(pub)).some((l) => l.name === g);
    const add = backends.filter((ip) => !routes.some((x) => x.dst === `${ip}/32` && x.dev === g));
    // recorded before it is built: a crash half-way is converged by delete or restore
    await this.#putJson(`gwlink/${req.workloadId}`, { workloadId: req.workloadId, netId: nr.netId, backends } satisfies GatewayLinkRecord);
    await this.#apply(linkOps(this.layout, nr.netId, present, add));
    return { link: g, source: GW_LINK_PUBLIC };
  }

  async #gatewayUnlink(workloadId: string): Promise<void> {
    const rec = await this.#getJson<GatewayLinkRecord>(`gwlink/${workloadId}`);
    if (!rec) return;
    const others = (await this.#gatewayLinks()).filter((r) => r.workloadId !== workloadId);
    const present = this.layout.public !== "" && (await this.#links(this.layout.public)).some((l) => l.name === linkName(rec.netId));
    await this.#apply(unlinkOps(this.layout, rec, others, present));
    await this.#store.delete(`gwlink/${workloadId}`);
  }

  /** Re-applies every recorded NR and public IP filter (module restart: converge what a crash may have left half-built). */
  async restore(): Promise<void> {
    for (const r of await this.ipRecords()) {
      await this.provision({ twin: r.twin, workloadId: r.workloadId, name: "", type: r.type, contract: r.contract, data: { v4: r.result.ip !== "", v6: r.result.ip6 !== "" } })
        .catch((e) => console.error(`network: restoring ${r.workloadId}: ${(e as Error).message}`));
    }
    for (const r of await this.records()) {
      await this.provision({ twin: r.twin, workloadId: r.workloadId, name: r.name, type: "network", data: rawData(r.config) }).catch((e) =>
        console.error(`network: restoring ${r.workloadId}: ${(e as Error).message}`)
      );
    }
    const nrs = await this.records();
    for (const g of await this.#gatewayLinks()) {
      const nr = nrs.find((r) => r.netId === g.netId);
      if (!nr) continue; // its network is gone: the link went with the namespace
      await this.provision({ twin: nr.twin, workloadId: g.workloadId, name: nr.name, type: "gateway-link", data: { backends: g.backends } })
        .catch((e) => console.error(`network: restoring gateway link ${g.workloadId}: ${(e as Error).message}`));
    }
  }

  async ipRecords(): Promise<IpRecord[]> {
    const out: IpRecord[] = [];
    for (const k of await this.#store.list("ip/")) {
      const r = await this.#getJson<IpRecord>(k);
      if (r) out.push(r);
    }
    return out;
  }

  /**
   * An `ip` (or deprecated `ipv4`) workload as Zero-OS's pubip manager: the IPv4 is the first public IP the
   * node contract reserved on chain that no other ip workload of that contract holds; the IPv6 the address
   * the VM's public tap (MAC from its name) takes by SLAAC in the node's public /64; then the anti-spoof
   * filter for that tap on br-pub. The result is stable: provisioning again returns what was assigned.
   */
  async #provisionIp(req: WorkloadRequest): Promise<IpResult | Omit<IpResult, "ip6">> {
    const v4 = req.type === "ipv4" || req.data.v4 === true;
    const v6 = req.type === "ip" && req.data.v6 === true;
    if (!v4 && !v6) throw new WorkloadInputError("public ip workload with no selections: set v4 and/or v6");
    const contract = Number(req.contract);
    const show = (r: IpResult) => (req.type === "ipv4" ? { ip: r.ip, gateway: r.gateway } : r);
    const known = await this.#getJson<IpRecord>(`ip/${req.workloadId}`);
    if (known && (known.result.ip !== "") === v4 && (known.result.ip6 !== "") === v6) {
      await this.ensureHost();
      await this.#apply([pubipFilterOp(this.layout, req.workloadId, known.result)]);
      return show(known.result);
    }
    const result: IpResult = { ip: "", ip6: "", gateway: "" };
    if (v4) {
      if (!this.#chain) throw new Error("public IPv4 needs the chain (this node's network module has no chain reader)");
      if (!Number.isInteger(contract) || contract <= 0) throw new Error("the workload carries no node contract id");
      const reserved = reservedIpsOf(await this.#chain.contract(contract));
      const taken = new Set((await this.ipRecords()).filter((r) => r.contract === contract && r.workloadId !== req.workloadId).map((r) => r.result.ip));
      const free = reserved.find((x) => !taken.has(x.ip));
      if (!free) {
        throw new WorkloadInputError(
          `could not allocate a public IPv4: contract ${contract} reserved ${reserved.length} public IP(s) and ${taken.size} ip workload(s) of it hold them; ` +
            "create the contract with public_ips equal to the number of ip workloads that set v4",
        );
      }
      result.ip = free.ip;
      result.gateway = free.gateway;
    }
    if (v6) {
      const pc = await this.#applied();
      if (!pc?.ipv6) throw new WorkloadInputError("this node has no public IPv6: the farmer's public config sets none (deploy with v6 false or pick a node with IPv6)");
      result.ip6 = slaacOf(pc.ipv6, macOf(pubNames(req.workloadId).tap));
    }
    const rec: IpRecord = { workloadId: req.workloadId, twin: req.twin, contract, type: req.type, result };
    await this.#putJson(`ip/${req.workloadId}`, rec);
    await this.ensureHost();
    await this.#apply([pubipFilterOp(this.layout, req.workloadId, result)]);
    return show(result);
  }

  #applied(): Promise<PublicConfig | null> {
    return this.#getJson<PublicConfig>("public/applied");
  }

  /**
   * Reads the farmer's public config of this node from chain and puts it on the `public` namespace when it
   * changed since it was last applied (or `force`, after a restart). Returns the config now in effect.
   */
  syncPublicConfig(force = false): Promise<PublicConfig | null> {
    return this.#serial(async () => {
      if (!this.#chain || !this.layout.public) return null;
      const node = await this.#chain.node();
      if (!node) return await this.#applied(); // not registered yet: nothing to compare with
      const want = publicConfigOf(node);
      const was = await this.#applied();
      if (!force && JSON.stringify(want) === JSON.stringify(was)) return want;
      await this.setPublicConfig(want, was);
      return want;
    });
  }

  /** Converges the `public` namespace from `was` to `want` and records `want`. */
  async setPublicConfig(want: PublicConfig | null, was: PublicConfig | null): Promise<void> {
    await this.ensureHost();
    const links = await this.#links(this.layout.public);
    await this.#apply(publicOps(this.layout, want, was, links.some((l) => l.name === "public")));
    if (want) await this.#putJson("public/applied", want);
    else await this.#store.delete("public/applied");
  }

  /** zos.admin.set_public_nic: "zos" = single NIC (br-pub shares the zos uplink), else that NIC joins br-pub. */
  setPublicNic(ifname: string): Promise<null> {
    return this.#serial(async () => {
      if (typeof ifname !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(ifname)) {
        throw new WorkloadInputError(`"${String(ifname)}" is not an interface name`);
      }
      await this.ensureHost();
      const host = await this.#links(this.layout.host);
      const old = await this.#getJson<{ ifname: string }>("public/nic");
      const ops: Record<string, unknown>[] = [];
      if (ifname !== "zos") {
        const l = host.find((x) => x.name === ifname);
        if (!l) throw new WorkloadInputError(`no interface "${ifname}" on this node (see zos.admin.interfaces)`);
        if (l.kind === "bridge" || l.kind === "macvlan" || ifname.startsWith("b-") || ifname.startsWith("p-") || ifname === "br-ndmz") {
          throw new WorkloadInputError(`"${ifname}" is a ${l.kind || "node"} interface of the node itself, not a physical NIC`);
        }
        if (l.master && l.master !== "br-pub") throw new WorkloadInputError(`"${ifname}" is already part of ${l.master}`);
      }
      if (old && old.ifname !== ifname && host.some((x) => x.name === old.ifname)) ops.push({ op: "link.set", ns: this.layout.host, name: old.ifname, master: null });
      if (ifname !== "zos") ops.push({ op: "link.set", ns: this.layout.host, name: ifname, master: "br-pub", up: true });
      if (ops.length) await this.#apply(ops);
      if (ifname === "zos") await this.#store.delete("public/nic");
      else await this.#putJson("public/nic", { ifname });
      return null;
    });
  }

  async #links(ns: string): Promise<LinkView[]> {
    try {
      return ((await this.#apply([{ op: "link.list", ns }]))[0] ?? []) as LinkView[];
    } catch {
      return [];
    }
  }

  async query(what: string, args: unknown): Promise<unknown> {
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
        // what the module applied from the farmer's config on chain (Zero-OS answers an error without one)
        const pc = await this.#applied();
        if (!pc) throw new Error("no public configuration is set for this node (the farmer sets it on chain)");
        return pc;
      }
      case "admin_interfaces": {
        const host = await this.#links(this.layout.host);
        return Object.fromEntries(host.filter((l) => l.name !== "lo").map((l) => [l.name, { ips: ips(l), mac: l.mac }]));
      }
      case "public_nic": {
        // "single NIC" unless the farmer gave br-pub a NIC of its own (set_public_nic)
        const nic = await this.#getJson<{ ifname: string }>("public/nic");
        return { is_single: !nic, is_dual: !!nic, dual_interface: nic?.ifname ?? "" };
      }
      case "set_public_nic":
        // the one changing verb of query (farmer-only, checked by the api): the NetworkManager schema stays as it is
        return await this.setPublicNic((args as { ifname?: string } | null)?.ifname ?? "");
      case "public_ips":
        return (await this.ipRecords()).flatMap((r) => [r.result.ip, r.result.ip6]).filter((x) => x).map((x) => x.split("/")[0]);
      case "ip_workloads":
        return (await this.ipRecords()).map((r) => ({ workload_id: r.workloadId, contract: r.contract, ...r.result }));
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
