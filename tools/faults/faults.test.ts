// The fault suite, short (issue 14 item 3; `npm run faults` is the full one: 100 deployments, every process, a
// minute away): one deployment of each working workload type while the processes that hold workload state are
// killed -9 (provision, storage, blockdev, zdb, gateway, api, rmb, network, netlink and the programs below them:
// the gateway's proxy, the 0-db server, wireguard-go); chain and relay cut for 15 s with a cancellation missed meanwhile; then
// every deployment "ok" once, nothing duplicated, the missed cancellation applied, and after cancelling all of
// them a census from outside equal to the one before: 0 lost, 0 leaked. Root (loop-device pools, namespaces).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rootOnly } from "../test-env.ts";
import { runFaults } from "./run.ts";

test("kill -9 during deployments of every type, chain and relay away: 0 lost, 0 duplicated, 0 leaked, missed cancellation applied", async () => {
  if (!rootOnly("the fault suite (loop-device pools, network namespaces)")) return;
  const r = await runFaults({
    deployments: 6,
    outageS: 15,
    // the processes holding workload state, and the WireGuard side: the network module, the netlink driver and
    // wireguard-go (the network module's watch rebuilds an NR whose wireguard-go died)
    only: ["provision", "storage", "blockdev", "zdb", "gateway", "api", "rmb", "network", "netlink", "proxy.ts", "serve.ts", "wireguard-go"],
    log: (l) => console.log(`  ${l}`),
  });
  console.log(`  ${r.summary}`);
  assert.equal(r.problems, []);
  assert.equal(r.lost, []);
  assert.equal(r.duplicates, []);
  assert.is(r.leakedCount, 0, JSON.stringify(r.leaked));
  assert.ok(r.kills.length >= 8, `every chosen process was killed (${r.kills.map((k) => k.target).join(", ")})`);
  assert.ok(r.kills.every((k) => k.back), JSON.stringify(r.kills));
  assert.ok(r.kills.some((k) => k.target === "below:proxy.ts"), "the gateway's proxy was killed");
  assert.ok(r.kills.some((k) => k.target === "below:wireguard-go"), "a wireguard-go was killed");
  assert.ok(r.outage.freedAfterS !== null, "the cancellation made while the node was away was applied");
});

test.run();
