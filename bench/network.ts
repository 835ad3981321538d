// Network benchmarks (root): NR setup through the netlink driver's code (rtnetlink in-process, nft and
// wireguard-go the only spawns) next to the same NR built with one `ip`/`nft`/`nsenter` process per step;
// then two-node data path through peered NRs next to raw veth and raw wireguard-go between the same
// public namespaces: ping RTT and iperf3 TCP throughput. Writes the `network` section of docs/PERFORMANCE.md.
//
// usage: node_modules/deno/deno run -A bench/network.ts [--n 15] [--seconds 3]
import { execFileSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Lab, inNs, wgKeys } from "../modules/network/test/lab.ts";
import { names, NR_RULESET, wgAddress, gateway, ipv6Of } from "../modules/network/nr.ts";
import { networkId } from "../modules/lib/gridtypes/names.ts";
import { uapiSet } from "../capabilities/netlink/wireguard.ts";
import { startWireguardGo, uapi } from "../capabilities/netlink/wireguard.ts";
import { denoSys } from "../capabilities/netlink/sys.ts";
import { machineLine, percentile, writeSection } from "./lib/report.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "15" }, seconds: { type: "string", default: "3" } } });
const N = Number(values.n), SECONDS = Number(values.seconds);
if (process.getuid?.() !== 0) {
  console.error("bench/network.ts needs root (namespaces)");
  process.exit(2);
}

const sh = (argv: string[], input?: string) => execFileSync(argv[0], argv.slice(1), { input, stdio: ["pipe", "pipe", "pipe"] });
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
};

