// The zos.* router on its own: command table, payload handling, authorization of admin commands and
// the "not supported" contract. Deployment flows with a real engine and chain are in
// test/node_e2e.test.ts.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiError, createRouter } from "./mod.ts";
import type { ApiDeps } from "./ports.ts";
import { allInterfaces, dmi, hostCapacity, hypervisor, reservedCapacity } from "../../capabilities/hostfacts/lib/mod.ts";
import { Registrar } from "../registrar/mod.ts";
import { Engine, MemoryStore } from "../provision/mod.ts";
import { enginePort } from "./test/engine-port.test-helper.ts";
import { fixedCapacity } from "../provision/test/fixtures.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

const FARMER = 7;
const USER = 42;

function deps(extra: Partial<ApiDeps> = {}): ApiDeps {
  return {
    identity: { nodeId: () => 3, twinId: () => 11, farmerTwin: () => Promise.resolve(FARMER) },
    system: {
      version: () => ({ zos: "0.1.0", zinit: "zos-ts-kernel" }),
      capacity: () => Promise.resolve({ ...hostCapacity("."), ipv4u: 0 }),
      reserved: () => Promise.resolve(reservedCapacity(0)),
      dmi: () => Promise.resolve(dmi()),
      hypervisor: () => Promise.resolve(hypervisor()),
    },
    ...extra,
  };
}

async function rejects(p: Promise<unknown>, match: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, ApiError);
    assert.match((err as Error).message, match);
    return;
  }
  assert.unreachable(`expected an error matching ${match}`);
}

const t = suite("api router");

t("zos.system.version answers {zos, zinit}", async () => {
  const r = createRouter(deps());
  assert.equal(await r.handle({ twin: USER, command: "zos.system.version", payload: "" }), {
    zos: "0.1.0",
    zinit: "zos-ts-kernel",
  });
});

t("unknown command answers exactly like zos", async () => {
  const r = createRouter(deps());
  await rejects(r.handle({ twin: USER, command: "zos.nope", payload: "" }), /^function is not found$/);
  // prototype names are not commands
  await rejects(r.handle({ twin: USER, command: "constructor", payload: "" }), /^function is not found$/);
});

t("every §5.2 command is in the table, and admin under both paths", () => {
  const cmds = createRouter(deps()).commands();
  for (
    const c of [
      "zos.deployment.deploy", "zos.deployment.update", "zos.deployment.get", "zos.deployment.list",
      "zos.deployment.changes", "zos.deployment.delete", "zos.statistics.get", "zos.storage.pools", "zos.gpu.list",
      "zos.network.list_wg_ports", "zos.network.public_config_get", "zos.network.interfaces", "zos.network.has_ipv6",
      "zos.network.list_public_ips", "zos.network.list_private_ips", "zos.system.version", "zos.system.dmi",
      "zos.system.hypervisor", "zos.system.diagnostics", "zos.system.node_features_get", "zos.perf.get",
      "zos.perf.get_all", "zos.location.get", "zos.admin.interfaces", "zos.admin.get_public_nic",
      "zos.admin.set_public_nic", "zos.network.admin.interfaces", "zos.debug.deployment.list",
    ]
  ) assert.ok(cmds.includes(c), c);
});

t("commands without a backing capability say so", async () => {
  const r = createRouter(deps());
  for (const c of ["zos.storage.pools", "zos.gpu.list", "zos.network.interfaces", "zos.deployment.list",
    "zos.deployment.deploy", "zos.location.get", "zos.perf.get_all", "zos.system.node_features_get"]) {
    await rejects(r.handle({ twin: USER, command: c, payload: "{}" }), new RegExp(`^${c.replaceAll(".", "\\.")} is not supported on this node yet$`));
  }
});

t("deletion is refused with the zos message", async () => {
  const r = createRouter(deps());
  await rejects(
    r.handle({ twin: USER, command: "zos.deployment.delete", payload: '{"contract_id":1}' }),
    /^deletion over the api is disabled, please cancel your contract instead$/,
  );
});

t("payloads: invalid JSON and oversized are refused before any handler", async () => {
  const r = createRouter(deps({ maxPayloadBytes: 64 }));
  await rejects(r.handle({ twin: USER, command: "zos.deployment.get", payload: "{nope" }), /payload is not valid JSON/);
  await rejects(
    r.handle({ twin: USER, command: "zos.system.version", payload: JSON.stringify({ x: "y".repeat(100) }) }),
    /payload of \d+ bytes exceeds the limit of 64 bytes/,
  );
  await rejects(r.handle({ twin: 0, command: "zos.system.version", payload: "" }), /no sender twin/);
});

