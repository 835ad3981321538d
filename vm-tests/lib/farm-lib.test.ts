// The QEMU farm's pieces on the host, without QEMU: the DHCP server's replies as the node's own DHCP client
// reads them, the private namespace with its bridge and taps (root) and that removing it leaves nothing,
// and the port list parser of the outside probe.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { DHCP_ACK, DHCP_DISCOVER, DHCP_OFFER, DHCP_REQUEST, decodeDhcp, encodeDhcp } from "../../kernel/pid1/dhcp.ts";
import { encodeReply, parseRequest } from "./dhcp-server.ts";
import { createFarmNetns, FARM_BRIDGE, FARM_GATEWAY, farmNode, pidsIn, removeFarmNetns } from "./farm-netns.ts";
import { DEFAULT_PORTS, parsePorts } from "./port-probe.ts";
import { rootOnly } from "../../tools/test-env.ts";

const mac = Uint8Array.from([0x52, 0x54, 0x00, 0x99, 0x00, 0x02]);
const opts = { serverIp: FARM_GATEWAY, netmask: "255.255.255.0", leases: [{ mac: "52:54:00:99:00:02", ip: "10.99.0.12" }], bootFile: "http://10.99.0.1:8080/boot.ipxe" };

test("DHCP: the farm's OFFER and ACK are what the node's own client accepts (lease, router, DNS, server id, boot file)", () => {
  for (const [ask, answer] of [[DHCP_DISCOVER, DHCP_OFFER], [DHCP_REQUEST, DHCP_ACK]]) {
    const req = encodeDhcp({ type: ask, xid: 0x1234abcd, mac, requestedIp: ask === DHCP_REQUEST ? "10.99.0.12" : undefined });
    const parsed = parseRequest(req)!;
    assert.is(parsed.type, ask);
    assert.equal([...parsed.chaddr], [...mac]);
    const reply = encodeReply(answer, req, "10.99.0.12", opts);
    const r = decodeDhcp(reply);
    assert.is(r.type, answer);
    assert.is(r.xid, 0x1234abcd);
    assert.is(r.yiaddr, "10.99.0.12");
    assert.is(r.subnetMask, "255.255.255.0");
    assert.equal(r.routers, [FARM_GATEWAY]);
    assert.equal(r.dns, [FARM_GATEWAY]);
    assert.is(r.serverId, FARM_GATEWAY);
    assert.is(r.leaseSeconds, 3600);
    assert.ok(new TextDecoder().decode(reply).includes(opts.bootFile), "boot file for iPXE");
  }
  assert.is(parseRequest(encodeReply(DHCP_OFFER, encodeDhcp({ type: DHCP_DISCOVER, xid: 1, mac }), "10.99.0.12", opts)), null, "a reply is no request");
  assert.is(parseRequest(new Uint8Array(100)), null);
});

test("farm nodes: distinct taps, MACs and addresses on the farm's subnet", () => {
  const a = farmNode(1), b = farmNode(2);
  assert.equal([a.tap, a.mac, a.ip], ["zt-tap1", "52:54:00:99:00:01", "10.99.0.11"]);
  assert.not.equal(a.mac, b.mac);
  assert.is(b.ip, "10.99.0.12");
});

test("the farm's namespace: bridge with the gateway address and N taps inside, nothing in ours; removed without a trace", () => {
  if (!rootOnly("network namespaces")) return;
  const ns = `zt-farm-image-t${process.pid % 10000}`;
  try {
    createFarmNetns(ns, 2);
    const links = execFileSync("ip", ["-n", ns, "-o", "link"], { encoding: "utf8" });
    for (const l of [FARM_BRIDGE, "zt-tap1", "zt-tap2"]) assert.match(links, new RegExp(`: ${l}[:@]`));
    assert.match(execFileSync("ip", ["-n", ns, "-o", "addr", "show", FARM_BRIDGE], { encoding: "utf8" }), /10\.99\.0\.1\/24/);
    const ours = execFileSync("ip", ["-o", "link"], { encoding: "utf8" });
    assert.not.match(ours, /zt-tap1|zt-br0/, "no link of the farm in the host's namespace");
    assert.equal(pidsIn(ns), [], "nothing runs there yet");
  } finally {
    removeFarmNetns(ns);
  }
  assert.not.ok(existsSync(`/run/netns/${ns}`), "namespace removed");
  assert.throws(() => createFarmNetns("farm; rm -rf /", 1), /must be zt-/);
});

test("probe port lists: ranges and single ports, bad input named", () => {
  assert.equal(parsePorts("1-3,9900, 2"), [1, 2, 3, 9900]);
  assert.throws(() => parsePorts("0-5"), /within 1-65535/);
  assert.throws(() => parsePorts("http"), /"http" is not a port/);
  assert.ok(DEFAULT_PORTS.includes(9900) && DEFAULT_PORTS.includes(22) && DEFAULT_PORTS.includes(443));
});

test.run();
