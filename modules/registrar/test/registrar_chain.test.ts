// The registrar against the real dev chain (grid/chain, instant blocks) through the chain driver hosted by
// the capability kernel, as on a node: CapRegistrarChain (modules/node/registrar-chain.ts, what the registrar
// module runs) over the `reader` and `submit` grants of manifests/node.json (extrinsics signed inside the
// identity driver, the submit allowlist applied by the chain driver), funding through the chain driver's
// activator and the activation service, host facts from the hostfacts driver. Covers funding, T&C, twin
// with relay + pk, node with this host's capacity; idempotent reruns; updates in place; bad farms.
// One kernel = one node identity, so the tests run in an order that keeps the account fresh until the
// "fresh node" test registers it.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { ChainClient } from "../../../capabilities/chain/mod.ts";
import { ChainReaderClient } from "../../../capabilities/chain/reader-client.ts";
import { Activator$Client } from "../../../capabilities/schema/gen/node.ts";
import { startChain, type RunningChain } from "../../../grid/chain/mod.ts";
import { type RunningActivation, startActivation } from "../../../grid/activation/mod.ts";
import { signerFromSeed } from "../../../capabilities/rmb/signer.ts";
import { e2eKeyFromSecret } from "../../../capabilities/rmb/e2e.ts";
import { DevFaucet } from "../../../cli/commands/dev/faucet.ts";
import { type KernelHandle, startKernel } from "../../../kernel/mod.ts";
import { HostFactsClient, nodeAddress, type UseCap } from "../../node/caps.ts";
import { CapRegistrarChain, SubmitClient } from "../../node/registrar-chain.ts";
import { NODE_MANIFEST } from "../../node.ts";
import { Registrar, type RegistrarOptions, UNKNOWN_LOCATION } from "../mod.ts";
import type { Activator, HostFacts, NodeInterface, NodeLocation, Resources } from "../ports.ts";

const t = suite("registrar on the dev chain, through the kernel-hosted chain driver");
const dir = mkdtempSync(join(tmpdir(), "zt-tests-registrar-"));
let grid: RunningChain;
let activation: RunningActivation;
let kernel: KernelHandle;
let api: ApiPromise;
let client: ChainClient;
let chain: CapRegistrarChain;
let activator: Activator;
let facts: HostFactsClient;
const pk = "0x" + Buffer.from(e2eKeyFromSecret(randomBytes(32)).publicKey).toString("hex");

const fast = { initialMs: 20, maxMs: 100, factor: 2 };

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms))),
  ]);
}

/** A grant of the holder module, used as the registrar module uses its own (re-acquired on every call). */
function grant(name: string): UseCap {
  return (fn) => kernel.kernel.grantFor("holder", name).then(fn);
}

/** HostFacts over the hostfacts driver, as modules/registrar/main.ts builds them. */
function hostFacts(location?: () => Promise<NodeLocation>): HostFacts {
  return {
    capacity: () => facts.get<Resources>("capacity"),
    interfaces: () => facts.get<NodeInterface[]>("interfaces"),
    location: location ?? (() => Promise.reject(new Error("no geoip service on the local grid"))),
    secureBoot: () => facts.get<boolean>("secureBoot"),
    virtualized: async () => (await facts.get<string>("hypervisor")) !== "",
    serialNumber: () => facts.get<string | null>("serialNumber"),
    uptimeSecs: () => 120,
  };
}

function registrar(extra: Partial<RegistrarOptions> = {}): Registrar {
  return new Registrar({
    chain,
    activator,
    host: hostFacts(),
    farmId: 1,
    relays: ["relay.dev.local"],
    pk,
    backoff: fast,
    ...extra,
  });
}

/** The node manifest's identity, chain and hostfacts drivers, and a module holding the registrar's grants. */
function testManifest(): string {
  const node = JSON.parse(readFileSync(NODE_MANIFEST, "utf8").replace(/^\s*\/\/.*$/gm, ""));
  const { identity, chain: chainDriver, hostfacts, registrar: reg } = node.processes;
  const { reader, submit, activator: act, identity: id, facts: f } = reg.grants;
  const manifest = {
    version: 1,
    root: join(NODE_MANIFEST, "..", ".."),
    description: "registrar_chain.test.ts: the node's chain driver and the registrar's grants",
    processes: {
      identity,
      chain: chainDriver,
      hostfacts,
      holder: {
        kind: "module",
        entry: "modules/registrar/test/grant-holder.ts",
        grants: { reader, submit, activator: act, identity: id, facts: f },
      },
    },
  };
  const path = join(dir, "manifest.json");
  writeFileSync(path, JSON.stringify(manifest, null, 2));
  return path;
}

