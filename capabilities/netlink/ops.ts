// The network resource the driver holds: namespaces pinned under one folder (never global names, so two
// nodes on one host cannot collide), links, addresses, routes, sysctls and nftables inside them, and
// WireGuard devices. rtnetlink messages go straight to the kernel over a socket opened inside the target
// namespace (sys.ts); nft, tap creation and wireguard-go are the only processes spawned.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { type Sys } from "./sys.ts";
import { bin } from "./bins.ts";
import { EEXIST, ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL, NetlinkError, RtnlSocket, seq } from "./rtnl-socket.ts";
import * as m from "../lib/netlink/codec.ts";
import { pinWgMountNamespace, startWireguardGo, uapi, uapiSet, type WgConfig } from "./wireguard.ts";

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}$/;

export interface LinkView {
  name: string;
  kind: string;
  up: boolean;
  mtu: number;
  mac: string;
  master: string;
  addresses: string[];
}

export interface RouteView {
  dst: string;
  via: string;
  dev: string;
}

function run(argv: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin(argv[0]), argv.slice(1), { stdio: ["pipe", "ignore", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    let err = "";
    c.stderr.on("data", (d) => (err += d.toString()));
    c.on("error", (e) => reject(new Error(`${argv[0]}: ${e.message}`)));
    c.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${argv.slice(0, 4).join(" ")} failed: ${err.trim() || `exit ${code}`}`))));
    c.stdin.end(input ?? "");
  });
}

function runOut(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin(argv[0]), argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    let out = "", err = "";
    c.stdout.on("data", (d) => (out += d.toString()));
    c.stderr.on("data", (d) => (err += d.toString()));
    c.on("error", (e) => reject(new Error(`${argv[0]}: ${e.message}`)));
    c.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.slice(0, 4).join(" ")} failed: ${err.trim() || `exit ${code}`}`))));
  });
}

/** The nftables table (bridge family) holding the public IP anti-spoof filters, one chain per workload. */
export const PUBIP_TABLE = "zos-pubip";

export class NetOps {
  readonly pinDir: string;
  readonly uapiDir: string;
  readonly #sys: Sys;
  readonly #sockets = new Map<string, RtnlSocket>();
  readonly #wg = new Map<string, { child: ChildProcess; socket: string }>();
  readonly #starting = new Map<string, Promise<void>>();
  #mnt: Promise<string> | null = null;
  /** namespace → its shared pin (nsShare), made once per driver start */
  readonly #shares = new Map<string, string>();

  constructor(sys: Sys, pinDir: string, uapiDir: string) {
    this.#sys = sys;
    this.pinDir = pinDir;
    this.uapiDir = uapiDir;
    mkdirSync(pinDir, { recursive: true, mode: 0o700 });
    mkdirSync(uapiDir, { recursive: true, mode: 0o700 });
    this.#unshareAll(); // what an earlier run shared (a killed driver): its holders ask again
  }

  /** Where shared pins live: `<state>/shared/<random>/<namespace>`, beside the pin folder. */
  get shareDir(): string {
    return join(dirname(this.pinDir), "shared");
  }

  /**
   * A pin of `ns` another uid can open by path — the gateway driver's nsenter (it holds CAP_SYS_ADMIN) puts
   * its proxy in `public` with it — at `<state>/shared/<128 random bits>/<ns>`: the driver's state folder and
   * `shared/` become traversable but not listable (0711), so only a holder told the path reaches the pin;
   * the namespace pins and the UAPI folder stay 0700. Nothing else of the namespace is handed out.
   */
  nsShare(ns: string): string {
    if (!ns) throw new Error("the host namespace is not shared");
    if (!this.nsExists(ns)) throw new Error(`namespace "${ns}" does not exist`);
    const known = this.#shares.get(ns);
    if (known && existsSync(known)) return known;
    chmodSync(this.pinDir, 0o700);
    chmodSync(this.uapiDir, 0o700);
    chmodSync(dirname(this.pinDir), 0o711);
    mkdirSync(this.shareDir, { recursive: true, mode: 0o711 });
    chmodSync(this.shareDir, 0o711);
    const dir = join(this.shareDir, randomBytes(16).toString("hex"));
    mkdirSync(dir, { mode: 0o711 });
    const pin = join(dir, ns);
    this.#sys.bindPin(this.pin(ns), pin);
    this.#shares.set(ns, pin);
    return pin;
  }

