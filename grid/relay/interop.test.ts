// Interop with the official clients on a real local grid: the dev chain (grid/chain), our relay
// (grid/relay) and our RmbPeer acting as a node. Twins are created with signed extrinsics.
// @threefold/rmb_direct_client 2.9.2 — wrapped in grid_client's RMB class, as grid_client uses it —
// connects through the relay with the dev chain as its chain and calls the node.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { Keyring } from "@polkadot/keyring";
import { mnemonicGenerate } from "@polkadot/util-crypto";
import { WebSocket } from "ws";
import { e2eKeyFromSecret } from "../../capabilities/rmb/e2e.ts";
import { createJwt } from "../../capabilities/rmb/jwt.ts";
import { RmbPeer } from "../../capabilities/rmb/peer.ts";
import { miniSecretFromMnemonic, signerFromMnemonic, signerFromSeed } from "../../capabilities/rmb/signer.ts";
import { CachedTwins } from "../../capabilities/rmb/twins.ts";
import { ChainTwins } from "../../capabilities/rmb/chain-twins.ts";
import { OfficialClient } from "../../capabilities/rmb/official-sdk.test-helper.ts";
import { createTwin, type DevGrid, startDevGrid, submit } from "./chain-fixture.test-helper.ts";
import { type RunningRelay, startRelay } from "./mod.ts";

const require = createRequire(import.meta.url);
const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
// deno-lint-ignore no-explicit-any
const { RMB }: any = require(
  join(root, "node_modules/@threefold/grid_client/dist/node/clients/rmb/client.js"),
);

// deno-lint-ignore no-explicit-any
type Any = any;
let grid: DevGrid;
let relay: RunningRelay;
let node: RmbPeer;
let nodeTwin = 0;
let nodeChainTwins: ChainTwins;
let nodeAccount: Uint8Array;
let idleTwin = 0;
// deno-lint-ignore no-explicit-any
let idle: any;
// deno-lint-ignore no-explicit-any
const clients: any[] = [];
const calls: { twin: number; command: string; encrypted: boolean }[] = [];

const interop = suite("official rmb_direct_client ↔ our relay ↔ our node peer, on the dev chain");

interop.before(async () => {
  grid = await startDevGrid();
  relay = await startRelay({ chainUrl: grid.chainUrl });
  // the node: an ed25519 identity with an e2e pk, like a zos node
  const nodeSecret = new Uint8Array(randomBytes(32));
  const nodeSigner = await signerFromSeed(nodeSecret, "ed25519");
  const nodeE2e = e2eKeyFromSecret(nodeSecret);
  const nodePair = new Keyring({ type: "ed25519" }).addFromSeed(nodeSecret);
  nodeAccount = nodeSigner.publicKey;
  nodeTwin = await createTwin(grid, nodePair, new URL(relay.url).host, nodeE2e.publicKey);
  nodeChainTwins = await ChainTwins.connect(grid.chainUrl);
  node = new RmbPeer({
    relayUrls: [relay.url],
    twinId: nodeTwin,
    signer: nodeSigner,
    e2e: nodeE2e,
    twins: new CachedTwins(nodeChainTwins, { ttlMs: 5_000 }),
  });
  const record =
    (command: string) => (_p: unknown, ctx: { twin: number; envelope: { cipher?: Uint8Array } }) => {
      calls.push({ twin: ctx.twin, command, encrypted: Boolean(ctx.envelope.cipher) });
    };
  node.handle("zos.system.version", (p, ctx) => {
    record("zos.system.version")(p, ctx);
    return { zos: "zos-ts", zinit: "none" };
  });
  node.handle("zos.statistics.get", (p, ctx) => {
    record("zos.statistics.get")(p, ctx);
    return {
      total: { cru: 2, sru: 0, hru: 0, mru: 1024, ipv4u: 0 },
      used: { cru: 0 },
      users: { deployments: 0 },
    };
  });
  await node.start();
});

interop.after(async () => {
  for (const c of clients) await c.disconnect().catch(() => {});
  await node?.close();
  await nodeChainTwins?.close();
  await relay?.stop();
  await grid?.stop();
});

/** A grid user as grid_client makes one: a twin whose relay is what the client computes from the relay URL. */
async function officialUser(type: "sr25519" | "ed25519") {
  const mnemonic = mnemonicGenerate();
  const pair = new Keyring({ type }).addFromUri(mnemonic);
  const pk = e2eKeyFromSecret(miniSecretFromMnemonic(mnemonic)).publicKey;
  const relayHost = relay.url.replace("wss://", "").replace("/", "");
  const twin = await createTwin(grid, pair, relayHost, pk);
  const client = new OfficialClient(
    grid.chainUrl,
    relay.url,
    mnemonic,
    randomBytes(5).toString("hex"),
    type,
    3,
  );
  clients.push(client);
  await client.connect();
  return { twin, client, rmb: new RMB(client), mnemonic };
}

interop("zos.system.version and zos.statistics.get answer, encrypted end to end (sr25519 user)", async () => {
  const u = await officialUser("sr25519");
  assert.equal(await u.rmb.request([nodeTwin], "zos.system.version", "", 20), {
    zos: "zos-ts",
    zinit: "none",
  });
  // the client sends an empty body as plain; a body is encrypted because both twins publish a pk
  const stats = await u.rmb.request([nodeTwin], "zos.statistics.get", JSON.stringify({ detail: true }), 20);
  assert.is(stats.total.mru, 1024);
  const mine = calls.filter((c) => c.twin === u.twin);
  assert.equal(mine.map((c) => [c.command, c.encrypted]), [["zos.system.version", false], [
    "zos.statistics.get",
    true,
  ]]);
});

