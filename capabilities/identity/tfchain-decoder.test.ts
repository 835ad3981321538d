// The chain signer's generated decoder (tfchain-decoder.ts + tfchain-calls.gen.ts) against @polkadot/types with the
// whole TFChain metadata (the policy it replaced, test/polkadot-policy.ts): over the real payloads the chain
// driver's client builds for every allow-listed call (on the dev chain), and over truncated, extended and
// byte-mutated copies of them, both must accept and refuse exactly the same bytes. Also: the generated table is
// fresh, and every chain-signer grant of the node manifest names only calls the decoder can decode.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Keyring } from "@polkadot/keyring";
import { expandMetadata } from "@polkadot/types";
import { cryptoWaitReady, ed25519Verify } from "@polkadot/util-crypto";
import { type RunningChain, startChain } from "../../grid/chain/mod.ts";
import { ChainClient, type ExtrinsicSigner, NODE_CHAIN_CALLS } from "../chain/mod.ts";
import { stripComments } from "../../kernel/manifest.ts";
import { generate } from "../../tools/gen-tfchain-calls.ts";
import { ExtrinsicPolicy, NodeIdentity, tfchain } from "./mod.ts";
import { isSignableCall } from "./tfchain-decoder.ts";
import { polkadotCheck } from "./test/polkadot-policy.ts";

const t = suite("tfchain decoder");
const ALLOWED = [...NODE_CHAIN_CALLS, "utility.batch", "utility.batchAll", "utility.forceBatch"];
const policy = new ExtrinsicPolicy(ALLOWED);
const allowed = new Set(ALLOWED);

type Verdict = { calls: string[] } | { refused: string };
function decoderCheck(p: Uint8Array): Verdict {
  try {
    return { calls: policy.check(p).calls };
  } catch (e) {
    assert.is((e as Error).name, "RefusedPayload", (e as Error).message);
    return { refused: (e as Error).message };
  }
}

/** polkadot-js re-encodes the payload's call to other bytes: the call is not canonical SCALE. */
function nonCanonicalCall(p: Uint8Array): boolean {
  const call = tfchain().registry.createType("Call", p);
  return !Buffer.from(call.toU8a()).equals(Buffer.from(p.subarray(0, call.encodedLength)));
}

let stricter = 0;
/**
 * Both policies give the same verdict on `p` (the same calls when accepted); returns whether it was accepted.
 * The one difference allowed: the old policy re-encoded only the extensions, not the call, so it accepted calls
 * whose bytes are not canonical SCALE (an Option tag or a bool of 2…255, which the runtime's decoder refuses);
 * the decoder refuses those too, so it is stricter there and never weaker.
 */
function same(p: Uint8Array, what: string): boolean {
  const mine = decoderCheck(p);
  const ref = polkadotCheck(allowed, p);
  if ("calls" in ref && "refused" in mine && nonCanonicalCall(p)) {
    stricter++;
    return false;
  }
  if ("calls" in ref !== "calls" in mine) {
    assert.unreachable(`${what}: polkadot-js ${JSON.stringify(ref)} vs decoder ${JSON.stringify(mine)} on 0x${Buffer.from(p).toString("hex")}`);
  }
  if ("calls" in ref && "calls" in mine) assert.equal(mine.calls, ref.calls, what);
  return "calls" in mine;
}

t("the generated table is fresh (node_modules/deno/deno run -A tools/gen-tfchain-calls.ts)", () => {
  assert.ok(readFileSync(new URL("./tfchain-calls.gen.ts", import.meta.url), "utf8") === generate(), "tfchain-calls.gen.ts is stale");
});

t("every chain-signer grant of the node manifest names calls the decoder decodes; others are refused at grant time", () => {
  const manifest = JSON.parse(stripComments(readFileSync(new URL("../../manifests/node.json", import.meta.url), "utf8")));
  let grants = 0;
  for (const p of Object.values(manifest.processes) as { grants?: Record<string, { from: string; cap: string; restrictions?: { purpose?: string; calls?: string[] } }> }[]) {
    for (const g of Object.values(p.grants ?? {})) {
      if (g.from !== "identity" || !g.restrictions?.calls) continue;
      grants++;
      for (const c of g.restrictions.calls) assert.ok(isSignableCall(c), `${c} has no generated decoder`);
    }
  }
  assert.ok(grants >= 1);
  // a real call without generated arguments cannot be allow-listed (it would be refused at every payload)
  assert.throws(() => new ExtrinsicPolicy(["balances.transfer"]), /"balances\.transfer" has no generated decoder; add it to SIGNABLE in tools\/gen-tfchain-calls\.ts/);
  assert.throws(() => NodeIdentity.fromSeed(new Uint8Array(32)).chainSigner(["tfgridModule.createFarm"]), /has no generated decoder/);
});

