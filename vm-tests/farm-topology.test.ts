// The farm's network path without QEMU (root, seconds): two "nodes" are namespaces with a `zos` bridge on one
// LAN whose DHCP server is the farm's. Each runs the image's own code for its network (PID 1's uplink step,
// then the network module's operation lists through the netlink driver's applyOps: vm-tests/farm-topology.test-helper.ts);
// node A is the access node (public config on its `public` link), node B is hidden and peers with A's public
// address. The farm's laptop (vm-tests/farm-net.ts's WireGuard peer, its UDP socket on the LAN) pings both NRs'
// gateways through A, and a redis-cli session reaches a RESP server on B's zos address routed through A's NR
// and A's ndmz uplink (npub4). The QEMU farm (vm-tests/farm.test.ts) runs the same checks on booted images.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { NetOps } from "../capabilities/netlink/ops.ts";
import { denoSys } from "../capabilities/netlink/sys.ts";
import { type Member, NET_RANGE, networkOn, subnetOf, wgIpOf, wgKeys } from "./farm-net.ts";
import { rootOnly } from "../tools/test-env.ts";
import { tempDir } from "../tools/test-tmp.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const DENO = join(HERE, "..", "node_modules", "deno", "deno");
const ip = (args: string[]) => execFileSync("ip", args, { encoding: "utf8" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitLine(c: ChildProcess, re: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
  let out = "";
  c.stdout!.on("data", (d) => (out += d.toString()));
  const t0 = Date.now();
  for (;;) {
    const line = out.split("\n").find((l) => re.test(l));
    if (line) return line;
    if (/failed: /.test(out)) throw new Error(`${what}: ${out.trim()}`);
    if (c.exitCode !== null || Date.now() - t0 > timeoutMs) throw new Error(`${what} did not get ready: ${out.trim() || "no output"}`);
    await sleep(100);
  }
}

test("the image's network path: uplinks by DHCP, an access node, NRs peering across the LAN, the laptop through the access node's NR to the hidden node", async () => {
  if (!rootOnly("network namespaces")) return;
  const tag = process.pid % 100000;
  const lan = `zt-ftl${tag}`, nodes = [`zt-fta${tag}`, `zt-ftb${tag}`];
  const dir = tempDir("zt-farm-topology-");
  const kids: ChildProcess[] = [];
  let laptop: NetOps | null = null;
  try {
    ip(["netns", "add", lan]);
    ip(["-n", lan, "link", "add", "lan", "type", "bridge"]);
    ip(["-n", lan, "addr", "add", "10.98.0.1/24", "dev", "lan"]);
    ip(["-n", lan, "link", "set", "lan", "up"]);
    ip(["-n", lan, "route", "add", "default", "dev", "lan"]);
    nodes.forEach((ns, i) => {
      ip(["netns", "add", ns]);
      ip(["-n", ns, "link", "set", "lo", "up"]);
      ip(["link", "add", "eth0", "netns", ns, "address", `52:54:00:98:00:0${i + 1}`, "type", "veth", "peer", "name", `n${i}`, "netns", lan]);
      ip(["-n", lan, "link", "set", `n${i}`, "master", "lan", "up"]);
      ip(["-n", ns, "link", "add", "zos", "type", "bridge"]);
      ip(["-n", ns, "link", "set", "eth0", "master", "zos", "up"]);
      ip(["-n", ns, "link", "set", "zos", "up"]);
      ip(["-n", ns, "addr", "add", `10.98.0.1${i + 1}/24`, "dev", "zos"]);
    });
    const dhcp = spawn("ip", ["netns", "exec", lan, DENO, "run", "-A", "--quiet", "--no-lock", join(HERE, "..", "kernel", "pid1", "uplink.test-helper.ts"), "dhcp"], { stdio: ["pipe", "pipe", "inherit"] });
    kids.push(dhcp);
    await waitLine(dhcp, /serving/, "the DHCP server");

    const members: Member[] = [0, 1, 2].map((i) => ({ keys: wgKeys(), subnet: subnetOf(i), port: 3600 + i }));
    const accessIp = "10.98.0.201";
    const endpoint = `${accessIp}:${members[0].port}`;
    const ups: string[] = [];
    for (const [i, ns] of nodes.entries()) {
      const data = JSON.parse(networkOn(i, members, endpoint)).workloads[0].data;
      const spec = { nr: data, twin: 7, ...(i === 0 ? { public: { type: "macvlan", ipv4: `${accessIp}/24`, gw4: "10.98.0.1", ipv6: "", gw6: "", domain: "" } } : {}) };
      const c = spawn("ip", ["netns", "exec", ns, DENO, "run", "-A", "--quiet", "--no-lock", join(HERE, "farm-topology.test-helper.ts"), join(dir, `pins${i}`), `52:54:00:98:00:0${i + 1}`, JSON.stringify(spec)], { stdio: ["pipe", "pipe", "inherit"] });
      kids.push(c);
      ups.push(await waitLine(c, /^ready /, `node ${i + 1}'s network`));
    }
    for (const u of ups) assert.match(u, /"public":"10\.98\.0\.1\d\d\/24","npub4":"10\.98\.0\.1\d\d\/24","gateway":"10\.98\.0\.1"/);

    // the RESP server on node B's own address (the 0-db server listens there on the image)
    const redis = spawn("ip", ["netns", "exec", nodes[1], "redis-server", "--port", "9900", "--bind", "10.98.0.12", "--requirepass", "farm-topology", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "inherit"] });
    kids.push(redis);
    await waitLine(redis, /Ready to accept connections/, "redis-server");

    // the laptop: its UDP socket on the LAN (as the QEMU farm's is on the farm's bridge), its device in `lap`
    laptop = new NetOps(denoSys(), join(dir, "lap-ns"), join(dir, "lap-wg"));
    symlinkSync(`/run/netns/${lan}`, join(dir, "lap-ns", "lan"));
    laptop.nsAdd("lap");
    const routes = [NET_RANGE, "10.98.0.12/32"];
    await laptop.wgUp({
      listenNs: "lan", into: "lap", name: "zt-lap", address: `${wgIpOf(2)}/16`,
      config: { private_key: members[2].keys.priv, listen_port: members[2].port, peers: [{ public_key: members[0].keys.pub, endpoint, allowed_ips: [...routes, "100.64.0.0/16"], persistent_keepalive: 5 }] },
    });
    for (const dst of routes) laptop.routeAdd("lap", { dst, dev: "zt-lap" });
    const lapPin = laptop.pin("lap");
    const inLap = (argv: string[], input = "") => execFileSync("nsenter", [`--net=${lapPin}`, "--", ...argv], { encoding: "utf8", input, timeout: 20_000 });
    const pingUntil = async (target: string) => {
      for (let i = 0;; i++) {
        try {
          return inLap(["ping", "-n", "-c", "1", "-W", "2", target]);
        } catch (err) {
          if (i > 30) throw new Error(`${target} did not answer from the laptop: ${(err as Error).message}`);
        }
        await sleep(500);
      }
    };
    await pingUntil("10.60.1.1"); // node A's NR, over the laptop's tunnel
    await pingUntil("10.60.2.1"); // node B's NR: A forwards over its tunnel with B (B called in to A's public address)
    const out = inLap(["redis-cli", "-h", "10.98.0.12", "-p", "9900"], "AUTH farm-topology\nPING\nSET farmkey through-the-nr\nGET farmkey\n").trim().split("\n");
    assert.equal(out, ["OK", "PONG", "OK", "through-the-nr"], "RESP through A's NR, its ndmz and npub4, to B's address");
    // and the path was the tunnel: the laptop's namespace has no other way out
    assert.not.match(inLap(["ip", "-o", "link"]), /eth|veth/);
  } finally {
    try {
      unlinkSync(join(dir, "lap-ns", "lan"));
    } catch { /* not made */ }
    await laptop?.teardown().catch(() => {});
    for (const c of kids) {
      c.stdin?.end();
      if (c.exitCode === null && c.pid) {
        await Promise.race([new Promise((r) => c.once("exit", r)), sleep(3000)]);
        try {
          if (c.exitCode === null) process.kill(c.pid, "SIGKILL");
        } catch { /* gone */ }
      }
    }
    for (const ns of [...nodes, lan]) {
      try {
        ip(["netns", "del", ns]);
      } catch { /* not made */ }
    }
  }
});

test.run();