t("the default payload limit is 1 MiB (a literal here: the constant itself is what a defect would change)", async () => {
  const r = createRouter(deps());
  const over = JSON.stringify({ x: "y".repeat(1024 * 1024) });
  await rejects(r.handle({ twin: USER, command: "zos.system.version", payload: over }), new RegExp(`payload of ${over.length} bytes exceeds the limit of 1048576 bytes`));
  // at the limit: accepted (zos.system.version ignores its payload)
  const at = JSON.stringify({ x: "y".repeat(1024 * 1024 - 8) });
  assert.is(at.length, 1024 * 1024);
  assert.ok(await r.handle({ twin: USER, command: "zos.system.version", payload: at }));
});

t("contract_id is read like Go reads it (case-insensitive) and must be an integer", async () => {
  // the real provision engine over an in-memory store; nothing here reaches the chain
  const store = new MemoryStore();
  const noChain = () => Promise.reject(new Error("no chain in this test"));
  const engine = await Engine.open({
    store,
    keys: { getKey: noChain },
    contracts: { check: noChain },
    managers: new Map(),
    capacity: fixedCapacity(64),
  });
  const r = createRouter(deps({ engine: enginePort(engine, () => []) }));
  await rejects(r.handle({ twin: USER, command: "zos.deployment.get", payload: '{"Contract_ID": 9}' }), /no deployment with contract id 9 for twin 42/);
  await rejects(r.handle({ twin: USER, command: "zos.deployment.get", payload: '{"contract_id": "9"}' }), /"contract_id" must be a non-negative integer/);
  await rejects(r.handle({ twin: USER, command: "zos.deployment.get", payload: "" }), /"contract_id" must be a non-negative integer, got nothing/);
  assert.equal(await r.handle({ twin: USER, command: "zos.deployment.list", payload: "" }), []);
  // without codec and chain the node cannot check contracts: deploy is refused, nothing stored
  await rejects(r.handle({ twin: USER, command: "zos.deployment.deploy", payload: "{}" }), /not supported on this node yet/);
  assert.is(store.commits, 0);
});

t("admin commands: farmer twin only, under zos.admin and zos.network.admin", async () => {
  const r = createRouter(deps({ network: { adminInterfaces: () => Promise.resolve(allInterfaces()) } }));
  for (const c of ["zos.admin.interfaces", "zos.network.admin.interfaces"]) {
    await rejects(r.handle({ twin: USER, command: c, payload: "" }), /reserved for the farmer twin 7; twin 42 is not allowed/);
    const ifs = await r.handle({ twin: FARMER, command: c, payload: "" }) as Json;
    assert.ok(Object.keys(ifs).length >= 1, "this host has interfaces");
    for (const v of Object.values(ifs)) assert.equal(Object.keys(v).sort(), ["ips", "mac"]);
  }
  // a non-farmer learns nothing, not even that the command is unsupported
  await rejects(r.handle({ twin: USER, command: "zos.admin.set_public_nic", payload: '"eth1"' }), /reserved for the farmer/);
  await rejects(r.handle({ twin: FARMER, command: "zos.admin.set_public_nic", payload: '"eth1"' }), /not supported on this node yet/);
  const set: string[] = [];
  const withNic = createRouter(deps({ network: { setPublicNic: (n: string) => Promise.resolve(void set.push(n)) } }));
  assert.is(await withNic.handle({ twin: FARMER, command: "zos.admin.set_public_nic", payload: '"eth1"' }), null);
  await rejects(withNic.handle({ twin: USER, command: "zos.admin.set_public_nic", payload: '"eth2"' }), /reserved for the farmer/);
  await rejects(withNic.handle({ twin: FARMER, command: "zos.admin.set_public_nic", payload: "42" }), /interface name as a JSON string/);
  assert.equal(set, ["eth1"], "only the farmer's well-formed call reached the network module");
  const unregistered = createRouter(deps({ identity: { nodeId: () => undefined, twinId: () => undefined, farmerTwin: () => Promise.resolve(undefined) } }));
  await rejects(unregistered.handle({ twin: FARMER, command: "zos.admin.interfaces", payload: "" }), /farmer twin of this node is not known yet/);
});

