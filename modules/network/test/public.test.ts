// The node's public side on real namespaces (root): the farmer's public config read from chain is put on
// the `public` namespace, follows a change and goes when it is removed; `ip` workloads take the contract's
// reserved IPv4 and the SLAAC IPv6 of their tap, and their anti-spoof filter on br-pub really drops frames
// from a wrong MAC or address while the right ones pass. The chain here is a test double (ChainFake): the
// dev chain path is covered by two-node.test.ts (zos dev --access-node).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { inNs, Lab } from "./lab.ts";
import { macOf, pubNames, slaacOf } from "../public.ts";
import type { ChainPort } from "../service.ts";
import { rootOnly } from "../../../tools/test-env.ts";


/** Test double of the chain reader: this node's record and node contracts, changed by the test. */
class ChainFake implements ChainPort {
  publicConfig: unknown = null;
  contracts = new Map<number, unknown>();
  node() {
    return Promise.resolve({ id: 1, farmId: 1, publicConfig: this.publicConfig });
  }
  contract(id: number) {
    return Promise.resolve(this.contracts.get(id) ?? null);
  }
}

const pc = (ip4: string, gw4: string, ip6 = "", gw6 = "", domain = "") => ({ ip4: { ip: ip4, gw: gw4 }, ip6: ip6 ? { ip: ip6, gw: gw6 } : null, domain: domain || null });
const contractWith = (ips: string[]) => ({ contractId: 7, contractType: { nodeContract: { nodeId: 1, publicIpsList: ips.map((ip) => ({ ip, gateway: "198.18.5.1", contractId: 7 })) } } });