t.before(async () => {
  grid = await startChain({ blockTimeMs: 0, log: () => {} });
  const bob = grid.devAccounts.find((a) => a.name === "bob")!;
  activation = await startActivation({ chainUrl: grid.url, funderMnemonic: bob.mnemonic, log: () => {} });
  const chainHost = new URL(grid.url).host;
  kernel = await startKernel({
    manifest: testManifest(),
    stateDir: join(dir, "state"),
    bootTimeoutMs: 60_000,
    vars: {
      chainurl: grid.url,
      chainhost: chainHost,
      relayurl: "ws://127.0.0.1:9",
      relayhost: "127.0.0.1:9",
      farm: "1",
      activationurl: activation.url,
      activationhost: new URL(activation.url).host,
    },
  });
  api = await ApiPromise.create({ provider: new WsProvider(grid.url), noInitWarn: true });
  client = await ChainClient.connect({ urls: [grid.url] });
  const address = await nodeAddress(grant("identity"));
  chain = new CapRegistrarChain(address, new ChainReaderClient(grant("reader")), new SubmitClient(grant("submit")));
  const act = grant("activator");
  activator = { activate: (a: string) => act((c) => new Activator$Client(c).activate((p) => (p.address = a)).promise()).then(() => {}) };
  facts = new HostFactsClient(grant("facts"));
});

t.after(async () => {
  await client?.close();
  await api?.disconnect();
  await kernel?.stop(10_000);
  await activation?.stop();
  await grid?.stop();
  rmSync(dir, { recursive: true, force: true });
});

t("an activation that cannot fund the account is retried, with the chain's reason visible", async () => {
  const broke = new DevFaucet(client, await signerFromSeed(new Uint8Array(randomBytes(32)), "sr25519"));
  const r = registrar({ activator: broke });
  r.start();
  try {
    const deadline = Date.now() + 15_000;
    while (r.state().attempt < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const s = r.state();
    assert.ok(s.attempt >= 2, `attempt ${s.attempt}`);
    assert.match(s.last_error ?? "", /^account: /);
    assert.is(s.twin_id, null, "nothing created without funds");
  } finally {
    await r.stop();
  }
  assert.is(await chain.twinIdByAccount(), null, "no twin on chain");
});

t("an orphan node (farm 0) fails for good and says why", async () => {
  const r = registrar({ farmId: 0 });
  r.start();
  try {
    await within(r.whenRegistered(), 5000, "orphan");
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /orphan node never registers/);
  }
  assert.is(r.state().state, "failed");
  await r.stop();
});

t("a fresh node gets funded, accepts T&C, creates its twin and node", async () => {
  assert.is((await chain.freeBalance()), 0n, "the node account starts empty");
  const r = registrar();
  assert.is(r.state().state, "pending");
  const ids = await r.registerOnce();
  const s = r.state();
  assert.is(s.state, "registered");
  assert.is(s.step, "done");
  assert.is(s.twin_id, ids.twinId);
  assert.is(s.node_id, ids.nodeId);
  assert.ok((await chain.freeBalance()) > 10_000n);
  assert.ok(await chain.hasAcceptedTerms());
  const twin = await chain.getTwin(ids.twinId);
  assert.is(twin?.relay, "relay.dev.local");
  assert.is(twin?.pk, pk);
  const node = await chain.getNode(ids.nodeId);
  assert.is(node?.twinId, ids.twinId);
  assert.is(node?.farmId, 1);
  assert.ok(node!.resources.cru >= 1);
  assert.ok(node!.resources.mru > 0);
  assert.equal(node?.location, UNKNOWN_LOCATION, "no geoip on a loopback grid: fallback location");
  assert.is(node?.interfaces[0].name, "zos");
  // the values the registrar put on chain, read by an independent client (@polkadot/api)
  const raw = (await api.query.tfgridModule.nodes(ids.nodeId)).toJSON() as { twinId: number; farmId: number };
  assert.is(raw.twinId, ids.twinId);
  assert.is(raw.farmId, 1);
});

