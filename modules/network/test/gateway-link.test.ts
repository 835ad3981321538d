// The gateway's link into a user's NR (modules/network/gateway-link.ts): which backends are accepted, the
// netlink ops that make and remove the link. The end-to-end path (a backend on the NR's bridge reached
// through the gateway's :443) is in modules/provision/managers/gateway-e2e.test.ts.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { checkBackends, GW_LINK_PUBLIC, linkName, linkOps, unlinkOps } from "../gateway-link.ts";
import { NetworkService } from "../service.ts";
import { networkId } from "../../lib/gridtypes/names.ts";

const t = suite("gateway link into an NR");
const layout = { host: "host", public: "public", ndmz: "ndmz" };
const nr = { name: "net1", subnet: "10.40.1.0/24" };

t("backends: IPv4 addresses of the NR's subnet on this node, deduplicated", () => {
  assert.equal(checkBackends(["10.40.1.2", "10.40.1.3", "10.40.1.2"], nr), ["10.40.1.2", "10.40.1.3"]);
  assert.throws(() => checkBackends(["10.40.2.2"], nr), /not in network "net1"'s subnet on this node \(10\.40\.1\.0\/24\)/);
  assert.throws(() => checkBackends(["8.8.8.8"], nr), /not in network "net1"'s subnet/);
  assert.throws(() => checkBackends(["fd00::2"], nr), /an IPv4 address of its subnet/);
  assert.throws(() => checkBackends([], nr), /non-empty list/);
  assert.throws(() => checkBackends("10.40.1.2", nr), /non-empty list/);
});

t("first link: a veth public ↔ NR, addresses, proxy ARP, the route back and one /32 route per backend", () => {
  const ops = linkOps(layout, "abc123", false, ["10.40.1.2"]);
  const g = linkName("abc123");
  assert.is(g, "g-abc123");
  assert.equal(ops[0], { op: "link.add", ns: "public", name: g, kind: "veth", peer: g, peerNs: "n-abc123" });
  assert.ok(ops.some((o) => o.op === "addr.add" && o.ns === "public" && o.cidr === `${GW_LINK_PUBLIC}/32`));
  assert.ok(ops.some((o) => o.op === "sysctl" && o.ns === "n-abc123" && o.key === `net.ipv4.conf.${g}.proxy_arp` && o.value === "1"));
  assert.ok(ops.some((o) => o.op === "route.add" && o.ns === "n-abc123" && o.dst === `${GW_LINK_PUBLIC}/32` && o.dev === g));
  assert.equal(ops.at(-1), { op: "route.add", ns: "public", dst: "10.40.1.2/32", dev: g });
  // the link exists: only the new routes
  assert.equal(linkOps(layout, "abc123", true, ["10.40.1.3"]), [{ op: "route.add", ns: "public", dst: "10.40.1.3/32", dev: g }]);
});

t("unlink: routes no other gateway of the NR needs; the link itself with the last one", () => {
  const a = { workloadId: "1-1-a", netId: "abc123", backends: ["10.40.1.2", "10.40.1.3"] };
  const b = { workloadId: "1-1-b", netId: "abc123", backends: ["10.40.1.3"] };
  const other = { workloadId: "2-1-c", netId: "zzz999", backends: ["10.40.1.2"] };
  assert.equal(unlinkOps(layout, a, [b, other], true), [{ op: "route.del", ns: "public", dst: "10.40.1.2/32", dev: "g-abc123" }]);
  assert.equal(unlinkOps(layout, a, [other], true), [{ op: "link.del", ns: "public", name: "g-abc123" }]);
  assert.equal(unlinkOps(layout, a, [], false), [], "the NR (and its link) is gone already");
});

t.run();

// The service's checks, with test doubles for the netlink grant (records the ops, answers route.list and
// link.list from what it was told) and the kv store (a Map): which twin's network a gateway may reach.

function serviceWith(routes: { dst: string; dev: string }[]) {
  const applied: Record<string, unknown>[][] = [];
  const kv = new Map<string, Uint8Array>();
  const store = {
    get: (k: string) => Promise.resolve(kv.get(k) ?? null),
    put: (k: string, v: Uint8Array) => Promise.resolve(void kv.set(k, v)),
    delete: (k: string) => Promise.resolve(void kv.delete(k)),
    list: (p: string) => Promise.resolve([...kv.keys()].filter((k) => k.startsWith(p))),
  };
  const apply = (ops: Record<string, unknown>[]) => {
    applied.push(ops);
    return Promise.resolve(ops.map((o) => (o.op === "route.list" ? routes : o.op === "link.list" ? [] : null)));
  };
  const svc = new NetworkService(layout, apply, store);
  const nr = (twin: number, name: string, subnet: string) => {
    const netId = networkId(twin, name);
    kv.set(`nr/${netId}`, new TextEncoder().encode(JSON.stringify({ workloadId: `${twin}-1-${name}`, twin, name, netId, port: 1, ndmzIp: "", subnet, config: {} })));
    return netId;
  };
  return { svc, applied, kv, nr };
}

const t2 = suite("gateway link: whose network");

t2("another twin's network of the same name is not reachable: it does not exist for this twin", async () => {
  const { svc, nr, applied } = serviceWith([]);
  nr(7, "net1", "10.40.1.0/24");
  const req = { twin: 8, workloadId: "8-2-gw", name: "net1", type: "gateway-link", data: { backends: ["10.40.1.2"] } };
  try {
    await svc.provision(req);
    assert.unreachable("twin 8 reached twin 7's network");
  } catch (e) {
    assert.match((e as Error).message, /network "net1" of twin 8 does not exist on this node/);
  }
  assert.equal(applied, [], "nothing changed");
});

t2("a backend IP already routed to another network is refused; the twin's own link is made", async () => {
  const mine = networkId(8, "net1");
  const { svc, nr, applied, kv } = serviceWith([{ dst: "10.40.1.2/32", dev: "g-someoneelse" }]);
  nr(8, "net1", "10.40.1.0/24");
  const req = { twin: 8, workloadId: "8-2-gw", name: "net1", type: "gateway-link", data: { backends: ["10.40.1.2"] } };
  try {
    await svc.provision(req);
    assert.unreachable("a second network took over 10.40.1.2");
  } catch (e) {
    assert.match((e as Error).message, /backend 10\.40\.1\.2 is already reached through another network on this gateway/);
  }
  assert.not.ok(kv.has("gwlink/8-2-gw"));
  const ok = await svc.provision({ ...req, data: { backends: ["10.40.1.3"] } });
  assert.equal(ok, { link: `g-${mine}`, source: GW_LINK_PUBLIC });
  assert.ok(applied.at(-1)!.some((o) => o.op === "link.add" && o.peerNs === `n-${mine}`));
  await svc.deprovision({ twin: 8, name: "", workloadId: "8-2-gw", type: "gateway-link" });
  assert.not.ok(kv.has("gwlink/8-2-gw"), "record removed on delete");
});

t2.run();
