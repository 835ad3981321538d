// A farm of QEMU nodes (`zos vm-test --nodes N`, `zos farm up --nodes N`): N images boot over iPXE from the
// dev grid's boot server, each with its own state and data disks, on one bridge inside a private network
// namespace (vm-tests/lib/farm-netns.ts). Everything of the farm runs inside that namespace: the dev grid
// (chain, relay, activation service, boot server) on its loopback, reached by the nodes through the bridge's
// gateway address (a TCP relay in this process), a DHCP server that leases each node its address and the
// iPXE boot file, and the QEMUs. All nodes register in farm 1; each answers over RMB; every guest's TCP
// ports are scanned from the bridge (only the 0-db server's 9900 may answer).
import { netbootInitrd } from "../rootfs/build.ts";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFarmNetns, FARM_GATEWAY, FARM_SUBNET, type FarmNode, farmNode, removeFarmNetns } from "./lib/farm-netns.ts";
import { DEFAULT_PORTS } from "./lib/port-probe.ts";
import { Vm } from "./lib/qemu.ts";
import { GATEWAY_PORT, ZDB_PORT } from "../kernel/pid1/init.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(HERE, "..");

export interface FarmOptions {
  nodes: number;
  outDir: string;
  /** per-node hard timeout for boot + registration */
  timeoutMs: number;
  keepLogs?: boolean;
  /** guest TCP ports scanned from the bridge */
  ports?: number[];
  /** `zos farm up`: keep the farm running until SIGINT/SIGTERM */
  hold?: boolean;
}

export interface FarmNodeResult {
  index: number;
  ip: string;
  readyMs?: number;
  log?: string | null;
}

export interface FarmResult {
  name: string;
  ok: boolean;
  seconds: number;
  namespace: string;
  nodes: FarmNodeResult[];
  /** the farm's nodes on the chain (node id, twin id) */
  registered?: { nodeId: number; twinId: number }[];
  /** the access node and the public config it applied */
  access?: { nodeId: number; publicConfig: unknown };
  milestones: Record<string, number>;
  notes: string[];
  error?: string;
}

/** Host side: make the namespace, run the farm inside it, remove the namespace (and whatever still runs there). */
export async function runFarm(o: FarmOptions, log: (line: string) => void = (l) => console.error(l)): Promise<FarmResult> {
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 8) throw new Error(`--nodes must be 1-8, got ${o.nodes}`);
  if (process.getuid?.() !== 0) throw new Error("a QEMU farm needs root (a network namespace, a bridge and taps)");
  const ns = `zt-farm-image-${process.pid % 100000}`;
  const work = mkdtempSync(join(tmpdir(), "zt-farm-image-"));
  const resultFile = join(work, "result.json");
  createFarmNetns(ns, o.nodes);
  log(`farm: namespace ${ns}, bridge with ${FARM_GATEWAY}/24, ${o.nodes} tap(s)`);
  try {
    const deno = join(ROOT, "node_modules", "deno", "deno");
    const child = spawn("ip", ["netns", "exec", ns, deno, "run", "-A", "--quiet", "--no-lock", join(HERE, "farm.ts"), "--inner",
      JSON.stringify({ ...o, resultFile, work, namespace: ns })], { stdio: ["ignore", "inherit", "inherit"] });
    const stop = () => child.kill("SIGTERM");
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    if (!existsSync(resultFile)) {
      return { name: `farm-${o.nodes}`, ok: false, seconds: 0, namespace: ns, nodes: [], milestones: {}, notes: [], error: `the farm runner exited ${code} without a result` };
    }
    const r = JSON.parse(readFileSync(resultFile, "utf8")) as FarmResult;
    removeFarmNetns(ns);
    const left = farmLeftovers(ns, work);
    if (left.length) {
      r.ok = false;
      r.error = `${r.error ? r.error + "; " : ""}the farm left behind: ${left.join("; ")}`;
    } else r.notes.push(`nothing of the farm left: its namespace, QEMUs and the laptop's wireguard-go are gone`);
    return r;
  } finally {
    removeFarmNetns(ns);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * What a farm must not leave behind, checked after it was removed: its namespace, a QEMU with a disk in its
 * work folder, the laptop's wireguard-go. Empty when the farm cleaned up.
 */
export function farmLeftovers(namespace: string, work: string): string[] {
  const left: string[] = [];
  if (new RegExp(`^${namespace}( |$)`, "m").test(execFileSync("ip", ["netns"], { encoding: "utf8" }))) left.push(`namespace ${namespace}`);
  for (const l of execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).split("\n")) {
    if (/qemu-system/.test(l) && l.includes(work)) left.push(`QEMU: ${l.trim().slice(0, 120)}`);
    if (/wireguard-go zt-lap/.test(l)) left.push(`the laptop's wireguard-go: ${l.trim().slice(0, 120)}`);
  }
  return left;
}

