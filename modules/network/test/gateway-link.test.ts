// The gateway's link into a user's NR (modules/network/gateway-link.ts): which backends are accepted, the
// netlink ops that make and remove the link. The end-to-end path (a backend on the NR's bridge reached
// through the gateway's :443) is in modules/provision/managers/gateway-e2e.test.ts.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { checkBackends, GW_LINK_PUBLIC, linkName, linkOps, unlinkOps } from "../gateway-link.ts";

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
