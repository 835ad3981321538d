// zos.network.list_private_ips answers from the caller's deployments as Zero-OS does: okay VMs' interfaces on the
// named network only (grid_client picks a free IP from it before every VM deployment).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { privateIpsIn } from "./private-ips.ts";
import { createRouter } from "./router.ts";

const vm = (name: string, state: string, interfaces: { network: string; ip: string }[], type = "zmachine") => ({
  version: 0, name, type, data: { flist: "x", network: { interfaces, public_ip: "", planetary: false } },
  metadata: "", description: "", result: { created: 1, state, message: "", data: null },
});
const deployments = [
  { twin_id: 7, contract_id: 1, workloads: [
    vm("a", "ok", [{ network: "net1", ip: "10.20.2.2" }, { network: "net2", ip: "10.30.2.2" }]),
    vm("b", "ok", [{ network: "net1", ip: "10.20.2.3" }], "zmachine-light"),
    vm("c", "error", [{ network: "net1", ip: "10.20.2.4" }]),
    vm("d", "deleted", [{ network: "net1", ip: "10.20.2.5" }]),
    { name: "net1", type: "network", data: { ip_range: "10.20.0.0/16", subnet: "10.20.2.0/24" }, result: { state: "ok" } },
  ] },
  { twin_id: 7, contract_id: 2, workloads: [vm("e", "ok", [{ network: "net1", ip: "10.20.3.2" }])] },
];

test("okay VMs' IPs on the named network, from every deployment; failed and deleted ones and other networks left out", () => {
  assert.equal(privateIpsIn(deployments, "net1"), ["10.20.2.2", "10.20.2.3", "10.20.3.2"]);
  assert.equal(privateIpsIn(deployments, "net2"), ["10.30.2.2"]);
  assert.equal(privateIpsIn(deployments, "nope"), []);
  assert.equal(privateIpsIn([], "net1"), []);
});

test("the router answers it for the calling twin only, with the engine's list", async () => {
  const asked: number[] = [];
  const list = (twin: number) => {
    asked.push(twin);
    return Promise.resolve(twin === 7 ? deployments : []);
  };
  // the engine port as modules/api/main.ts wires it: the twin's own deployments only
  const engine = {
    deploy: () => Promise.resolve(), update: () => Promise.resolve(), get: () => Promise.resolve(null), changes: () => Promise.resolve([]),
    list, privateIps: async (twin: number, name: string) => privateIpsIn(await list(twin), name),
  };
  // deno-lint-ignore no-explicit-any
  const router = createRouter({ engine } as any);
  const call = (twin: number, body: unknown) => router.handle({ twin, command: "zos.network.list_private_ips", payload: JSON.stringify(body) });
  assert.equal(await call(7, { network_name: "net1" }), ["10.20.2.2", "10.20.2.3", "10.20.3.2"]);
  assert.equal(await call(8, { network_name: "net1" }), []);
  assert.equal(asked, [7, 8]);
  await call(7, {}).then(() => assert.unreachable("no network_name"), (e: Error) => assert.match(e.message, /network_name/));
});

test.run();