test("public config from chain: applied on the public namespace, changed, removed", async () => {
  if (!rootOnly("the public namespace and br-pub in real namespaces")) return;
  const chain = new ChainFake();
  const lab = new Lab(1, "network-pub", [chain]);
  const a = lab.nodes[0];
  const addrs = () => inNs(a.pin("public"), ["ip", "-br", "addr", "show", "dev", "public"]);
  const routes = (v: "-4" | "-6") => inNs(a.pin("public"), ["ip", v, "route", "show", "default"]);
  try {
    assert.is(await a.service.syncPublicConfig(true), null, "no config on chain: nothing applied");
    await assert.not.ok(await a.service.query("public_config", null).then(() => true, () => false), "public_config_get errors without a config");
    chain.publicConfig = pc("198.18.5.10/24", "198.18.5.1", "2001:db8:5::10/64", "2001:db8:5::1", "gw1.zos.test");
    await a.service.syncPublicConfig();
    assert.match(addrs(), /198\.18\.5\.10\/24/);
    assert.match(addrs(), /2001:db8:5::10\/64/);
    assert.match(routes("-4"), /default via 198\.18\.5\.1 dev public/);
    assert.match(routes("-6"), /default via 2001:db8:5::1 dev public/);
    // the public link is Zero-OS's macvlan on br-pub (the node had none)
    assert.match(inNs(a.pin("host"), ["ip", "-d", "link", "show", "br-pub"]), /bridge/);
    assert.equal(await a.service.query("public_config", null), { type: "macvlan", ipv4: "198.18.5.10/24", gw4: "198.18.5.1", ipv6: "2001:db8:5::10/64", gw6: "2001:db8:5::1", domain: "gw1.zos.test" });
    assert.is(await a.service.query("has_ipv6", null), true);
    // the farmer changes it: the old address and gateway go, the new ones come
    chain.publicConfig = pc("198.18.5.11/24", "198.18.5.254");
    await a.service.syncPublicConfig();
    assert.not.match(addrs(), /198\.18\.5\.10\//);
    assert.not.match(addrs(), /2001:db8:5::10/);
    assert.match(addrs(), /198\.18\.5\.11\/24/);
    assert.match(routes("-4"), /default via 198\.18\.5\.254/);
    assert.is(routes("-6").trim(), "");
    // a module restart with the record in place converges a namespace changed behind its back
    inNs(a.pin("public"), ["ip", "addr", "flush", "dev", "public"]);
    await a.service.syncPublicConfig(true);
    assert.match(addrs(), /198\.18\.5\.11\/24/);
    // removed on chain: nothing of it stays
    chain.publicConfig = null;
    await a.service.syncPublicConfig();
    assert.not.match(addrs(), /198\.18\.5\./);
    assert.is(routes("-4").trim(), "");
    assert.ok(await a.service.query("public_config", null).then(() => false, (e: Error) => /no public config/.test(e.message)));
  } finally {
    await lab.close();
  }
});

test("ip workloads: contract's reserved IPv4, SLAAC IPv6, anti-spoof filter that really filters, delete frees", async () => {
  if (!rootOnly("the public namespace and br-pub in real namespaces")) return;
  const chain = new ChainFake();
  chain.publicConfig = pc("198.18.5.10/24", "198.18.5.1", "2001:db8:5::10/64", "2001:db8:5::1");
  chain.contracts.set(7, contractWith(["198.18.5.100/24"]));
  const lab = new Lab(1, "network-ip", [chain]);
  const a = lab.nodes[0];
  const vm = `${lab.dir}/vm`;
  try {
    await a.service.syncPublicConfig(true);
    const wl = "9-7-pip";
    const r = await a.service.provision({ twin: 9, workloadId: wl, name: "pip", type: "ip", contract: "7", data: { v4: true, v6: true } }) as Record<string, string>;
    const n = pubNames(wl);
    assert.equal(r, { ip: "198.18.5.100/24", ip6: slaacOf("2001:db8:5::10/64", macOf(n.tap)), gateway: "198.18.5.1" });
    assert.match(r.ip6, /^2001:db8:5:0:[0-9a-f:]+\/64$/);
    // provisioning again (a replay) gives the same result
    assert.equal(await a.service.provision({ twin: 9, workloadId: wl, name: "pip", type: "ip", contract: "7", data: { v4: true, v6: true } }), r);
    // a second v4 on the same contract: the contract reserved only one
    const err = await a.service.provision({ twin: 9, workloadId: "9-7-pip2", name: "pip2", type: "ip", contract: "7", data: { v4: true, v6: false } }).then(() => null, (e: Error) => e);
    assert.match(err?.message ?? "", /contract 7 reserved 1 public IP\(s\).*public_ips/);
    assert.equal(await a.service.query("public_ips", null), ["198.18.5.100", r.ip6.split("/")[0]]);
    const chains = () => inNs(a.pin("host"), ["nft", "list", "table", "bridge", "zos-pubip"]);
    assert.match(chains(), new RegExp(`chain ${n.filter} `));
    // the VM's side of the tap: a veth p-<tap> on br-pub, its peer in a namespace of the test with the tap's MAC
    execFileSync("mkdir", ["-p", vm]);
    execFileSync("touch", [`${vm}/ns`]);
    execFileSync("unshare", [`--net=${vm}/ns`, "true"]);
    inNs(a.pin("host"), ["ip", "link", "add", n.iface, "type", "veth", "peer", "name", "eth0", "netns", `${vm}/ns`]);
    inNs(a.pin("host"), ["ip", "link", "set", n.iface, "master", "br-pub", "up"]);
    inNs(`${vm}/ns`, ["ip", "link", "set", "eth0", "address", macOf(n.tap), "up"]);
    inNs(`${vm}/ns`, ["ip", "addr", "add", "198.18.5.100/24", "dev", "eth0"]);
    // the LAN behind br-pub (its gateway 198.18.5.1), as the dev underlay joins it: the filter sees forwarded frames
    execFileSync("touch", [`${vm}/lan`]);
    execFileSync("unshare", [`--net=${vm}/lan`, "true"]);
    inNs(a.pin("host"), ["ip", "link", "add", "upl", "type", "veth", "peer", "name", "eth0", "netns", `${vm}/lan`]);
    inNs(a.pin("host"), ["ip", "link", "set", "upl", "master", "br-pub", "up"]);
    inNs(`${vm}/lan`, ["ip", "link", "set", "eth0", "up"]);
    inNs(`${vm}/lan`, ["ip", "addr", "add", "198.18.5.1/24", "dev", "eth0"]);
    const ping = () => {
      try {
        inNs(`${vm}/ns`, ["ping", "-c", "1", "-W", "1", "198.18.5.1"]);
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(ping(), "the assigned IP with the tap's MAC reaches the LAN's gateway over br-pub");
    inNs(`${vm}/ns`, ["ip", "addr", "flush", "dev", "eth0"]);
    inNs(`${vm}/ns`, ["ip", "neigh", "flush", "all"]);
    inNs(`${vm}/ns`, ["ip", "addr", "add", "198.18.5.101/24", "dev", "eth0"]);
    assert.not.ok(ping(), "another source IP is dropped on br-pub");
    // delete: the filter goes, the IP is free for the next workload of the contract
    await a.service.deprovision({ twin: 9, name: "pip", workloadId: wl, type: "ip" });
    assert.not.match(chains(), new RegExp(n.filter));
    assert.ok(ping(), "without the filter (workload deleted) the spoofed source passes: the drop was the filter's");
    const r2 = await a.service.provision({ twin: 9, workloadId: "9-7-pip2", name: "pip2", type: "ip", contract: "7", data: { v4: true, v6: false } }) as Record<string, string>;
    assert.equal(r2, { ip: "198.18.5.100/24", ip6: "", gateway: "198.18.5.1" });
    // deprecated ipv4: Zero-OS's shorter result
    chain.contracts.set(8, contractWith(["198.18.5.102/24"]));
    assert.equal(await a.service.provision({ twin: 9, workloadId: "9-8-old", name: "old", type: "ipv4", contract: "8", data: {} }), { ip: "198.18.5.102/24", gateway: "198.18.5.1" });
    // v6 on a node whose public config has no IPv6: a clear workload error
    chain.publicConfig = pc("198.18.5.10/24", "198.18.5.1");
    await a.service.syncPublicConfig();
    const e6 = await a.service.provision({ twin: 9, workloadId: "9-9-six", name: "six", type: "ip", contract: "9", data: { v4: false, v6: true } }).then(() => null, (e: Error) => e);
    assert.match(e6?.message ?? "", /no public IPv6/);
  } finally {
    for (const f of ["ns", "lan"]) {
      try {
        execFileSync("umount", [`${vm}/${f}`], { stdio: "ignore" });
      } catch { /* not mounted */ }
    }
    await lab.close();
  }
});

test.run();
