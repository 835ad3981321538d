// PID 1's uplink step (uplink.ts) on real namespaces (root): a node namespace with a `zos` bridge on a LAN
// whose DHCP server is the farm's (vm-tests/lib/dhcp-server.ts, pool only). br-pub joins zos, the public and
// ndmz namespaces get their macvlans with stable MACs and the leases, npub4 the default route; the next boot
// finds the earlier pins as plain files, replaces them and gets the same leases.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { linkMac, macString } from "./uplink.ts";
import { leaseBook } from "../../vm-tests/lib/dhcp-server.ts";
import { rootOnly } from "../../tools/test-env.ts";
import { tempDir } from "../../tools/test-tmp.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const HELPER = join(HERE, "uplink.test-helper.ts");
const DENO = join(HERE, "..", "..", "node_modules", "deno", "deno");

test("link MACs: stable per NIC and link, locally administered unicast, distinct per link and per NIC", () => {
  const a = macString(linkMac("52:54:00:99:00:01", "public"));
  assert.is(a, macString(linkMac("52:54:00:99:00:01", "public")));
  assert.is(a, macString(linkMac("52:54:00:99:00:01".toUpperCase(), "public")));
  assert.not.equal(a, macString(linkMac("52:54:00:99:00:01", "npub4")));
  assert.not.equal(a, macString(linkMac("52:54:00:99:00:02", "public")));
  const first = parseInt(a.slice(0, 2), 16);
  assert.is(first & 1, 0, "unicast");
  assert.is(first & 2, 2, "locally administered");
});

test("the farm's DHCP leases: fixed ones by MAC, the pool's next address for a new MAC, the same again for it, none when full", () => {
  const book = leaseBook({ leases: [{ mac: "52:54:00:99:00:01", ip: "10.99.0.11" }], pool: { subnet: "10.99.0", from: 100, to: 101 } });
  assert.is(book.leaseFor("52:54:00:99:00:01")?.ip, "10.99.0.11");
  assert.is(book.leaseFor("02:00:00:00:00:0a")?.ip, "10.99.0.100");
  assert.is(book.leaseFor("02:00:00:00:00:0B")?.ip, "10.99.0.101");
  assert.is(book.leaseFor("02:00:00:00:00:0a")?.ip, "10.99.0.100", "a MAC keeps its address");
  assert.is(book.leaseFor("02:00:00:00:00:0c"), undefined, "pool exhausted");
  assert.equal(book.leased().map((l) => l.ip), ["10.99.0.100", "10.99.0.101"]);
  assert.is(leaseBook({ leases: [] }).leaseFor("02:00:00:00:00:0a"), undefined, "no pool: only fixed leases");
});

const ip = (args: string[]) => execFileSync("ip", args, { encoding: "utf8" });

test("uplink: br-pub on zos, public and npub4 leased and moved into their namespaces, npub4's default route; a second boot replaces stale pins, same leases", async () => {
  if (!rootOnly("network namespaces")) return;
  const tag = process.pid % 100000;
  const node = `zt-upl-n${tag}`, lan = `zt-upl-l${tag}`;
  const dir = tempDir("zt-uplink-");
  const pinDir = join(dir, "ns");
  const nicMac = "52:54:00:98:00:01";
  let dhcp: ChildProcess | null = null;
  try {
    ip(["netns", "add", node]);
    ip(["netns", "add", lan]);
    ip(["-n", node, "link", "set", "lo", "up"]);
    ip(["link", "add", "eth0", "netns", node, "address", nicMac, "type", "veth", "peer", "name", "lan0", "netns", lan]);
    ip(["-n", lan, "addr", "add", "10.98.0.1/24", "dev", "lan0"]);
    ip(["-n", lan, "link", "set", "lan0", "up"]);
    ip(["-n", lan, "route", "add", "default", "dev", "lan0"]);
    ip(["-n", node, "link", "add", "zos", "type", "bridge"]);
    ip(["-n", node, "link", "set", "eth0", "master", "zos", "up"]);
    ip(["-n", node, "link", "set", "zos", "up"]);
    dhcp = spawn("ip", ["netns", "exec", lan, DENO, "run", "-A", "--quiet", "--no-lock", HELPER, "dhcp"], { stdio: ["pipe", "pipe", "inherit"] });
    let dhcpOut = "";
    dhcp.stdout!.on("data", (d) => (dhcpOut += d.toString()));
    for (let i = 0; !dhcpOut.includes("serving"); i++) {
      if (i > 300) throw new Error("the DHCP helper did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    const boot = () => JSON.parse(execFileSync("ip", ["netns", "exec", node, DENO, "run", "-A", "--quiet", "--no-lock", HELPER, "uplink", pinDir, nicMac], { encoding: "utf8", timeout: 60_000 }));
    const one = boot();
    assert.match(one.r.public, /^10\.98\.0\.1\d\d\/24$/);
    assert.match(one.r.npub4, /^10\.98\.0\.1\d\d\/24$/);
    assert.is.not(one.r.public, one.r.npub4);
    assert.is(one.r.gateway, "10.98.0.1");
    assert.equal(one.r.stale, []);
    assert.equal(one.r.notes, []);
    assert.match(one.seen.root, /topub@[^:]*:.*master zos/, "topub is a port of zos");
    assert.match(one.seen.host, /tozos@[^:]*:.*master br-pub/, "tozos is a port of br-pub in the host namespace");
    assert.match(one.seen.public, new RegExp(`public\\s+inet ${one.r.public.replace(/\./g, "\\.")}`));
    assert.match(one.seen.public, new RegExp(`link/ether ${macString(linkMac(nicMac, "public"))}`));
    assert.match(one.seen.ndmz, new RegExp(`npub4\\s+inet ${one.r.npub4.replace(/\./g, "\\.")}`));
    assert.match(one.seen.ndmz, /default via 10\.98\.0\.1 dev npub4/);
    assert.not.match(one.seen.publicRoutes, /default/, "no default route in public: that is the farmer's public config");
    const two = boot();
    assert.equal([...two.r.stale].sort(), ["host", "ndmz", "public"], "the earlier boot's pins are plain files now: replaced");
    assert.is(two.r.public, one.r.public, "same MAC, same lease");
    assert.is(two.r.npub4, one.r.npub4);
    dhcp.stdin!.end();
    await new Promise((r) => dhcp!.once("exit", r));
    const leased = JSON.parse(dhcpOut.split("\n").filter((l) => l.startsWith("[")).at(-1) ?? "[]") as { mac: string }[];
    assert.equal(leased.map((l) => l.mac).sort(), [macString(linkMac(nicMac, "public")), macString(linkMac(nicMac, "npub4"))].sort());
  } finally {
    if (dhcp && dhcp.exitCode === null && dhcp.pid) {
      try {
        process.kill(dhcp.pid, "SIGKILL");
      } catch { /* gone */ }
    }
    for (const ns of [node, lan]) {
      try {
        ip(["netns", "del", ns]);
      } catch { /* not made */ }
    }
  }
});

test.run();