interop("an unknown command is an error the client surfaces; an ed25519 user works too", async () => {
  const u = await officialUser("ed25519");
  try {
    await u.rmb.request([nodeTwin], "zos.does.not.exist", "{}", 20);
    assert.unreachable("must fail");
  } catch (e) {
    assert.match((e as Error).message, /function is not found/);
  }
  assert.equal(await u.rmb.request([nodeTwin], "zos.system.version", "", 20), {
    zos: "zos-ts",
    zinit: "none",
  });
});

interop("ChainTwins reads twins as the chain stores them (account, relay, pk; None; missing)", async () => {
  const t = await nodeChainTwins.get(nodeTwin);
  assert.ok(t);
  assert.equal([...t!.accountId], [...nodeAccount]);
  assert.is(t!.relay, new URL(relay.url).host);
  assert.is(t!.pk!.length, 33);
  assert.is(await nodeChainTwins.get(999_999), null);
  idle = new Keyring({ type: "ed25519" }).addFromSeed(new Uint8Array(randomBytes(32)));
  idleTwin = await createTwin(grid, idle, "elsewhere.example", null);
  const i = await nodeChainTwins.get(idleTwin);
  assert.equal({ relay: i!.relay, pk: i!.pk }, { relay: "elsewhere.example", pk: null });
});

interop(
  "twin changes on chain are streamed to watchers (what keeps the relay's twin cache fresh)",
  async () => {
    const changed: number[] = [];
    const unwatch = await nodeChainTwins.watchTwins((id) => changed.push(id));
    try {
      const who = new Keyring({ type: "sr25519" }).addFromUri(mnemonicGenerate());
      const id = await createTwin(grid, who, "first.example", null);
      await submit(grid.api, (grid.api.tx as Any).tfgridModule.updateTwin("second.example", null), who);
      const deadline = Date.now() + 5000;
      while (changed.filter((x) => x === id).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(changed.filter((x) => x === id).length, 2, "TwinStored then TwinUpdated");
      assert.is((await nodeChainTwins.get(id))!.relay, "second.example");
    } finally {
      unwatch();
    }
  },
);

interop("a twin that exists but is offline gives the client a relay error, not a hang", async () => {
  const u = await officialUser("sr25519");
  const t0 = Date.now();
  try {
    await u.rmb.request([idleTwin], "zos.system.version", "", 20);
    assert.unreachable("must fail");
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`destination ${idleTwin} offline`));
  }
  assert.ok(Date.now() - t0 < 5000, "answered at once");
});

interop("the relay checks JWTs against chain twins: unknown twin and wrong key are refused", async () => {
  const stranger = await signerFromMnemonic(mnemonicGenerate(), "sr25519");
  const status = (token: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${relay.url}/?${token}`);
      ws.on("unexpected-response", (_q, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => {
        ws.close();
        resolve(101);
      });
      ws.on("error", () => {});
    });
  assert.is(await status(await createJwt(stranger, 999_999)), 401);
  assert.is(await status(await createJwt(stranger, nodeTwin)), 401, "someone else's key for the node's twin");
  const metrics = await (await fetch(relay.url.replace("ws://", "http://") + "/metrics")).text();
  assert.match(metrics, /rmb_relay_auth_failures_total\{reason="unknown-twin"\} 1/);
  assert.match(metrics, /rmb_relay_auth_failures_total\{reason="bad-signature"\} 1/);
});

interop("our peer as a user calls our node through the relay with twins from the chain", async () => {
  const mnemonic = mnemonicGenerate();
  const signer = await signerFromMnemonic(mnemonic, "sr25519");
  const e2e = e2eKeyFromSecret(miniSecretFromMnemonic(mnemonic));
  const twin = await createTwin(
    grid,
    new Keyring({ type: "sr25519" }).addFromUri(mnemonic),
    new URL(relay.url).host,
    e2e.publicKey,
  );
  const chainTwins = await ChainTwins.connect(grid.chainUrl);
  const user = new RmbPeer({
    relayUrls: [relay.url],
    twinId: twin,
    signer,
    e2e,
    twins: chainTwins,
    session: "cli",
  });
  try {
    await user.start();
    assert.equal(await user.request(nodeTwin, "zos.system.version", null), { zos: "zos-ts", zinit: "none" });
    assert.ok(calls.some((c) => c.twin === twin && c.encrypted));
    // The idle twin is not ours: refused at once (and now cached by the relay). Once it names this relay
    // on chain, the relay hears the event and queues for it instead of refusing.
    const offline = await user.request(idleTwin, "zos.system.version", null).catch((e: Error) => e.message);
    assert.match(String(offline), /offline/);
    await submit(grid.api, (grid.api.tx as Any).tfgridModule.updateTwin(new URL(relay.url).host, null), idle);
    await new Promise((r) => setTimeout(r, 300));
    const queuedBefore = relay.relay.metrics.value("rmb_relay_envelopes_queued_total");
    const waited = await user.request(idleTwin, "zos.system.version", null, { timeoutMs: 1500 }).catch((
      e: Error,
    ) => e.message);
    assert.match(String(waited), /no reply from twin \d+ .* within 1500 ms/);
    assert.is(relay.relay.metrics.value("rmb_relay_envelopes_queued_total"), queuedBefore + 1);
  } finally {
    await user.close();
    await chainTwins.close();
  }
});

// Not tested: our peer → the official client. rmb_direct_client 2.9.2 cannot serve requests (its
// onmessage only keeps replies to uids it sent), so there is nothing on its side to answer.

interop.run();