// the real payloads, captured from the chain driver's client on the dev chain
const captured: { call: string; payload: Uint8Array }[] = [];
let dir = "";
let chain: RunningChain | undefined;
let client: ChainClient | undefined;

t("the chain client's payloads for every allow-listed call are signed, as polkadot-js decodes them", async () => {
  await cryptoWaitReady();
  dir = mkdtempSync(join(tmpdir(), "zt-footprint-decoder-"));
  chain = await startChain({ stateDir: dir, blockTimeMs: 0, log: () => {} });
  client = await ChainClient.connect({ urls: [chain.url], timeoutMs: 20_000 });
  const id = NodeIdentity.fromSeed(new Uint8Array(randomBytes(32)));
  const real = id.chainSigner(ALLOWED);
  let current = "";
  const capturing: ExtrinsicSigner = {
    publicKey: real.publicKey,
    type: real.type,
    async signExtrinsic(payload) {
      captured.push({ call: current, payload });
      const sig = await real.signExtrinsic(payload);
      assert.ok(ed25519Verify(payload.length > 256 ? (await import("@polkadot/util-crypto")).blake2AsU8a(payload, 256) : payload, sig, real.publicKey));
      return sig;
    },
  };
  const alice = new Keyring({ type: "sr25519" }).addFromUri(chain.devAccounts[0].mnemonic);
  await client.submitter({ publicKey: alice.publicKey, type: "sr25519", sign: (m) => Promise.resolve(alice.sign(m)) })
    .submit("balances", "transfer", id.publicIdentity().address, 50n * 10_000_000n);
  const calls = client.nodeCalls(capturing);
  const registration = {
    farmId: 1,
    resources: { hru: 4n * 1024n ** 4n, sru: 256 * 1024 ** 3, cru: 4, mru: 8 * 1024 ** 3 },
    location: { city: "Cairo", country: "Egypt", latitude: "30.04", longitude: "31.23" },
    interfaces: [{ name: "zos", mac: "52:54:00:aa:bb:cc", ips: ["10.0.2.15", "2001:db8::1"] }, { name: "eth1", mac: "52:54:00:aa:bb:cd", ips: [] }],
    secureBoot: false,
    virtualized: true,
    serialNumber: null,
  };
  // the dispatch may fail (no such contract, ...): only the signed payload matters here
  const run = async (call: string, f: () => Promise<unknown>) => {
    current = call;
    const before = captured.length;
    await f().catch((e: Error) => assert.not.match(e.message, /denied/));
    assert.is(captured.length, before + 1, `${call} was signed once`);
  };
  await run("tfgridModule.userAcceptTc", () => calls.acceptTermsAndConditions());
  await run("tfgridModule.createTwin", () => calls.createTwin("relay.dev.grid.tf", null));
  await run("tfgridModule.updateTwin", () => calls.updateTwin("relay.dev.grid.tf", "0x" + "ab".repeat(32)));
  let nodeId = 0;
  await run("tfgridModule.createNode", async () => (nodeId = await calls.createNode(registration)));
  await run("tfgridModule.updateNode", () => calls.updateNode(nodeId || 1, { ...registration, serialNumber: "SN-1234", secureBoot: true }));
  await run("tfgridModule.reportUptimeV2", () => calls.reportUptime(100));
  await run("tfgridModule.changePowerState", () => calls.changePowerState("Down"));
  await run("tfgridModule.changePowerState", () => calls.changePowerState("Up"));
  await run("smartContractModule.reportContractResources", () =>
    calls.reportContractResources([{ contractId: 7, used: { hru: 1, sru: 2, cru: 3, mru: 4 } }, { contractId: 8, used: { hru: 0, sru: 0, cru: 1, mru: 2 } }]));
  await run("smartContractModule.addNruReports", () => calls.addNruReports([{ contractId: 7, timestamp: 1_700_000_000, window: 60, nru: 5 }]));
  const { tx } = expandMetadata(tfchain().registry, tfchain().metadata);
  const inner = [tx.tfgridModule.reportUptimeV2(1, 2).toHex(), tx.tfgridModule.changePowerState("Up").toHex()];
  for (const kind of ["batch", "batchAll", "forceBatch"]) {
    await run(`utility.${kind}`, () => client!.submitter(capturing).submit("utility", kind, inner));
  }
  for (const c of ALLOWED) assert.ok(captured.some((x) => x.call === c), `a payload of ${c}`);
  for (const { call, payload } of captured) {
    assert.ok(same(payload, call), `${call} accepted`);
    assert.is(policy.check(payload).calls[0], call);
  }
});

