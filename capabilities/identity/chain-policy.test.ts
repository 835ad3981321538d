// The chain-purpose signer is attenuated for real (issue 18, attack 4): it signs a TFChain extrinsic
// payload only when the payload decodes completely with TFChain's metadata and every call in it is in
// the grant's allow-list; raw bytes, RMB challenges, JWTs and foreign calls are refused.
import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { expandMetadata } from "@polkadot/types";
import { ed25519Verify } from "@polkadot/util-crypto";
import { blake2AsU8a } from "@polkadot/util-crypto";
import { TFCHAIN_METADATA_BASE64 } from "../chain/tfchain-metadata.gen.ts";
import { challenge } from "../rmb/challenge.ts";
import { ExtrinsicPolicy, NodeIdentity, tfchain } from "./mod.ts";

const t = suite("chain signer policy");
const { registry, metadata } = tfchain();
const tx = expandMetadata(registry, metadata).tx;
const id = NodeIdentity.fromSeed(new Uint8Array(32).fill(9));
const signer = id.chainSigner(["tfgridModule.reportUptimeV2", "utility.batch"]);

function payload(call: { toHex(): string }): Uint8Array {
  return registry.createType("ExtrinsicPayload", {
    method: call.toHex(),
    era: "0x00",
    nonce: 3,
    tip: 0,
    specVersion: 147,
    transactionVersion: 2,
    genesisHash: "0x" + "11".repeat(32),
    blockHash: "0x" + "11".repeat(32),
  }, { version: 4 }).toU8a({ method: true });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("signed a payload it must refuse");
}

t("the embedded metadata is the dev chain's TFChain metadata (run tools/gen-tfchain-metadata.ts)", () => {
  const scale = readFileSync(new URL("../../grid/chain/tfchain-metadata.scale", import.meta.url));
  assert.ok(Buffer.from(TFCHAIN_METADATA_BASE64, "base64").equals(scale));
});

t("a malformed allow-list is refused when the signer is made, before any payload (the decoder loads lazily)", async () => {
  assert.throws(() => id.chainSigner(["tfgridModule.createNode", "balances"]), /allow-list entry "balances" is not section\.method/);
  // a wrapper the policy does not open would sign whatever it carries unchecked
  for (const wrapper of ["utility.asDerivative", "utility.dispatchAs", "utility.withWeight", "sudo.sudo", "proxy.proxy"]) {
    assert.throws(() => id.chainSigner(["tfgridModule.createNode", wrapper]), new RegExp(`"${wrapper.replace(".", "\\.")}" wraps another call`));
  }
  assert.throws(() => id.chainSigner(["Tfgrid.createNode"]), /is not section\.method/);
  // a fresh signer decodes its first payload with the lazily loaded TFChain decoder
  const fresh = id.chainSigner(["tfgridModule.reportUptimeV2"]);
  const p = payload(tx.tfgridModule.reportUptimeV2(1, 2));
  assert.ok(ed25519Verify(p, await fresh.signExtrinsic(p), fresh.publicKey));
  assert.match(await refusal(fresh.signExtrinsic("x" as unknown as Uint8Array)), /takes a Uint8Array/);
});

t("signs an allow-listed call's payload, as Substrate verifies it (counted as chain signatures)", async () => {
  const [chainBefore, rmbBefore] = [id.signatures("chain"), id.signatures("rmb")];
  const p = payload(tx.tfgridModule.reportUptimeV2(100, 200));
  const sig = await signer.signExtrinsic(p);
  assert.ok(ed25519Verify(p, sig, signer.publicKey));
  // long payloads are hashed by the signer itself
  const calls = Array.from({ length: 20 }, (_, i) => tx.tfgridModule.reportUptimeV2(i, i));
  const big = payload(tx.utility.batch(calls));
  assert.ok(big.length > 256);
  assert.ok(ed25519Verify(blake2AsU8a(big, 256), await signer.signExtrinsic(big), signer.publicKey));
  assert.equal([id.signatures("chain"), id.signatures("rmb")], [chainBefore + 2, rmbBefore]);
});