const lab = new Lab(2, "network-bench");
const [a, b] = lab.nodes;
const rows: string[] = [];
try {
  // --- NR setup ---------------------------------------------------------------------------------
  await a.service.ensureHost();
  const driverMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const k = wgKeys();
    const t0 = performance.now();
    await a.service.provision({
      twin: 1, workloadId: `1-${i}-bench${i}`, name: `bench${i}`, type: "network",
      data: { ip_range: "10.60.0.0/16", subnet: `10.60.${i + 1}.0/24`, wireguard_private_key: k.priv, wireguard_listen_port: 5000 + i, peers: [{ subnet: "10.60.200.0/24", wireguard_public_key: wgKeys().pub, allowed_ips: ["10.60.200.0/24"], endpoint: "198.18.0.2:5999" }] },
    });
    driverMs.push(performance.now() - t0);
  }
  for (let i = 0; i < N; i++) await a.service.deprovision({ twin: 1, name: `bench${i}`, workloadId: `1-${i}-bench${i}` });
  // the floors: one wireguard-go start (spawn → UAPI socket, in the shared mount namespace) and one nft load
  const wgMs: number[] = [], nftMs: number[] = [];
  a.ops.nsAdd("zt-floor");
  for (let i = 0; i < N; i++) {
    let t0 = performance.now();
    await a.ops.wgStart("public", `zt-wgfloor${i}`);
    wgMs.push(performance.now() - t0);
    await a.ops.wgDown(`zt-wgfloor${i}`);
    t0 = performance.now();
    await a.ops.nft("zt-floor", NR_RULESET);
    nftMs.push(performance.now() - t0);
  }
  a.ops.nsDel("zt-floor");

  const cliMs: number[] = [];
  const sys = denoSys();
  let spawns = 0;
  const host = a.pin("host"), pub = a.pin("public");
  const run = (pin: string, argv: string[], input?: string) => {
    spawns++;
    sh(pin ? ["nsenter", `--net=${pin}`, "--", ...argv] : argv, input);
  };
  for (let i = 0; i < N; i++) {
    spawns = 0;
    const id = networkId(2, `cli${i}`);
    const n = names(id);
    const pin = join(a.ops.pinDir, n.ns);
    const subnet = `10.61.${i + 1}.0/24`;
    const k = wgKeys();
    const t0 = performance.now();
    writeFileSync(pin, "");
    spawns++;
    sh(["unshare", `--net=${pin}`, "true"]);
    run(pin, ["ip", "link", "set", "lo", "up"]);
    run(pin, ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
    run(pin, ["sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding"]);
    run(host, ["ip", "link", "add", n.bridge, "type", "bridge"]);
    run(host, ["ip", "link", "set", n.bridge, "up"]);
    run(host, ["ip", "link", "add", n.macvlan, "link", n.bridge, "netns", pin, "type", "macvlan", "mode", "bridge"]);
    run(pin, ["ip", "link", "set", n.macvlan, "up"]);
    run(pin, ["ip", "addr", "add", gateway(subnet), "dev", n.macvlan]);
    run(pin, ["ip", "addr", "add", `${ipv6Of(id, gateway(subnet).split("/")[0])}/64`, "dev", n.macvlan, "nodad"]);
    run(pin, ["ip", "addr", "add", "fe80::1/64", "dev", n.macvlan, "nodad"]);
    run(host, ["ip", "link", "add", "public", "link", "br-ndmz", "netns", pin, "type", "macvlan", "mode", "bridge"]);
    run(pin, ["ip", "link", "set", "public", "up"]);
    run(pin, ["ip", "addr", "add", `100.127.200.${i + 2}/16`, "dev", "public"]);
    run(pin, ["ip", "route", "add", "default", "via", "100.127.0.1"]);
    spawns++;
    const wg = await startWireguardGo(pub, a.ops.uapiDir, n.wg, existsSync(join(a.ops.uapiDir, "..", "tun")) ? join(a.ops.uapiDir, "..", "tun") : "");
    run(pub, ["ip", "link", "set", n.wg, "netns", pin]);
    uapi(sys, wg.socket, uapiSet({ private_key: k.priv, listen_port: 6000 + i, peers: [{ public_key: wgKeys().pub, endpoint: "198.18.0.2:5999", allowed_ips: ["10.61.200.0/24"] }] }));
    run(pin, ["ip", "addr", "add", wgAddress(subnet), "dev", n.wg]);
    run(pin, ["ip", "link", "set", n.wg, "up"]);
    run(pin, ["ip", "route", "add", "10.61.200.0/24", "dev", n.wg]);
    run(pin, ["nft", "-f", "-"], `flush ruleset\n${NR_RULESET}\n`);
    cliMs.push(performance.now() - t0);
    wg.child.kill("SIGKILL");
    a.ops.nsDel(n.ns);
    a.ops.linkDel("host", n.bridge);
  }
  const d = stats(driverMs), c = stats(cliMs), w = stats(wgMs), f = stats(nftMs);
  rows.push(`| NR setup, netlink driver code (rtnetlink in-process; nft + wireguard-go spawned, overlapping the rtnetlink steps) | ${d.p50.toFixed(1)} | ${d.p99.toFixed(1)} |`);
  rows.push(`| floor: one wireguard-go start (nsenter into the NR's listening and the shared mount namespace → UAPI socket) | ${w.p50.toFixed(1)} | ${w.p99.toFixed(1)} |`);
  rows.push(`| floor: one \`nft -f\` load in a namespace (nsenter + nft) | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} |`);
  rows.push(`| NR setup, one \`ip\`/\`nft\`/\`nsenter\` process per step (${spawns} processes; UAPI in-process) | ${c.p50.toFixed(1)} | ${c.p99.toFixed(1)} |`);
  const setupRatio = d.p50 / c.p50;

  // --- data path ----------------------------------------------------------------------------------
  const ka = wgKeys(), kb = wgKeys();
  // as grid clients do: the peer's subnet and its 100.64 WireGuard address
  const peer = (subnet: string, pub: string, ep: string) => ({ subnet, wireguard_public_key: pub, allowed_ips: [subnet, `${wgAddress(subnet).split("/")[0]}/32`], endpoint: ep });
  await a.service.provision({ twin: 3, workloadId: "3-1-dp", name: "dp", type: "network", data: { ip_range: "10.70.0.0/16", subnet: "10.70.1.0/24", wireguard_private_key: ka.priv, wireguard_listen_port: 7001, peers: [peer("10.70.2.0/24", kb.pub, `${b.publicIp}:7002`)] } });
  await b.service.provision({ twin: 3, workloadId: "3-2-dp", name: "dp", type: "network", data: { ip_range: "10.70.0.0/16", subnet: "10.70.2.0/24", wireguard_private_key: kb.priv, wireguard_listen_port: 7002, peers: [peer("10.70.1.0/24", ka.pub, `${a.publicIp}:7001`)] } });
  const nr = names(networkId(3, "dp")).ns;
  // raw wireguard-go: a device in each public namespace, peered directly (no NR around it)
  const ra = wgKeys(), rb = wgKeys();
  await a.ops.wgUp({ listenNs: "public", into: "public", name: "zt-rawwg", address: "10.99.0.1/24", config: { private_key: ra.priv, listen_port: 7101, peers: [{ public_key: rb.pub, endpoint: `${b.publicIp}:7102`, allowed_ips: ["10.99.0.2/32"] }] } });
  await b.ops.wgUp({ listenNs: "public", into: "public", name: "zt-rawwg", address: "10.99.0.2/24", config: { private_key: rb.priv, listen_port: 7102, peers: [{ public_key: ra.pub, endpoint: `${a.publicIp}:7101`, allowed_ips: ["10.99.0.1/32"] }] } });
  const paths = [
    { name: "raw veth (public A → public B)", from: a.pin("public"), to: b.pin("public"), ip: b.publicIp },
    { name: "raw wireguard-go (public A → public B)", from: a.pin("public"), to: b.pin("public"), ip: "10.99.0.2" },
    { name: "NR A → NR B over WireGuard", from: a.pin(nr), to: b.pin(nr), ip: "10.70.2.1" },
  ];
  const dp: { name: string; rtt: number; mbit: number }[] = [];
  for (const p of paths) {
    for (let i = 0; i < 30; i++) {
      try {
        inNs(p.from, ["ping", "-c", "1", "-W", "1", p.ip]);
        break;
      } catch { /* handshake */ }
    }
    let out = "";
    try {
      out = inNs(p.from, ["ping", "-q", "-c", "50", "-i", "0.02", p.ip], 30_000);
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? ""); // some loss: still report the RTT
    }
    const rtt = Number(/= [\d.]+\/([\d.]+)\//.exec(out)?.[1] ?? NaN);
    const srv = spawn("nsenter", [`--net=${p.to}`, "--", "iperf3", "-s", "-1", "-p", "5201"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 300));
    let mbit = NaN;
    try {
      const j = JSON.parse(inNs(p.from, ["iperf3", "-c", p.ip, "-p", "5201", "-t", String(SECONDS), "-J"], (SECONDS + 10) * 1000));
      mbit = j.end.sum_received.bits_per_second / 1e6;
    } finally {
      srv.kill("SIGKILL");
    }
    dp.push({ name: p.name, rtt, mbit });
  }
  const [veth, rawwg, nrp] = dp;
  const load = os.loadavg().map((x) => x.toFixed(2)).join(" / ");
  const md = `## Network: NR setup and the data path through NRs

Machine: ${machineLine()}. Reproduce (root): \`node_modules/deno/deno run -A bench/network.ts --n ${N} --seconds ${SECONDS}\`.
Load average when the run ended: ${load} (1/5/15 min). The machine is shared by several engineers running
tests at the same time: expect noise, especially in p99 and throughput.

Both NR paths build the same Zero-OS shape (namespace, sysctls, bridge, macvlan with 3 addresses, ndmz uplink with
default route, wireguard-go in the public namespace moved into the NR, one peer and its route, the nft ruleset),
${N} NRs each, in one run. The driver path here runs the driver's code in-process (no kernel membrane hop).

| path | p50 ms | p99 ms |
|---|---:|---:|
${rows.join("\n")}

NR setup driver / command line, p50: ${setupRatio.toFixed(2)}× (goal ≤ 0.5×: ${setupRatio <= 0.5 ? "met" : "missed"}); goal p50 ≤ 100 ms: ${d.p50 <= 100 ? "met" : "missed"} (${d.p50.toFixed(1)} ms).
What an NR costs is its two process starts: wireguard-go (${w.p50.toFixed(1)} ms p50 here) and nft (${f.p50.toFixed(1)} ms), which the driver now
runs side by side while the ≈ 20 rtnetlink messages go out; per-step times: \`node_modules/deno/deno run -A bench/network-profile.ts\`.
Changes behind these numbers: the ruleset is loaded in the background from the start of the batch, wireguard-go is
started as soon as the batch arrives (its listening namespace exists already), and every wireguard-go enters one
pinned mount namespace (\`nsenter --net --mount\`: 2 process starts instead of 6: nsenter, unshare, sh, 2 × mount).

Two nodes on this host (public namespaces joined by a veth underlay); ping = 50 ICMP echoes, avg RTT; TCP = iperf3, ${SECONDS} s, one stream.

| path | ping RTT ms | TCP Mbit/s |
|---|---:|---:|
${dp.map((x) => `| ${x.name} | ${x.rtt.toFixed(3)} | ${x.mbit.toFixed(0)} |`).join("\n")}

NR path vs raw wireguard-go: RTT ${(rawwg.rtt / nrp.rtt).toFixed(2)}× (inverse ratio, higher is better), throughput ${(nrp.mbit / rawwg.mbit).toFixed(2)}× (goal ≥ 0.8×: ${nrp.mbit / rawwg.mbit >= 0.8 ? "met" : "missed"}); raw veth for scale: ${veth.mbit.toFixed(0)} Mbit/s.
`;
  console.log(md);
  writeSection("network", md);
} finally {
  await lab.close();
}