t("truncated and extended payloads are refused, by both", () => {
  for (const { call, payload } of captured) {
    for (let n = 0; n < payload.length; n++) assert.not.ok(same(payload.subarray(0, n), `${call} cut to ${n}`));
    for (const extra of [[0], [1], [0, 0], [0xff, 0xff, 0xff, 0xff]]) {
      assert.not.ok(same(new Uint8Array([...payload, ...extra]), `${call} + ${extra}`));
    }
  }
});

t("every byte mutated: the same verdict as polkadot-js (a changed argument value may still be a valid call)", () => {
  let accepted = 0;
  let refused = 0;
  for (const { call, payload } of captured) {
    for (let i = 0; i < payload.length; i++) {
      for (const v of new Set([0x00, 0xff, payload[i] ^ 0x01, payload[i] ^ 0x80, payload[i] ^ 0x04, (payload[i] + 1) & 0xff])) {
        if (v === payload[i]) continue;
        const m = new Uint8Array(payload);
        m[i] = v;
        if (same(m, `${call} byte ${i} = ${v}`)) accepted++;
        else refused++;
      }
    }
  }
  // both outcomes happen: the comparison is not vacuous
  assert.ok(accepted > 1000 && refused > 300 && stricter > 0, `${accepted} accepted, ${refused} refused (${stricter} non-canonical calls only the decoder refused)`);
});

t("a call index outside the allow-list, and random payloads behind every call index, are refused alike", () => {
  const { call, payload } = captured.find((x) => x.call === "tfgridModule.reportUptimeV2")!;
  for (let pallet = 0; pallet < 64; pallet++) {
    for (let c = 0; c < 48; c++) {
      const m = new Uint8Array(payload);
      m[0] = pallet;
      m[1] = c;
      const ok = same(m, `${call} as ${pallet}.${c}`);
      if (pallet !== payload[0] || c !== payload[1]) assert.ok(!ok || allowed.has(policy.check(m).calls[0]));
    }
  }
  // seeded noise after each allowed call's index
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (const { payload } of captured) {
    for (let k = 0; k < 40; k++) {
      const m = new Uint8Array(payload.length);
      m.set(payload.subarray(0, 2));
      for (let i = 2; i < m.length; i++) m[i] = rnd();
      same(m, "noise");
    }
  }
});

t("nonce and tip: compacts that do not fit, or are not in their shortest form, are refused by both", () => {
  const { payload } = captured.find((x) => x.call === "tfgridModule.reportUptimeV2")!;
  const tail = 8 + 32 + 32; // spec + tx version, genesis + block hash
  const head = payload.subarray(0, 2 + 16); // the call: index + two u64
  const era = payload.subarray(18, 18 + (payload[18] === 0 ? 1 : 2));
  const rest = payload.subarray(payload.length - tail);
  const build = (nonce: number[], tip: number[]) => new Uint8Array([...head, ...era, ...nonce, ...tip, ...rest]);
  assert.ok(same(build([0x04], [0x00]), "nonce 1"));
  assert.not.ok(same(build([0x05, 0x00], [0x00]), "nonce 1 in two bytes"));
  assert.not.ok(same(build([0x03, 0x00, 0x00, 0x00, 0x00], [0x00]), "nonce 0 in big mode"));
  assert.not.ok(same(build([0x07, 0, 0, 0, 0, 1], [0x00]), "nonce 2^32 (over u32)"));
  assert.ok(same(build([0x03, 0xff, 0xff, 0xff, 0xff], [0x00]), "nonce 2^32-1"));
  assert.ok(same(build([0x00], [0x33, ...new Array(15).fill(0xff), 0xff]), "tip 2^128-1"));
  assert.not.ok(same(build([0x00], [0x37, ...new Array(17).fill(0xff)]), "tip over u128"));
});

t.after(async () => {
  await client?.close();
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

t.run();