/** A TCP relay from the bridge's gateway address to the same port on loopback (the dev grid listens there only). */
function relayPort(port: number): Promise<Server> {
  // A node killed mid-connection never closes its end: close() alone would wait for those forever.
  const open = new Set<Socket>();
  const server = createServer((inbound) => {
    const out = connect(port, "127.0.0.1");
    open.add(inbound).add(out);
    inbound.once("close", () => open.delete(inbound));
    out.once("close", () => open.delete(out));
    inbound.pipe(out).pipe(inbound);
    const close = () => {
      inbound.destroy();
      out.destroy();
    };
    inbound.on("error", close);
    out.on("error", close);
  });
  const close = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    for (const s of open) s.destroy();
    return close(cb);
  };
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, FARM_GATEWAY, () => resolve(server));
  });
}

/** TCP connect scan of `ip` from the bridge: open ports (those that accepted), with what they answered a RESP PING. */
export async function scanTcp(ip: string, ports: number[], concurrency = 128): Promise<{ port: number; answer: string }[]> {
  const open: { port: number; answer: string }[] = [];
  let next = 0;
  const one = (port: number) =>
    new Promise<void>((resolve) => {
      const s = connect({ host: ip, port });
      let answer = "";
      const done = (isOpen: boolean) => {
        clearTimeout(timer);
        s.destroy();
        if (isOpen) open.push({ port, answer });
        resolve();
      };
      const timer = setTimeout(() => done(s.readyState === "open"), 3000);
      s.on("connect", () => s.write("*1\r\n$4\r\nPING\r\n"));
      s.on("data", (d: Buffer) => {
        answer += d.toString("latin1");
        done(true);
      });
      s.on("error", () => done(false));
      s.on("close", () => done(answer.length > 0));
    });
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < ports.length) await one(ports[next++]);
  }));
  return open.sort((a, b) => a.port - b.port);
}

/** PING to the 0-db port, one connection at a time with 15 s for the answer, until +PONG or `ms` passed. */
async function zdbAnswersPing(ip: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const answer = await new Promise<string>((resolve) => {
      const s = connect({ host: ip, port: ZDB_PORT });
      let got = "";
      const finish = () => {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      };
      const timer = setTimeout(finish, 15_000);
      s.on("connect", () => s.write("*1\r\n$4\r\nPING\r\n"));
      s.on("data", (d: Buffer) => {
        got += d.toString("latin1");
        if (got.includes("\r\n")) finish();
      });
      s.on("error", finish);
      s.on("close", finish);
    });
    if (answer.startsWith("+PONG")) return true;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return false;
}

