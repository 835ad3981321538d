// Escape tests for the netlink grant, on the driver's own code and real namespaces (root): a holder
// restricted to some prefixes cannot create, list, change or delete namespaces or host links outside them,
// cannot reach the host's routes, sysctls or firewall, cannot drive another holder's WireGuard device, and
// a batch with one refused operation changes nothing at all; public IP filters only for the grant's taps.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { tempDir } from "../../tools/test-tmp.ts";
import { applyOps } from "./apply.ts";
import { parseGrant } from "./grant.ts";
import { NetOps } from "./ops.ts";
import { denoSys } from "./sys.ts";
import { rootOnly } from "../../tools/test-env.ts";

const hostRoutes = () => execFileSync("ip", ["route", "show"], { encoding: "utf8" });
const hostLinks = () => execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });

test("a grant's prefixes bound everything it can name; refused batches change nothing", async () => {
  if (!rootOnly("the netlink grant in real namespaces")) return;
  const dir = tempDir("zt-network-esc-");
  const ops = new NetOps(denoSys(), join(dir, "ns"), join(dir, "wg"));
  const twinA = parseGrant({ namespaces: ["zt-a-"], hostLinks: ["zt-a-"] });
  const twinB = parseGrant({ namespaces: ["zt-b-"] });
  const run = (g: typeof twinA, list: Record<string, unknown>[]) => applyOps(ops, g, JSON.stringify(list));
  const refused = async (g: typeof twinA, list: Record<string, unknown>[], re: RegExp) => {
    const err = await run(g, list).then(() => null, (e: Error) => e);
    assert.ok(err, `refused: ${JSON.stringify(list)}`);
    assert.match(err!.message, re);
  };
  const routesBefore = hostRoutes();
  const linksBefore = hostLinks();
  try {
    await run(twinA, [{ op: "ns.add", name: "zt-a-nr" }, { op: "link.add", ns: "zt-a-nr", name: "br0", kind: "bridge" }]);
    await run(twinB, [{ op: "ns.add", name: "zt-b-nr" }]);
    // namespaces outside the grant: not creatable, not removable, not configurable, not even listed
    await refused(twinA, [{ op: "ns.add", name: "other" }], /denied: .*namespace "other" is outside this grant/);
    await refused(twinA, [{ op: "ns.del", name: "zt-b-nr" }], /denied/);
    await refused(twinA, [{ op: "link.list", ns: "zt-b-nr" }], /denied/);
    await refused(twinA, [{ op: "link.add", ns: "zt-a-nr", name: "x", kind: "veth", peer: "y", peerNs: "zt-b-nr" }], /denied/);
    assert.equal(await run(twinA, [{ op: "ns.list" }]), [["zt-a-nr"]]);
    // the host namespace: no routes (the default route), sysctls or firewall; links only by prefix
    await refused(twinA, [{ op: "route.add", ns: "", dst: "default", via: "10.0.0.1" }], /denied: .*host namespace's routes/);
    await refused(twinA, [{ op: "route.del", ns: "", dst: "default" }], /denied/);
    await refused(twinA, [{ op: "sysctl", ns: "", key: "net.ipv4.ip_forward", value: "1" }], /denied/);
    await refused(twinA, [{ op: "nft", ns: "", ruleset: "" }], /denied/);
    await refused(twinA, [{ op: "link.set", ns: "", name: "lo", up: false }], /denied: .*link "lo" of the host namespace/);
    await refused(twinA, [{ op: "link.del", ns: "", name: "eth0" }], /denied/);
    await refused(twinA, [{ op: "link.move", ns: "", name: "eth0", into: "zt-a-nr" }], /denied/);
    await refused(twinB, [{ op: "link.add", ns: "", name: "zt-b-x", kind: "dummy" }], /denied/);
    // one refused operation in a batch: the earlier, allowed ones did not run either
    await refused(twinA, [{ op: "ns.add", name: "zt-a-second" }, { op: "ns.add", name: "evil" }], /operation 1/);
    assert.equal(ops.nsList(), ["zt-a-nr", "zt-b-nr"]);
    // another holder's WireGuard device cannot be read or stopped by naming it in one's own namespace
    await refused(twinB, [{ op: "wg.get", ns: "zt-a-nr", name: "w-x" }], /denied/);
    await refused(twinB, [{ op: "wg.get", ns: "zt-b-nr", name: "w-x" }], /no WireGuard device "w-x" in that namespace/);
    // public IP filters: only for taps the grant names, each filter bound to its own tap, values checked
    await refused(twinB, [{ op: "pubip.filter", ns: "", name: "r-abc", iface: "p-abc", mac: "02:00:00:00:00:01", ip4: "198.18.0.9" }], /denied: .*link "p-abc" of the host namespace/);
    await refused(twinB, [{ op: "pubip.unfilter", ns: "", name: "r-abc", iface: "p-abc" }], /denied/);
    await refused(twinA, [{ op: "pubip.filter", ns: "zt-a-nr", name: "r-other", iface: "p-abc", mac: "02:00:00:00:00:01" }], /does not belong to interface/);
    await refused(twinA, [{ op: "pubip.filter", ns: "zt-a-nr", name: "r-abc", iface: "p-abc", mac: "02:00:00:00:00:01", ip4: "1.2.3.4 } accept; {" }], /not an IPv4 address/);
    await refused(twinA, [{ op: "pubip.filter", ns: "zt-a-nr", name: "r-abc", iface: "p-abc", mac: "evil" }], /not a lowercase MAC/);
    await refused(twinB, [{ op: "pubip.list", ns: "zt-a-nr" }], /denied/);
    // malformed names are refused before anything happens
    await refused(twinA, [{ op: "link.add", ns: "zt-a-nr", name: "a-very-long-interface-name", kind: "bridge" }], /not an interface name/);
    await refused(twinA, [{ op: "ns.add", name: "zt-a-../../etc" }], /not a valid namespace name/);
    assert.equal(hostRoutes(), routesBefore, "host routes untouched");
    assert.equal(hostLinks().split("\n").length, linksBefore.split("\n").length, "no host link appeared or vanished");
  } finally {
    await ops.close();
    for (const n of ops.nsList()) ops.nsDel(n);
  }
});

test("ns.share: a share-only grant gets a pin of exactly the namespaces it names, by an unguessable path, and nothing else", async () => {
  if (!rootOnly("namespace pins")) return;
  const dir = tempDir("zt-network-share-");
  const ops = new NetOps(denoSys(), join(dir, "netlink", "ns"), join(dir, "netlink", "wg"));
  const owner = parseGrant({ namespaces: ["zt-sh-"] });
  const gateway = parseGrant({ share: ["zt-sh-public"] });
  const run = (g: typeof owner, list: Record<string, unknown>[]) => applyOps(ops, g, JSON.stringify(list));
  const refusal = (g: typeof owner, list: Record<string, unknown>[]) => run(g, list).then(() => "", (e: Error) => e.message);
  try {
    await run(owner, [{ op: "ns.add", name: "zt-sh-public" }, { op: "ns.add", name: "zt-sh-other" }]);
    const [{ pin }] = await run(gateway, [{ op: "ns.share", name: "zt-sh-public" }]) as { pin: string }[];
    assert.match(relative(dir, pin), /^netlink\/shared\/[0-9a-f]{32}\/zt-sh-public$/);
    // the same namespace as the driver's own pin, reachable by path only: folders traversable, not listable
    assert.is(statSync(pin).ino, statSync(join(dir, "netlink", "ns", "zt-sh-public")).ino);
    const inside = execFileSync("nsenter", [`--net=${pin}`, "--", "readlink", "/proc/self/ns/net"], { encoding: "utf8" }).trim();
    assert.is(inside, execFileSync("nsenter", [`--net=${join(dir, "netlink", "ns", "zt-sh-public")}`, "--", "readlink", "/proc/self/ns/net"], { encoding: "utf8" }).trim());
    for (const d of [join(dir, "netlink"), join(dir, "netlink", "shared"), dirname(pin)]) assert.is(statSync(d).mode & 0o777, 0o711, d);
    for (const d of [join(dir, "netlink", "ns"), join(dir, "netlink", "wg")]) assert.is(statSync(d).mode & 0o777, 0o700, d);
    assert.equal(await run(gateway, [{ op: "ns.share", name: "zt-sh-public" }]), [{ pin }], "one pin per namespace");
    // nothing else: another namespace, configuring the shared one, creating or listing
    assert.match(await refusal(gateway, [{ op: "ns.share", name: "zt-sh-other" }]), /denied: .*namespace "zt-sh-other" is not shared with this grant \(shared: zt-sh-public\)/);
    assert.match(await refusal(gateway, [{ op: "link.add", ns: "zt-sh-public", name: "x", kind: "dummy" }]), /denied/);
    assert.match(await refusal(gateway, [{ op: "addr.add", ns: "zt-sh-public", dev: "lo", cidr: "10.9.9.9/32" }]), /denied/);
    assert.match(await refusal(gateway, [{ op: "ns.add", name: "zt-sh-public2" }]), /denied/);
    assert.equal(await run(gateway, [{ op: "ns.list" }]), [[]]);
    assert.match(await refusal(owner, [{ op: "ns.share", name: "zt-sh-public" }]), /denied: .*not shared with this grant \(shared: none\)/);
    // removing the namespace removes its shared pin too (else the pin would keep it alive)
    ops.nsDel("zt-sh-public");
    assert.not.ok(existsSync(pin));
    // a restarted driver starts with nothing shared (holders ask again)
    const [{ pin: other }] = await run(parseGrant({ share: ["zt-sh-other"] }), [{ op: "ns.share", name: "zt-sh-other" }]) as { pin: string }[];
    await ops.close();
    new NetOps(denoSys(), join(dir, "netlink", "ns"), join(dir, "netlink", "wg"));
    assert.not.ok(existsSync(other));
  } finally {
    await ops.close();
    for (const n of ops.nsList()) ops.nsDel(n);
  }
});

test("grants must name prefixes; unknown restrictions are refused", () => {
  assert.throws(() => parseGrant({}), /must name namespace or host link prefixes, or namespaces to share/);
  assert.throws(() => parseGrant({ namespaces: [""] }), /non-empty name prefixes/);
  assert.throws(() => parseGrant({ namespaces: ["n-"], all: true }), /unknown restriction "all"/);
});

test.run();
