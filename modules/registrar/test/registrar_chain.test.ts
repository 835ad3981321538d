// The registrar against the real dev chain (grid/chain, instant blocks) through the chain driver: funding from the dev faucet,
// T&C, twin with relay + pk, node with this host's capacity; idempotent reruns; updates; bad farms.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { ChainClient } from "../../../capabilities/chain/mod.ts";
import { startChain, type RunningChain } from "../../../grid/chain/mod.ts";
import { signerFromMnemonic, signerFromSeed, type Signer } from "../../../capabilities/rmb/signer.ts";
import { e2eKeyFromSecret } from "../../../capabilities/rmb/e2e.ts";
import { DriverRegistrarChain } from "../../../cli/commands/dev/registrar_chain.ts";
import { DevFaucet } from "../../../cli/commands/dev/faucet.ts";
import { devHostFacts } from "../../../cli/commands/dev/host_facts.ts";
import { Registrar, type RegistrarOptions, UNKNOWN_LOCATION } from "../mod.ts";

const t = suite("registrar on the dev chain");
let grid: RunningChain;
let api: ApiPromise;
let client: ChainClient;
let faucet: DevFaucet;

const fast = { initialMs: 20, maxMs: 100, factor: 2 };

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms))),
  ]);
}

async function nodeKey(): Promise<{ signer: Signer; pk: string }> {
  const seed = randomBytes(32);
  const signer = await signerFromSeed(seed, "ed25519");
  const pk = "0x" + Buffer.from(e2eKeyFromSecret(seed).publicKey).toString("hex");
  return { signer, pk };
}

function registrar(signer: Signer, pk: string | null, extra: Partial<RegistrarOptions> = {}): Registrar {
  return new Registrar({
    chain: new DriverRegistrarChain(client, signer),
    activator: faucet,
    host: devHostFacts("."),
    farmId: 1,
    relays: ["relay.dev.local"],
    pk,
    backoff: fast,
    ...extra,
  });
}

t.before(async () => {
  grid = await startChain({ blockTimeMs: 0, log: () => {} });
  api = await ApiPromise.create({ provider: new WsProvider(grid.url), noInitWarn: true });
  client = await ChainClient.connect({ urls: [grid.url] });
  faucet = new DevFaucet(client, await signerFromMnemonic(grid.devAccounts.find((a) => a.name === "alice")!.mnemonic, "sr25519"));
});

t.after(async () => {
  await client?.close();
  await api?.disconnect();
  await grid?.stop();
});

t("a fresh node gets funded, accepts T&C, creates its twin and node", async () => {
  const { signer, pk } = await nodeKey();
  const r = registrar(signer, pk);
  assert.is(r.state().state, "pending");
  const ids = await r.registerOnce();
  const s = r.state();
  assert.is(s.state, "registered");
  assert.is(s.step, "done");
  assert.is(s.twin_id, ids.twinId);
  assert.is(s.node_id, ids.nodeId);
  const chain = new DriverRegistrarChain(client, signer);
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
});

t("a rerun (after a crash) changes nothing; changed relay and location are updated in place", async () => {
  const { signer, pk } = await nodeKey();
  const first = await registrar(signer, pk).registerOnce();
  const twinsBefore = Number((await api.query.tfgridModule.twinID()).toString());
  const nodesBefore = Number((await api.query.tfgridModule.nodeID()).toString());
  const again = await registrar(signer, pk).registerOnce();
  assert.equal(again, first);
  const moved = registrar(signer, pk, {
    relays: ["r2.dev.local", "r1.dev.local", "r2.dev.local"],
    host: devHostFacts(".", () => Promise.resolve({ city: "Ghent", country: "Belgium", latitude: "51.05", longitude: "3.72" })),
  });
  assert.equal(await moved.registerOnce(), first);
  assert.is(Number((await api.query.tfgridModule.twinID()).toString()), twinsBefore, "no new twin");
  assert.is(Number((await api.query.tfgridModule.nodeID()).toString()), nodesBefore, "no new node");
  const chain = new DriverRegistrarChain(client, signer);
  assert.is((await chain.getTwin(first.twinId))?.relay, "r1.dev.local_r2.dev.local");
  assert.is((await chain.getNode(first.nodeId))?.location.city, "Ghent");
});

t("uptime reports land on chain and show in the state", async () => {
  const { signer, pk } = await nodeKey();
  const r = registrar(signer, pk);
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
  const { signer, pk } = await nodeKey();
  const r = registrar(signer, pk, { farmId: 999 });
  r.start();
  const deadline = Date.now() + 5000;
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

t("an activation that cannot fund the account is retried, with the chain's reason visible", async () => {
  const { signer, pk } = await nodeKey();
  const broke = new DevFaucet(client, await signerFromSeed(new Uint8Array(randomBytes(32)), "sr25519"));
  const r = registrar(signer, pk, { activator: broke });
  r.start();
  try {
    const deadline = Date.now() + 5000;
    while (r.state().attempt < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const s = r.state();
    assert.ok(s.attempt >= 2, `attempt ${s.attempt}`);
    assert.match(s.last_error ?? "", /^account: /);
    assert.is(s.twin_id, null, "nothing created without funds");
  } finally {
    await r.stop();
  }
});

t("an orphan node (farm 0) fails for good and says why", async () => {
  const { signer, pk } = await nodeKey();
  const r = registrar(signer, pk, { farmId: 0 });
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

t("start() registers and then reports uptime on its own", async () => {
  const { signer, pk } = await nodeKey();
  const r = registrar(signer, pk, { uptimeIntervalMs: 50 });
  r.start();
  let ids;
  try {
    ids = await within(r.whenRegistered(), 10_000, `registration (${JSON.stringify(r.state())})`);
  } finally {
    if (!ids) await r.stop();
  }
  assert.ok(ids.nodeId > 0);
  const deadline = Date.now() + 5000;
  while (r.state().uptime_reports < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  await r.stop();
  assert.ok(r.state().uptime_reports >= 2, `reports: ${r.state().uptime_reports}`);
});

t("re-registration runs on its interval while uptime reports go on", async () => {
  const { signer, pk } = await nodeKey();
  const r = registrar(signer, pk, { uptimeIntervalMs: 40, reregisterIntervalMs: 150 });
  r.start();
  try {
    await within(r.whenRegistered(), 10_000, "registration");
    const first = r.state().registered_at!;
    const deadline = Date.now() + 5000;
    while (r.state().registered_at === first && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const s = r.state();
    assert.ok(s.registered_at! > first, "registered again");
    assert.is(s.state, "registered");
    assert.ok(s.uptime_reports >= 2, `uptime reports: ${s.uptime_reports}`);
  } finally {
    await r.stop();
  }
});

t.run();