t("refuses a call outside the allow-list, also inside a batch", async () => {
  const before = id.signatures("chain");
  const transfer = tx.balances.transfer("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", 10n ** 12n);
  assert.match(await refusal(signer.signExtrinsic(payload(transfer))), /call balances\.transfer is not in this grant's allow-list/);
  const hidden = tx.utility.batch([tx.tfgridModule.reportUptimeV2(1, 1), transfer]);
  assert.match(await refusal(signer.signExtrinsic(payload(hidden))), /balances\.transfer is not in/);
  assert.is(id.signatures("chain"), before);
});

t("refuses raw bytes: random data, an RMB challenge, a JWT, trailing garbage", async () => {
  const before = id.signatures("chain");
  const env = { uid: "u", timestamp: 1, expiration: 60, source: { twin: 1 }, destination: { twin: 2 }, relays: [] };
  const inputs = [
    new Uint8Array(0),
    crypto.getRandomValues(new Uint8Array(64)),
    challenge(env),
    new TextEncoder().encode("eyJhbGciOiJSUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOjF9"),
    new Uint8Array([...payload(tx.tfgridModule.reportUptimeV2(1, 1)), 0]),
  ];
  for (const bytes of inputs) assert.match(await refusal(signer.signExtrinsic(bytes)), /denied: chain signer/);
  assert.is(id.signatures("chain"), before);
});

t("an empty allow-list signs nothing", async () => {
  const none = id.chainSigner([]);
  assert.match(await refusal(none.signExtrinsic(payload(tx.tfgridModule.reportUptimeV2(1, 1)))), /allow-list \(empty\)/);
});

t("every kind of batch is opened: a forbidden call inside batch, batchAll or forceBatch is refused; allowed ones sign", async () => {
  const batcher = id.chainSigner(["tfgridModule.reportUptimeV2", "utility.batch", "utility.batchAll", "utility.forceBatch"]);
  const ok = tx.tfgridModule.reportUptimeV2(1, 1);
  const transfer = tx.balances.transfer("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", 1n);
  for (const kind of ["batch", "batchAll", "forceBatch"] as const) {
    const good = payload(tx.utility[kind]([ok, ok]));
    assert.ok(ed25519Verify(good, await batcher.signExtrinsic(good), batcher.publicKey), kind);
    assert.is(await refusal(batcher.signExtrinsic(payload(tx.utility[kind]([ok, transfer])))),
      "denied: chain signer: call balances.transfer is not in this grant's allow-list (tfgridModule.reportUptimeV2, utility.batch, utility.batchAll, utility.forceBatch)", kind);
  }
  // a batch inside a batch is refused even when every call in it is allowed
  assert.is(await refusal(batcher.signExtrinsic(payload(tx.utility.batch([ok, tx.utility.batchAll([ok])])))), "denied: chain signer: nested batches are not signed");
});

t("the calls a payload carries, outermost first; at most 64 in one extrinsic", () => {
  const policy = new ExtrinsicPolicy(["tfgridModule.reportUptimeV2", "utility.batch"]);
  const ok = tx.tfgridModule.reportUptimeV2(1, 1);
  assert.equal(policy.check(payload(tx.utility.batch([ok, ok]))).calls, ["utility.batch", "tfgridModule.reportUptimeV2", "tfgridModule.reportUptimeV2"]);
  assert.equal(policy.check(payload(ok)).calls, ["tfgridModule.reportUptimeV2"]);
  assert.is(policy.check(payload(tx.utility.batch(Array(63).fill(ok)))).calls.length, 64);
  assert.throws(() => policy.check(payload(tx.utility.batch(Array(64).fill(ok)))), (e: Error) => e.message === "denied: chain signer: more than 64 calls in one extrinsic");
});

t("the bytes signed: the payload itself up to 256 bytes, its blake2-256 from 257 on (Substrate's rule)", () => {
  const policy = new ExtrinsicPolicy(["system.remark"]);
  const at256 = payload(tx.system.remark("0x" + "ab".repeat(177)));
  const at257 = payload(tx.system.remark("0x" + "ab".repeat(178)));
  assert.equal([at256.length, at257.length], [256, 257]);
  assert.equal(policy.check(at256).toSign, at256);
  assert.equal(policy.check(at257).toSign, blake2AsU8a(at257, 256));
});

t("refusal texts name the problem; allow-list entries must be exactly section.method", () => {
  const policy = new ExtrinsicPolicy(["tfgridModule.reportUptimeV2"]);
  assert.throws(() => policy.check(new Uint8Array([1, 2, 3])), (e: Error) => e.name === "RefusedPayload" && e.message.startsWith("denied: chain signer: not a TFChain extrinsic payload ("));
  const trailing = new Uint8Array([...payload(tx.tfgridModule.reportUptimeV2(1, 1)), 0]);
  assert.throws(() => policy.check(trailing), (e: Error) => e.message === "denied: chain signer: not a TFChain extrinsic payload (trailing or non-canonical bytes)");
  for (const bad of ["tfgridModule.createNode!", "tfgridModule.createNode.extra", " tfgridModule.createNode", "tfgridModule.", ".createNode", "tfgrid_module.createNode"]) {
    assert.throws(() => new ExtrinsicPolicy([bad]), (e: Error) => e.message === `chain signer: allow-list entry "${bad}" is not section.method (e.g. tfgridModule.createNode)`, bad);
  }
  new ExtrinsicPolicy(["tfgridModule.createNode", "utility.batchAll", "system.remark2"]);
});

t.run();