t("a rerun (after a crash) changes nothing; changed relay and location are updated in place", async () => {
  const first = await registrar().registerOnce();
  const twinsBefore = Number((await api.query.tfgridModule.twinID()).toString());
  const nodesBefore = Number((await api.query.tfgridModule.nodeID()).toString());
  const again = await registrar().registerOnce();
  assert.equal(again, first);
  const moved = registrar({
    relays: ["r2.dev.local", "r1.dev.local", "r2.dev.local"],
    host: hostFacts(() => Promise.resolve({ city: "Ghent", country: "Belgium", latitude: "51.05", longitude: "3.72" })),
  });
  assert.equal(await moved.registerOnce(), first);
  assert.is(Number((await api.query.tfgridModule.twinID()).toString()), twinsBefore, "no new twin");
  assert.is(Number((await api.query.tfgridModule.nodeID()).toString()), nodesBefore, "no new node");
  // updateTwin and updateNode went through the driver: an independent reader sees the new values
  assert.is((await chain.getTwin(first.twinId))?.relay, "r1.dev.local_r2.dev.local");
  assert.match(JSON.stringify((await api.query.tfgridModule.twins(first.twinId)).toHuman()), /r1\.dev\.local_r2\.dev\.local/);
  assert.match(JSON.stringify((await api.query.tfgridModule.nodes(first.nodeId)).toHuman()), /Ghent/);
  assert.is((await chain.getNode(first.nodeId))?.location.city, "Ghent");
});

t("uptime reports land on chain and show in the state", async () => {
  const r = registrar();
  const ids = await r.registerOnce();
  await r.reportUptime();
  const s = r.state();
  assert.is(s.uptime_reports, 1);
  assert.ok(s.last_uptime_report !== null);
  assert.is(s.last_uptime_error, null);
  const events = (await api.query.system.events()) as unknown as { event: { section: string; method: string; data: { toString(): string }[] } }[];
  const reported = events.find((e) => e.event.section === "tfgridModule" && e.event.method === "NodeUptimeReported");
  assert.ok(reported, "NodeUptimeReported event in the last block");
  assert.is(Number(reported!.event.data[0].toString()), ids.nodeId);
});

t("start() retries with backoff while the farm is missing, with the reason visible", async () => {
  const r = registrar({ farmId: 999 });
  r.start();
  const deadline = Date.now() + 15_000;
  while (r.state().attempt < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  const s = r.state();
  assert.ok(s.attempt >= 3, `attempt ${s.attempt}`);
  assert.is(s.state, "registering");
  assert.match(s.last_error ?? "", /farm: farm 999 does not exist on chain/);
  assert.ok(s.next_retry_at !== null);
  const waiting = r.whenRegistered();
  await r.stop();
  try {
    await waiting;
    assert.unreachable("should not register");
  } catch (err) {
    assert.match((err as Error).message, /stopped before registration finished/);
  }
});

t("start() registers and then reports uptime on its own", async () => {
  const r = registrar({ uptimeIntervalMs: 50 });
  r.start();
  let ids;
  try {
    ids = await within(r.whenRegistered(), 10_000, `registration (${JSON.stringify(r.state())})`);
  } finally {
    if (!ids) await r.stop();
  }
  assert.ok(ids.nodeId > 0);
  const deadline = Date.now() + 15_000;
  while (r.state().uptime_reports < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  await r.stop();
  assert.ok(r.state().uptime_reports >= 2, `reports: ${r.state().uptime_reports}`);
});

t("re-registration runs on its interval while uptime reports go on", async () => {
  // a pass through the kernel-hosted driver takes longer than in-process: an interval well above one pass
  const r = registrar({ uptimeIntervalMs: 40, reregisterIntervalMs: 1000 });
  r.start();
  try {
    await within(r.whenRegistered(), 10_000, "registration");
    const first = r.state().registered_at!;
    const deadline = Date.now() + 15_000;
    // each report is a signed extrinsic through two kernel processes: wait for both to have happened
    while ((r.state().registered_at === first || r.state().uptime_reports < 2 || r.state().state !== "registered") && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 20));
    }
    const s = r.state();
    assert.ok(s.registered_at! > first, "registered again");
    assert.is(s.state, "registered");
    assert.ok(s.uptime_reports >= 2, `uptime reports: ${s.uptime_reports}`);
  } finally {
    await r.stop();
  }
});

t.run();