/** Namespace side: the grid, the relays, DHCP, the boot server, the nodes, the checks. */
async function inner(o: FarmOptions & { resultFile: string; work: string; namespace: string }): Promise<void> {
  const { writeFileSync } = await import("node:fs");
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  const result: FarmResult = { name: `farm-${o.nodes}`, ok: false, seconds: 0, namespace: o.namespace, nodes: [], milestones: {}, notes: [] };
  const sc = await import("./scenarios.ts");
  const probe = await import("./lib/node-probe.ts");
  const { startDhcpServer } = await import("./lib/dhcp-server.ts");
  const { ChainClient } = await import("../capabilities/chain/mod.ts");
  const cleanups: (() => Promise<void> | void)[] = [];
  const vms: Vm[] = [];
  const nodes: FarmNode[] = Array.from({ length: o.nodes }, (_, i) => farmNode(i + 1));
  let failed = true;
  try {
    const grid = await sc.startGrid();
    cleanups.push(() => grid.stop());
    const portOf = (u: string) => Number(new URL(u).port);
    const onBridge = (u: string) => u.replace(/\/\/(127\.0\.0\.1|localhost)/, `//${FARM_GATEWAY}`);
    // no_timer_check: on a loaded host TCG is too slow for the guest kernel's IO-APIC timer check, which then
    // panics ("IO-APIC + timer doesn't work!"); a node of a farm booting next to others hit it
    const cmdline = `${sc.BASE_CMDLINE} no_timer_check runmode=dev farmer_id=1 zos-debug-vm substrate=${onBridge(grid.chainUrl)} ` +
      `relay=${onBridge(grid.relayUrl)} activation=${onBridge(grid.activationUrl)}`;
    const bs = await sc.bootServer(o.outDir, cmdline);
    cleanups.push(() => new Promise<void>((r) => {
      bs.server.close(() => r());
      bs.server.closeAllConnections?.();
    }));
    for (const port of [portOf(grid.chainUrl), portOf(grid.relayUrl), portOf(grid.activationUrl), bs.port]) {
      const s = await relayPort(port);
      cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
    }
    const dhcp = await startDhcpServer({
      serverIp: FARM_GATEWAY,
      netmask: "255.255.255.0",
      leases: nodes.map((n) => ({ mac: n.mac, ip: n.ip })),
      bootFile: `http://${FARM_GATEWAY}:${bs.port}/boot.ipxe`,
      // each node's `public` and `npub4` macvlans (kernel/pid1/uplink.ts) ask with MACs of their own
      pool: { subnet: FARM_SUBNET, from: 100, to: 199 },
      log: (l) => console.error(`farm: ${l}`),
    });
    cleanups.push(() => dhcp.close());
    result.notes.push(`grid on the farm's bridge ${FARM_GATEWAY}: chain :${portOf(grid.chainUrl)}, relay :${portOf(grid.relayUrl)}, boot server :${bs.port}`);

    const client = await ChainClient.connect({ urls: [grid.chainUrl] });
    cleanups.push(() => client.close());
    const userP = probe.rmbUser(grid.chainUrl, grid.relayUrl, grid.userFunderMnemonic, client);
    userP.catch(() => {});
    cleanups.push(async () => {
      await userP.then((u) => u.close(), () => {});
    });

    for (const n of nodes) {
      const own = sc.makeStateDisk(o.work, 256, `node${n.index}-state.img`);
      const data = sc.makeDataDisk(o.work, `node${n.index}-data.img`);
      vms.push(new Vm({
        name: `farm-node${n.index}`,
        extra: [
          "-netdev", `tap,id=n0,ifname=${n.tap},script=no,downscript=no`,
          "-device", `virtio-net-pci,netdev=n0,mac=${n.mac}`,
          "-boot", "n",
          "-drive", `file=${own},if=virtio,format=raw`,
          "-drive", `file=${data},if=virtio,format=raw`,
        ],
        noReboot: true,
        // a hard cap against a hung run: boot and registration (timeoutMs), then the network, 0-db and laptop steps
        timeoutMs: o.hold ? 365 * 86_400_000 : 3 * o.timeoutMs,
      }));
    }
    for (const [i, vm] of vms.entries()) {
      const ready = await vm.waitFor(/zos-boot: READY/, o.timeoutMs);
      const addr = /addr=(\S+)/.exec(ready.text)?.[1];
      if (addr !== nodes[i].ip) throw new Error(`node ${i + 1} came up with address ${addr}, the farm's DHCP leases it ${nodes[i].ip}`);
      result.nodes.push({ index: i + 1, ip: nodes[i].ip, readyMs: Math.round(ready.t) });
    }
    for (const want of ["/boot.ipxe", "/bzImage", `/${netbootInitrd(o.outDir)}`]) {
      const n = bs.requests.filter((r) => r === want).length;
      if (n < o.nodes) throw new Error(`the boot server served ${want} ${n} time(s) for ${o.nodes} node(s)`);
    }
    result.milestones.all_ready = since();
    result.notes.push(`every node booted over iPXE from the boot server (${bs.requests.length} requests) and got its DHCP lease: ${nodes.map((n) => n.ip).join(", ")}`);

    const deadline = Date.now() + o.timeoutMs;
    let onChain: { nodeId: number; twinId: number }[] = [];
    while (onChain.length < o.nodes) {
      onChain = await probe.nodesOfFarm(client, 1);
      if (Date.now() > deadline) throw new Error(`only ${onChain.length} of ${o.nodes} nodes registered in farm 1 within ${o.timeoutMs / 1000} s`);
      if (onChain.length < o.nodes) await new Promise((r) => setTimeout(r, 2000));
    }
    result.milestones.all_registered = since();
    result.notes.push(`all ${o.nodes} registered in farm 1: ${onChain.map((n) => `node ${n.nodeId} (twin ${n.twinId})`).join(", ")}`);

    const ports = o.ports ?? DEFAULT_PORTS;
    // The 0-db server starts on demand (manifests/node.json): it listens only on a node hosting a zdb workload
    // (`zdbHosts`, bridge addresses), as on Zero-OS; every other node must not answer on 9900 at all.
    const scan = async (when: string, zdbHosts: string[] = []) => {
      if (zdbHosts.length && !nodes.some((n) => zdbHosts.includes(n.ip))) {
        throw new Error(`${when}: the 0-db result's addresses ${zdbHosts.join(", ")} are none of the nodes' (${nodes.map((n) => n.ip).join(", ")})`);
      }
      for (const n of nodes) {
        const open = await scanTcp(n.ip, ports);
        const bad = open.filter((p) => p.port !== ZDB_PORT && p.port !== GATEWAY_PORT);
        if (bad.length) throw new Error(`${when}: ${n.ip} answers on undeclared TCP ports ${bad.map((p) => p.port).join(", ")}`);
        const zdb = open.find((p) => p.port === ZDB_PORT);
        if (!ports.includes(ZDB_PORT)) continue;
        if (!zdbHosts.includes(n.ip)) {
          if (zdb) throw new Error(`${when}: ${n.ip} hosts no zdb workload, yet its 0-db server answers on ${ZDB_PORT} (it starts on demand)`);
          continue;
        }
        // the sweep gives each port 3 s; a TCG guest on a busy host may answer later: ask 9900 again, patiently
        if (!zdb?.answer.startsWith("+PONG") && !(await zdbAnswersPing(n.ip, 60_000))) {
          throw new Error(`${when}: ${n.ip}'s 0-db server did not answer PING on ${ZDB_PORT} within 60 s (sweep: ${zdb ? `open, answered ${JSON.stringify(zdb.answer)}` : "closed"})`);
        }
      }
      result.notes.push(`scan ${when}: ${ports.length} TCP ports of each node from the bridge, none open but the manifest's (${GATEWAY_PORT}, and ${ZDB_PORT} only on the node hosting a zdb workload: ${nodes.filter((n) => zdbHosts.includes(n.ip)).map((n) => n.ip).join(", ") || "none yet"})`);
    };
    await scan("after registration");
    const user = await userP;
    for (const n of onChain) await probe.callUntilAnswer(user, n.twinId, "zos.system.version", o.timeoutMs);
    result.registered = onChain;
    result.milestones.all_answer = since();
    result.notes.push(`every node answers zos.system.version over the relay`);
    await scan("after the RMB calls");
    const zdbHosts = await accessAndNetwork({ o, grid, client, user, onChain, nodes, result, since, dhcpLeased: () => dhcp.leased(), cleanups });
    if (o.nodes > 1 && !o.hold) await scan("with the network and the 0-db deployed", zdbHosts);
    if (o.hold) {
      console.error(`farm up: ${o.nodes} node(s) in namespace ${o.namespace}; chain ${grid.chainUrl}, relay ${grid.relayUrl} (inside it). Ctrl-C stops the farm.`);
      console.log(JSON.stringify({ namespace: o.namespace, chain_url: grid.chainUrl, relay_url: grid.relayUrl, nodes: result.nodes, registered: onChain, access_node: result.access }));
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
    }
    result.ok = true;
    failed = false;
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    for (const [i, vm] of vms.entries()) {
      const logFile = await vm.finish(failed || Boolean(o.keepLogs));
      const r = result.nodes.find((x) => x.index === i + 1);
      if (r) r.log = logFile;
      else result.nodes.push({ index: i + 1, ip: nodes[i].ip, log: logFile });
    }
    // each step bounded: a cleanup that hangs must not keep the farm (and its namespace) up
    for (const c of cleanups.reverse()) {
      await Promise.race([Promise.resolve().then(c).catch(() => {}), new Promise((r) => setTimeout(r, 20_000))]);
    }
    result.seconds = (performance.now() - t0) / 1000;
    writeFileSync(o.resultFile, JSON.stringify(result, null, 2));
  }
}