  #unshareAll(): void {
    if (!existsSync(this.shareDir)) return;
    for (const d of readdirSync(this.shareDir)) {
      const dir = join(this.shareDir, d);
      for (const f of existsSync(dir) ? readdirSync(dir) : []) this.#sys.removePin(join(dir, f));
      rmSync(dir, { recursive: true, force: true });
    }
    this.#shares.clear();
  }

  pin(ns: string): string {
    if (!ns) return "";
    if (!NAME_RE.test(ns)) throw new Error(`"${ns}" is not a valid namespace name (letters, digits, . _ -; at most 63)`);
    return join(this.pinDir, ns);
  }

  #sock(ns: string): RtnlSocket {
    let s = this.#sockets.get(ns);
    if (!s) {
      if (ns && !this.nsExists(ns)) throw new Error(`namespace "${ns}" does not exist`);
      s = new RtnlSocket(this.#sys.netlink(this.pin(ns)));
      this.#sockets.set(ns, s);
    }
    return s;
  }

  #dropSocket(ns: string): void {
    this.#sockets.get(ns)?.close();
    this.#sockets.delete(ns);
  }

  // --- namespaces --------------------------------------------------------------------------------

  nsExists(ns: string): boolean {
    return existsSync(this.pin(ns));
  }

  nsList(): string[] {
    return readdirSync(this.pinDir).sort();
  }

  /** Creates the namespace (lo up); no-op when it exists. */
  nsAdd(ns: string): void {
    if (!ns) throw new Error("the host namespace always exists");
    if (this.nsExists(ns)) return;
    this.#sys.createNamespace(this.pin(ns));
    const s = this.#sock(ns);
    s.request(`lo up in ${ns}`, m.setLink(seq(), 1, { up: true }));
  }

  /** Removes the namespace: every link in it goes too (wireguard-go whose TUN lived there exits). */
  nsDel(ns: string): void {
    if (!ns) throw new Error("the host namespace cannot be removed");
    this.#dropSocket(ns);
    const shared = this.#shares.get(ns);
    if (shared) {
      this.#sys.removePin(shared); // else the shared pin would keep the namespace alive
      rmSync(dirname(shared), { recursive: true, force: true });
      this.#shares.delete(ns);
    }
    if (!this.nsExists(ns)) return;
    this.#sys.removePin(this.pin(ns));
  }

  // --- links -------------------------------------------------------------------------------------

  index(ns: string, name: string): number | null {
    const r = this.#sock(ns).get(`link ${name}`, m.getLink(seq(), name), [ENODEV, ENOENT]);
    return r ? m.decodeLink(r.body).index : null;
  }

  #need(ns: string, name: string): number {
    const i = this.index(ns, name);
    if (i === null) throw new Error(`no link "${name}" in ${ns ? `namespace "${ns}"` : "the host namespace"}`);
    return i;
  }

  links(ns: string): LinkView[] {
    const s = this.#sock(ns);
    const raw = s.dump("list links", m.dumpLinks(seq())).filter((x) => x.type === m.RTM_NEWLINK).map((x) => m.decodeLink(x.body));
    const byIndex = new Map(raw.map((l) => [l.index, l.name]));
    const addrs = s.dump("list addresses", m.dumpAddresses(seq())).filter((x) => x.type === m.RTM_NEWADDR).map((x) => m.decodeAddress(x.body));
    return raw.map((l) => ({
      name: l.name,
      kind: l.kind,
      up: l.up,
      mtu: l.mtu,
      mac: l.mac,
      master: l.master ? byIndex.get(l.master) ?? String(l.master) : "",
      addresses: addrs.filter((a) => a.index === l.index).map((a) => a.cidr),
    }));
  }

  /**
   * Creates a link in `ns` (or, with `into`, straight inside that namespace while its parent stays in `ns`);
   * when one of that name and kind exists already where it should end up, it is kept (idempotent).
   */
  linkAdd(ns: string, l: { name: string; kind: "bridge" | "veth" | "macvlan" | "dummy"; peer?: string; peerNs?: string; parent?: string; mtu?: number; into?: string; mac?: Uint8Array }): void {
    const s = this.#sock(ns);
    const where = l.into ?? ns;
    const existing = this.#sock(where).get(`link ${l.name}`, m.getLink(seq(), l.name), [ENODEV, ENOENT]);
    if (existing) {
      const kind = m.decodeLink(existing.body).kind;
      if (kind !== l.kind) throw new Error(`a ${kind || "physical"} link "${l.name}" exists where a ${l.kind} is wanted`);
      return;
    }
    const parentIndex = l.parent ? this.#need(ns, l.parent) : undefined;
    let peerFd: number | undefined;
    if (l.kind === "veth" && l.peerNs !== undefined && l.peerNs !== ns) peerFd = this.#nsFd(l.peerNs);
    const intoFd = where !== ns ? this.#nsFd(where) : undefined;
    try {
      s.request(`create ${l.kind} ${l.name}`, m.newLink(seq(), { name: l.name, kind: l.kind, peer: l.peer, peerNsFd: peerFd, parentIndex, mtu: l.mtu, nsFd: intoFd, mac: l.mac }));
    } finally {
      if (peerFd !== undefined) this.#sys.closeFd(peerFd);
      if (intoFd !== undefined) this.#sys.closeFd(intoFd);
    }
  }

  #nsFd(ns: string): number {
    if (!ns) return this.#sys.openFd("/proc/thread-self/ns/net");
    if (!this.nsExists(ns)) throw new Error(`namespace "${ns}" does not exist`);
    return this.#sys.openFd(this.pin(ns));
  }

  linkSet(ns: string, name: string, c: { up?: boolean; master?: string | null; mtu?: number }): void {
    const i = this.#need(ns, name);
    const master = c.master === undefined ? undefined : c.master === null || c.master === "" ? 0 : this.#need(ns, c.master);
    this.#sock(ns).request(`set ${name}`, m.setLink(seq(), i, { up: c.up, master, mtu: c.mtu }));
  }

  /** Moves a link into another namespace (it arrives down). No-op when it is already there. */
  linkMove(ns: string, name: string, into: string): void {
    const i = this.index(ns, name);
    if (i === null) {
      if (this.index(into, name) !== null) return;
      throw new Error(`no link "${name}" in ${ns ? `namespace "${ns}"` : "the host namespace"} to move`);
    }
    const fd = this.#nsFd(into);
    try {
      this.#sock(ns).request(`move ${name} to ${into || "host"}`, m.setLink(seq(), i, { nsFd: fd }));
    } finally {
      this.#sys.closeFd(fd);
    }
  }

  linkDel(ns: string, name: string): void {
    const i = this.index(ns, name);
    if (i === null) return;
    this.#sock(ns).request(`delete ${name}`, m.delLink(seq(), i), [ENODEV]);
  }

  // --- addresses and routes -----------------------------------------------------------------------

  addrAdd(ns: string, dev: string, cidr: string): void {
    this.#sock(ns).request(`address ${cidr} on ${dev}`, m.addAddress(seq(), this.#need(ns, dev), cidr));
  }

  addrDel(ns: string, dev: string, cidr: string): void {
    const i = this.index(ns, dev);
    if (i !== null) this.#sock(ns).request(`remove ${cidr} from ${dev}`, m.addAddress(seq(), i, cidr, true), [EADDRNOTAVAIL]);
  }

  routeAdd(ns: string, r: { dst: string; via?: string; dev?: string }): void {
    const oif = r.dev ? this.#need(ns, r.dev) : undefined;
    this.#sock(ns).request(`route ${r.dst}`, m.route(seq(), { dst: r.dst, via: r.via, oif }));
  }

  routeDel(ns: string, r: { dst: string; via?: string; dev?: string }): void {
    const oif = r.dev ? this.index(ns, r.dev) ?? undefined : undefined;
    this.#sock(ns).request(`remove route ${r.dst}`, m.route(seq(), { dst: r.dst, via: r.via, oif }, true), [ESRCH, ENOENT]);
  }

  routes(ns: string): RouteView[] {
    const s = this.#sock(ns);
    const names = new Map(s.dump("list links", m.dumpLinks(seq())).filter((x) => x.type === m.RTM_NEWLINK).map((x) => {
      const l = m.decodeLink(x.body);
      return [l.index, l.name] as const;
    }));
    const v4 = s.dump("list routes", m.dumpRoutes(seq()));
    return v4.filter((x) => x.type === m.RTM_NEWROUTE).map((x) => m.decodeRoute(x.body)).filter((r) => r.table === 254)
      .map((r) => ({ dst: r.dst, via: r.via, dev: names.get(r.oif) ?? "" }));
  }

  // --- sysctl, nftables, taps ---------------------------------------------------------------------

  /** Sets net.* sysctl `key` (dotted, e.g. net.ipv4.ip_forward) inside the namespace. */
  sysctl(ns: string, key: string, value: string): void {
    // interface names (net.ipv4.conf.<ifname>.*) may carry capitals (NR ids are base58); never "/" or ".."
    if (!/^net\.[A-Za-z0-9_.-]+$/.test(key) || key.includes("..")) throw new Error(`"${key}" is not a net.* sysctl`);
    if (!/^[0-9a-z -]{1,64}$/.test(value)) throw new Error(`"${value}" is not a sysctl value`);
    this.#sys.writeInNamespace(this.pin(ns), `/proc/sys/${key.replaceAll(".", "/")}`, value);
  }

  /** Replaces the namespace's whole nftables ruleset with `ruleset` (nft syntax) in one transaction. */
  async nft(ns: string, ruleset: string): Promise<void> {
    const text = `flush ruleset\n${ruleset}\n`;
    await run(ns ? ["nsenter", `--net=${this.pin(ns)}`, "--", "nft", "-f", "-"] : ["nft", "-f", "-"], text);
  }

  /**
   * Zero-OS's public IP anti-spoof filter (SetupPubIPFilter): frames bridged in from `iface` (a VM's public
   * tap on br-pub) must carry `mac` and, per family, the workload's own address (link-local IPv6 and DHCP/ND
   * bootstrapping aside) when the bridge forwards them. One base chain `name` per workload in table `bridge zos-pubip`, replaced whole in
   * one nft transaction, so the host's own firewall tables are never touched.
   */
  async pubipFilter(ns: string, f: { name: string; iface: string; mac: string; ip4?: string; ip6?: string }): Promise<void> {
    const rules = [
      `iifname != "${f.iface}" accept`,
      `ether saddr != ${f.mac} drop`,
      f.ip4 ? `arp saddr ip != ${f.ip4} drop` : "ether type arp drop",
      f.ip4 ? `ip saddr != { 0.0.0.0, ${f.ip4} } drop` : "ether type ip drop",
      f.ip6 ? `ip6 saddr != { ::, fe80::/10, ${f.ip6} } drop` : "ip6 saddr != { ::, fe80::/10 } drop",
      // a VM must not act as the LAN's router or DHCP server (Zero-OS drops the same)
      "icmpv6 type nd-router-advert drop",
      "udp sport { 67, 547 } drop",
    ];
    const chain = `bridge ${PUBIP_TABLE} ${f.name}`;
    const text = [
      `add table bridge ${PUBIP_TABLE}`,
      `add chain ${chain} { type filter hook forward priority 0; policy accept; }`,
      `flush chain ${chain}`,
      ...rules.map((r) => `add rule ${chain} ${r}`),
    ].join("\n");
    await this.#nftScript(ns, text);
  }

  /** Removes the filter chain `name` (no-op when it is gone). */
  async pubipUnfilter(ns: string, name: string): Promise<void> {
    await this.#nftScript(ns, [`add table bridge ${PUBIP_TABLE}`, `add chain bridge ${PUBIP_TABLE} ${name}`, `delete chain bridge ${PUBIP_TABLE} ${name}`].join("\n"));
  }

  /** The filter chains in the namespace's zos-pubip table. */
  async pubipList(ns: string): Promise<string[]> {
    const out = await runOut(ns ? ["nsenter", `--net=${this.pin(ns)}`, "--", "nft", "-j", "list", "table", "bridge", PUBIP_TABLE] : ["nft", "-j", "list", "table", "bridge", PUBIP_TABLE]).catch(() => "");
    if (!out) return [];
    const j = JSON.parse(out) as { nftables: { chain?: { name: string } }[] };
    return j.nftables.filter((x) => x.chain).map((x) => x.chain!.name).sort();
  }

  #nftScript(ns: string, text: string): Promise<void> {
    return run(ns ? ["nsenter", `--net=${this.pin(ns)}`, "--", "nft", "-f", "-"] : ["nft", "-f", "-"], `${text}\n`);
  }

  /** A persistent tap (ip tuntap: the ioctl path), optionally attached to a bridge. */
  /** `user`: the uid that may attach the persistent tap without CAP_NET_ADMIN (the hypervisor driver's). */
  async tapAdd(ns: string, name: string, master?: string, user?: number): Promise<void> {
    if (this.index(ns, name) === null) {
      const ip = ["ip", "tuntap", "add", "dev", name, "mode", "tap", ...(user === undefined ? [] : ["user", String(user)])];
      // ip opens /dev/net/tun, root-only without udev: under its own uid the driver goes through its own TUN
      // node, bound over /dev/net/tun in the mount namespace its wireguard-go processes share
      const tun = join(dirname(this.uapiDir), "tun");
      const mnt = existsSync(tun) ? await this.#wgMount(tun) : "";
      const enter = [...(ns ? [`--net=${this.pin(ns)}`] : []), ...(mnt ? [`--mount=${mnt}`] : [])];
      await run(enter.length ? ["nsenter", ...enter, "--", ...ip] : ip);
    }
    if (master) this.linkSet(ns, name, { master, up: true });
  }

  // --- WireGuard ----------------------------------------------------------------------------------

  wgSocket(name: string): string {
    return join(this.uapiDir, `${name}.sock`);
  }

  /**
   * A WireGuard device `name` whose UDP socket lives in `listenNs`, moved into `into`, up, with `address`
   * and configured. Idempotent: an existing device (found by its UAPI socket) is reconfigured in place.
   */
  async wgUp(o: { listenNs: string; into: string; name: string; address?: string; config: WgConfig }): Promise<void> {
    const set = uapiSet(o.config); // validates the keys before anything is started
    await this.wgStart(o.listenNs, o.name);
    if (o.into !== o.listenNs) this.linkMove(o.listenNs, o.name, o.into);
    uapi(this.#sys, this.wgSocket(o.name), set);
    if (o.address) this.addrAdd(o.into, o.name, o.address);
    this.linkSet(o.into, o.name, { up: true });
  }

  /**
   * Starts wireguard-go for `name` in `listenNs` unless its UAPI socket exists (or a start is under way);
   * resolves once the socket is there. A batch calls it ahead (the process start is the slowest step of
   * an NR), so it runs while the rtnetlink operations before wg.up go on.
   */
  wgStart(listenNs: string, name: string): Promise<void> {
    const pending = this.#starting.get(name);
    if (pending) return pending;
    const sock = this.wgSocket(name);
    if (existsSync(sock)) {
      if (this.#wgAnswers(sock)) return Promise.resolve();
      // a socket file nobody answers on: its wireguard-go was killed (kill -9 leaves the file), start anew
      rmSync(sock, { force: true });
    }
    const tun = join(dirname(this.uapiDir), "tun");
    const tunNode = existsSync(tun) ? tun : "";
    const start = async () => {
      const mnt = await this.#wgMount(tunNode);
      try {
        return await startWireguardGo(this.pin(listenNs), this.uapiDir, name, tunNode, mnt);
      } catch (e) {
        // entering a mount namespace needs CAP_SYS_CHROOT: without it, every device gets its own mounts
        if (!mnt || !/reassociate to namespace 'ns\/mnt'/.test((e as Error).message)) throw e;
        this.#mnt = Promise.resolve("");
        this.#sys.removePin(mnt);
        return await startWireguardGo(this.pin(listenNs), this.uapiDir, name, tunNode);
      }
    };
    const started = start().then((p) => {
      this.#wg.set(name, p);
      p.child.on("exit", () => this.#wg.delete(name));
    }).finally(() => this.#starting.delete(name));
    this.#starting.set(name, started);
    return started;
  }

  /**
   * Whether device `name` in `ns` has a live wireguard-go behind it: its link is there and the process is
   * running — our child not exited, or (one a previous instance of this driver started) its UAPI socket
   * answers. A start under way counts as alive. Callers (the network module's watch) rebuild what is not.
   */
  wgAlive(ns: string, name: string): boolean {
    if (this.#starting.has(name)) return true;
    if (!this.nsExists(ns) && ns !== "") return false;
    if (this.index(ns, name) === null) return false;
    const mine = this.#wg.get(name);
    if (mine) return mine.child.exitCode === null && mine.child.signalCode === null;
    const sock = this.wgSocket(name);
    return existsSync(sock) && this.#wgAnswers(sock);
  }

  /** Whether a wireguard-go answers a UAPI get on `sock` (refused or silent: none runs behind the file). */
  #wgAnswers(sock: string): boolean {
    try {
      this.#sys.unixExchange(sock, "get=1\n\n", 2000);
      return true;
    } catch {
      return false;
    }
  }

  /** The shared wireguard-go mount namespace's pin ("" = none here), made once by this instance. */
  #wgMount(tunNode: string): Promise<string> {
    if (!this.#mnt) {
      const pin = join(dirname(this.uapiDir), "wg-mnt");
      if (existsSync(pin)) this.#sys.removePin(pin); // a stale one (a driver that was killed): made fresh
      writeFileSync(pin, "", { mode: 0o400 });
      this.#mnt = pinWgMountNamespace(pin, this.uapiDir, tunNode).then((ok) => {
        if (ok) return pin;
        this.#sys.removePin(pin);
        return "";
      });
    }
    return this.#mnt;
  }

  async wgSet(name: string, config: WgConfig): Promise<void> {
    uapi(this.#sys, this.wgSocket(name), uapiSet(config));
  }

  async wgGet(name: string): Promise<Record<string, string | string[]>> {
    const lines = uapi(this.#sys, this.wgSocket(name), "get=1\n\n");
    const out: Record<string, string | string[]> = {};
    const peers: string[] = [];
    for (const l of lines) {
      const [k, v] = [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)];
      if (k === "private_key") continue; // never leaves the driver
      if (k === "public_key") peers.push(v);
      else if (!(k in out)) out[k] = v;
    }
    out.peers = peers;
    return out;
  }

  /** Stops the device's wireguard-go (its TUN goes with it). */
  async wgDown(name: string): Promise<void> {
    const p = this.#wg.get(name);
    if (p) {
      const gone = new Promise((r) => p.child.once("exit", r));
      p.child.kill("SIGTERM");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
      return;
    }
    // Not started by this process (a driver restart): ask it to stop by removing its socket's device.
    // wireguard-go exits when its TUN disappears or its socket file is removed (inotify).
    const sock = this.wgSocket(name);
    if (existsSync(sock)) {
      const { rmSync } = await import("node:fs");
      rmSync(sock, { force: true });
    }
  }

  wgNames(): string[] {
    return readdirSync(this.uapiDir).filter((f) => f.endsWith(".sock")).map((f) => f.slice(0, -5));
  }

  /** Closes every socket and stops every wireguard-go this process started. */
  async close(): Promise<void> {
    await Promise.all([...this.#wg.keys()].map((n) => this.wgDown(n)));
    for (const ns of [...this.#sockets.keys()]) this.#dropSocket(ns);
    if (this.#mnt && await this.#mnt) this.#sys.removePin(await this.#mnt);
    this.#mnt = null;
  }

  /** Orderly node stop: nothing of the node's network stays behind (the network module rebuilds it at start). */
  async teardown(): Promise<void> {
    await this.close();
    this.#unshareAll();
    for (const ns of this.nsList()) this.nsDel(ns);
  }
}

export { NetlinkError, EEXIST };
