// Network resources for real, as root: two nodes on this host (own pin folders, public namespaces joined by
// an underlay), an NR on each peered over wireguard-go, real pings across, update converging the peers
// and routes, delete leaving nothing behind, and bad input refused with workload errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import { Lab, inNs, wgKeys, wireguardPids } from "./lab.ts";
import { names } from "../nr.ts";
import { networkId } from "../../lib/gridtypes/names.ts";
import { rootOnly } from "../../../tools/test-env.ts";


function netData(subnet: string, port: number, priv: string, peers: { subnet: string; pub: string; endpoint: string }[]) {
  return {
    ip_range: subnet.startsWith("10.2") ? (subnet.startsWith("10.21") ? "10.21.0.0/16" : "10.20.0.0/16") : "10.20.0.0/16", subnet, wireguard_private_key: priv, wireguard_listen_port: port,
    peers: peers.map((p) => ({ subnet: p.subnet, wireguard_public_key: p.pub, allowed_ips: [p.subnet, `100.64.20.${p.subnet.split(".")[2]}/32`], endpoint: p.endpoint })),
  };
}

async function ping(pin: string, ip: string, tries = 20): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    try {
      inNs(pin, ["ping", "-c", "1", "-W", "1", ip]);
      return true;
    } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return false;
}

test("two NRs on two nodes peer over WireGuard: ping crosses, update converges, delete leaves nothing", async () => {
  if (!rootOnly("network resources in real namespaces")) return;
  const lab = new Lab(2);
  try {
    const [a, b] = lab.nodes;
    const ka = wgKeys(), kb = wgKeys();
    const twin = 42;
    const id = networkId(twin, "net1");
    const n = names(id);
    await a.service.provision({ twin, workloadId: "42-1-net1", name: "net1", type: "network", data: netData("10.20.1.0/24", 3001, ka.priv, [{ subnet: "10.20.2.0/24", pub: kb.pub, endpoint: `${b.publicIp}:3002` }]) });
    await b.service.provision({ twin, workloadId: "42-2-net1", name: "net1", type: "network", data: netData("10.20.2.0/24", 3002, kb.priv, [{ subnet: "10.20.1.0/24", pub: ka.pub, endpoint: `${a.publicIp}:3001` }]) });

    // the Zero-OS shape: n-<id> namespace, b-<id> bridge in the host, w-<id> in the NR with 100.64.20.1/16
    const links = a.ops.links(n.ns);
    const byName = new Map(links.map((l) => [l.name, l]));
    assert.ok(byName.get(n.macvlan)?.addresses.includes("10.20.1.1/24"), JSON.stringify(links));
    assert.ok(byName.get(n.wg)?.addresses.includes("100.64.20.1/16"));
    assert.ok(byName.get("public")?.addresses.some((x) => x.startsWith("100.127.")));
    assert.ok(a.ops.index("host", n.bridge) !== null, "bridge in the node's host namespace");
    assert.ok(a.ops.routes(n.ns).some((r) => r.dst === "10.20.2.0/24" && r.dev === n.wg));
    // the UDP socket is in the public namespace, not in the NR
    assert.match(inNs(a.pin("public"), ["ss", "-uanH"]), ":3001");
    assert.not.match(inNs(a.pin(n.ns), ["ss", "-uanH"]), ":3001");

    assert.ok(await ping(a.pin(n.ns), "10.20.2.1"), "NR A reaches NR B's gateway over WireGuard");
    assert.ok(await ping(b.pin(n.ns), "100.64.20.1"), "NR B reaches NR A's wg address");
    assert.equal(await a.service.query("wg_ports", null), [3001]);

    // update: B drops A as a peer → its route to 10.20.1.0/24 goes, the wg peer list is empty
    await b.service.provision({ twin, workloadId: "42-2-net1", name: "net1", type: "network", data: netData("10.20.2.0/24", 3002, kb.priv, []) });
    assert.not.ok(b.ops.routes(n.ns).some((r) => r.dst === "10.20.1.0/24"), "stale peer route removed");
    assert.equal((await b.ops.wgGet(n.wg)).peers, []);
    // and back: converges again (idempotent re-apply of the full shape)
    await b.service.provision({ twin, workloadId: "42-2-net1", name: "net1", type: "network", data: netData("10.20.2.0/24", 3002, kb.priv, [{ subnet: "10.20.1.0/24", pub: ka.pub, endpoint: `${a.publicIp}:3001` }]) });
    assert.ok(await ping(b.pin(n.ns), "10.20.1.1"));

    // delete: namespace, bridge and wireguard-go gone
    await a.service.deprovision({ twin, name: "net1", workloadId: "42-1-net1" });
    assert.not.ok(existsSync(a.pin(n.ns)));
    assert.equal(a.ops.index("host", n.bridge), null);
    for (let i = 0; i < 50 && wireguardPids(a.ops.uapiDir).length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(wireguardPids(a.ops.uapiDir), [], "wireguard-go of the deleted NR exited");
    assert.equal(await a.service.query("wg_ports", null), []);
    assert.equal(wireguardPids(b.ops.uapiDir).length, 1, "B's NR is untouched");
  } finally {
    await lab.close();
  }
});

test("bad input is refused with a workload error that says what to fix, and nothing is built", async () => {
  if (!rootOnly("network resources in real namespaces")) return;
  const lab = new Lab(1);
  try {
    const [a] = lab.nodes;
    const k = wgKeys(), p = wgKeys();
    const cases: [Record<string, unknown>, RegExp][] = [
      [netData("10.20.1.0/24", 3001, k.priv, [{ subnet: "10.20.1.0/25", pub: p.pub, endpoint: "" }]), /overlaps this node's subnet/],
      [netData("10.20.1.0/24", 3001, "not-a-key", []), /wireguard_private_key is not a WireGuard key/],
      [netData("10.20.1.0/24", 3001, k.priv, [{ subnet: "10.20.2.0/24", pub: "AAAA", endpoint: "" }]), /peers\[0\]\.wireguard_public_key/],
      [netData("10.30.1.0/24", 3001, k.priv, []), /not inside ip_range/],
      [netData("10.20.1.0/24", 3001, k.priv, [{ subnet: "10.20.2.0/24", pub: p.pub, endpoint: "example:1" }]), /endpoint "example:1" is not ip:port/],
    ];
    for (const [data, re] of cases) {
      const err = await a.service.provision({ twin: 7, workloadId: "7-1-n", name: "n", type: "network", data }).then(() => null, (e: Error) => e);
      assert.ok(err, `refused: ${re}`);
      assert.match(err!.message, re);
    }
    assert.equal(a.ops.nsList().filter((x) => x.startsWith("n-")), [], "no NR namespace was made");
    // duplicate port across two networks of the node
    await a.service.provision({ twin: 7, workloadId: "7-1-n1", name: "n1", type: "network", data: netData("10.20.1.0/24", 3005, k.priv, []) });
    const dup = await a.service.provision({ twin: 7, workloadId: "7-2-n2", name: "n2", type: "network", data: netData("10.21.1.0/24", 3005, p.priv, []) })
      .then(() => null, (e: Error) => e);
    assert.match(dup?.message ?? "", /wireguard listen port 3005 already in use/);
    const light = await a.service.provision({ twin: 7, workloadId: "7-3-l", name: "l", type: "network-light", data: {} }).then(() => null, (e: Error) => e);
    assert.match(light?.message ?? "", /network-light is not supported on this node/);
  } finally {
    await lab.close();
  }
});

test.run();