/**
 * The farm's networking, after every node answered: the first node on chain becomes the access node (its
 * public config signed by the farmer, applied by its network module); with two nodes or more, a user network
 * with an NR on every node reaches ok on each, the laptop (a WireGuard peer of that network on this side of
 * the bridge, vm-tests/farm-net.ts) pings every NR's gateway across the mesh, and a 0-db namespace deployed
 * on the last node answers a redis-cli session from the laptop through the access node's NR.
 */
async function accessAndNetwork(x: {
  o: FarmOptions & { work: string };
  grid: { chainUrl: string; relayUrl: string; farmerMnemonic: string };
  client: import("../capabilities/chain/mod.ts").ChainClient;
  user: { mnemonic: string };
  onChain: { nodeId: number; twinId: number }[];
  nodes: FarmNode[];
  result: FarmResult;
  since: () => number;
  dhcpLeased: () => { mac: string; ip: string }[];
  cleanups: (() => Promise<void> | void)[];
}): Promise<string[]> {
  const { o, grid, result, onChain } = x;
  const net = await import("./farm-net.ts");
  const wl = await import("./lib/workloads.ts");
  const users = [];
  for (const n of onChain) {
    const u = await wl.nodeUser(grid.chainUrl, grid.relayUrl, x.user.mnemonic, n.nodeId);
    x.cleanups.push(() => u.close());
    users.push(u);
  }
  const access = onChain[0];
  const pc = await net.makeAccessNode(x.client, grid.farmerMnemonic, 1, access.nodeId, users[0], o.timeoutMs);
  result.milestones.access_node = x.since();
  result.access = { nodeId: access.nodeId, publicConfig: pc };
  result.notes.push(`node ${access.nodeId} is the access node: public config ${net.ACCESS_IP}/24 gw ${FARM_GATEWAY} signed by the farmer, ` +
    `applied by its network module (zos.network.public_config_get = ${JSON.stringify(pc)}); the nodes' own DHCP leases on the bridge ` +
    `(public and ndmz uplinks): ${x.dhcpLeased().map((l) => l.ip).join(", ") || "none"}`);
  if (onChain.length < 2 || o.hold) return [];

  // every node, then the laptop: a subnet, keys, a port each
  const members = [...onChain.map((_, i) => i), onChain.length].map((i) => ({
    keys: net.wgKeys(), subnet: net.subnetOf(i), port: 3400 + i * 7 + Math.floor(Math.random() * 400),
  }));
  const endpoint = `${net.ACCESS_IP}:${members[0].port}`;
  const contracts: number[] = [];
  for (const [i, u] of users.entries()) {
    const r = await u.deploy(net.networkOn(i, members, endpoint), o.timeoutMs);
    net.failIfNotOk(`the network's NR on node ${onChain[i].nodeId}`, r);
    contracts.push(r.contract_id);
  }
  result.milestones.network_ok = x.since();
  result.notes.push(`network farmnet ${net.NET_RANGE} ok on every node (contracts ${contracts.join(", ")}): ` +
    onChain.map((n, i) => `node ${n.nodeId} ${members[i].subnet}`).join(", ") + `; hidden nodes peer with ${endpoint}`);

  // the 0-db namespace on the last node, reached by its address on the bridge
  const last = users.length - 1;
  const zr = await users[last].deploy(readFileSync(join(ROOT, "examples", "zdb.json"), "utf8"), o.timeoutMs);
  net.failIfNotOk(`examples/zdb.json on node ${onChain[last].nodeId}`, zr);
  const zw = (await import("../cli/commands/client/deploy.ts")).workloadViews(zr.deployment).find((w) => w.type === "zdb")!;
  const z = zw.data as { Namespace: string; IPs: string[]; Port: number };
  const zip = z.IPs.find((ip) => ip.startsWith(`${FARM_SUBNET}.`));
  if (!zip) throw new Error(`the 0-db result lists no address on the farm's bridge: ${JSON.stringify(z)}`);
  const password = (JSON.parse(readFileSync(join(ROOT, "examples", "zdb.json"), "utf8")).workloads[0].data as { password: string }).password;
  result.milestones.zdb_ok = x.since();

  const lap = await net.startLaptop(o.work, { me: onChain.length, member: members[onChain.length], access: members[0], endpoint, via: [zip] });
  x.cleanups.push(() => lap.close());
  const pings: string[] = [];
  for (const i of onChain.keys()) {
    const gw = members[i].subnet.replace(/0\/24$/, "1");
    const ms = await net.pingUntil(lap, gw, 120_000);
    pings.push(`${gw} (node ${onChain[i].nodeId}) after ${(ms / 1000).toFixed(1)} s`);
  }
  result.milestones.mesh_ping = x.since();
  result.notes.push(`the laptop (WireGuard peer ${net.wgIpOf(onChain.length)} of farmnet, on the access node's endpoint) pings every NR's gateway: ${pings.join(", ")}`);
  const got = await net.zdbSession(lap, { ip: zip, port: z.Port, ns: z.Namespace, password });
  result.milestones.zdb_through_nr = x.since();
  result.notes.push(`redis-cli from the laptop, routed through node ${access.nodeId}'s NR: 0-db namespace ${z.Namespace} on node ${onChain[last].nodeId} ` +
    `(${zip}:${z.Port}) answered PING, SELECT with its password, SET and GET (${got})`);
  return z.IPs; // the 0-db node's addresses (its server listens on all of them)
}

if (import.meta.main && process.argv[2] === "--inner") {
  await inner(JSON.parse(process.argv[3]));
  process.exit(0);
}