t("statistics: total from the host, system reserve counted in used", async () => {
  const r = createRouter(deps());
  const s = await r.handle({ twin: USER, command: "zos.statistics.get", payload: "" }) as Json;
  assert.equal(Object.keys(s).sort(), ["open_connections", "system", "total", "used", "users"]);
  for (const k of ["total", "used", "system"]) assert.equal(Object.keys(s[k]).sort(), ["cru", "hru", "ipv4u", "mru", "sru"]);
  assert.ok(s.total.cru >= 1);
  assert.ok(s.total.mru > 0);
  assert.is(s.total.ipv4u, 0);
  assert.equal(s.used, s.system, "nothing deployed: used = reserved");
  assert.ok(s.system.mru >= 2 * 1024 ** 3);
  assert.equal(s.users, { deployments: 0, workloads: 0, last_deployment_timestamp: 0 });
});

t("diagnostics reflect module health: a registrar that has not run is not healthy", async () => {
  // a real registrar that was never started (its chain is never called)
  const unreachable = () => Promise.reject(new Error("not started"));
  const registrar = new Registrar({
    chain: new Proxy({ address: "" }, { get: (t, k) => (k in t ? (t as Json)[k as string] : unreachable) }) as never,
    activator: { activate: unreachable },
    host: { capacity: unreachable, interfaces: unreachable, location: unreachable, secureBoot: unreachable,
      virtualized: unreachable, serialNumber: unreachable, uptimeSecs: () => 0 },
    farmId: 1,
    relays: [],
    pk: null,
  });
  const r = createRouter(deps({
    diagnostics: { modules: () => Promise.resolve([{ name: "registrar", healthy: registrar.state().state === "registered", status: registrar.state() }]) },
  }));
  const d = await r.handle({ twin: USER, command: "zos.system.diagnostics", payload: "" }) as Json;
  assert.is(d.healthy, false);
  assert.is(d.system_status_ok, false);
  assert.is(d.modules[0].status.state, "pending");
  assert.is(d.modules[0].status.farm_id, 1);
  assert.is(d.online, true, "online follows the node id the identity reports");
});

t("diagnostics list each process's measured memory and flag the ones over budget (the kernel's numbers, as given)", async () => {
  const sample = [
    { process: "kv", pid: 10, rssMb: 50.2, pssMb: 20.1, ussMb: 18, budgetMb: 80 },
    { process: "chain", pid: 11, rssMb: 190, pssMb: 120.4, ussMb: 110, budgetMb: 176 },
    { process: "log", pid: 12, rssMb: 48, pssMb: 19.5, ussMb: 17.5, budgetMb: null },
  ];
  const r = createRouter(deps({ diagnostics: { modules: () => Promise.resolve([]), processes: () => Promise.resolve(sample) } }));
  const d = await r.handle({ twin: USER, command: "zos.system.diagnostics", payload: "" }) as Json;
  assert.equal(d.processes[1], { name: "chain", pid: 11, rss_mb: 190, pss_mb: 120.4, uss_mb: 110, budget_mb: 176, over_budget: true });
  assert.equal(d.processes.map((p: Json) => p.over_budget), [false, true, false]);
  assert.equal(d.memory, { rss_mb: 288.2, pss_mb: 160, uss_mb: 145.5 });
  // PSS unreadable for one process: no made-up total; a failing kernel grant leaves the rest of the answer
  const partial = createRouter(deps({ diagnostics: { modules: () => Promise.resolve([]), processes: () => Promise.resolve([{ ...sample[0], pssMb: null, ussMb: null }]) } }));
  assert.equal((await partial.handle({ twin: USER, command: "zos.system.diagnostics", payload: "" }) as Json).memory, { rss_mb: 50.2, pss_mb: null, uss_mb: null });
  const failing = createRouter(deps({ diagnostics: { modules: () => Promise.resolve([]), processes: () => Promise.reject(new Error("revoked")) } }));
  const f = await failing.handle({ twin: USER, command: "zos.system.diagnostics", payload: "" }) as Json;
  assert.is(f.processes, undefined);
  assert.is(f.healthy, true);
});

t("system dmi and hypervisor come from the host", async () => {
  const r = createRouter(deps());
  const d = await r.handle({ twin: USER, command: "zos.system.dmi", payload: "" }) as Json;
  assert.equal(d.tooling, { aggregator: "zos-ts", decoder: "sysfs" });
  assert.ok(Array.isArray(d.sections));
  const h = await r.handle({ twin: USER, command: "zos.system.hypervisor", payload: "" });
  assert.type(h, "string");
});

t.run();
