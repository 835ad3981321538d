// What the node identity gives out, value by value: its public identity (the chain account, the Zero-OS node
// id), the rmb signer's envelopes, JWTs and e2e secret (checked against an independent ed25519 signer of the
// same seed and the relay's own verifier), per-purpose signature counts, and the refusals of the chain signer.
// identity.test.ts covers the seed file and that the secret is never reachable.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { base58Decode, cryptoWaitReady, decodeAddress, ed25519PairFromSeed, ed25519Verify } from "@polkadot/util-crypto";
import { NodeIdentity } from "./identity.ts";
import { challenge } from "../rmb/challenge.ts";
import { verifyJwt } from "../rmb/jwt.ts";
import { signerFromSeed } from "../rmb/signer.ts";

await cryptoWaitReady();
const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const pub = ed25519PairFromSeed(seed).publicKey;

test("the public identity: the key, its hex, the SS58 (42) chain account and the base58 node id", () => {
  const id = NodeIdentity.fromSeed(seed);
  const p = id.publicIdentity();
  assert.equal([...p.publicKey], [...pub]);
  assert.is(p.publicKeyHex, "0x" + Buffer.from(pub).toString("hex"));
  assert.equal([...decodeAddress(p.address)], [...pub]);
  assert.match(p.address, /^5/, "prefix 42 addresses start with 5");
  assert.equal([...base58Decode(p.nodeId)], [...pub]);
  assert.is(p.keyType, "ed25519");
  // a copy: changing it changes nothing
  p.publicKey[0] ^= 0xff;
  assert.equal([...id.publicIdentity().publicKey], [...pub]);
  assert.equal(id.toJSON(), { address: p.address, nodeId: p.nodeId, publicKey: p.publicKeyHex });
  assert.throws(() => NodeIdentity.fromSeed(new Uint8Array(31)), /a seed is 32 bytes/);
  assert.throws(() => NodeIdentity.fromSeed(new Uint8Array(33)), /a seed is 32 bytes/);
});

test("the rmb signer: ed25519, 'e'-prefixed signatures of the challenge, the same as any ed25519 signer of the seed", async () => {
  const id = NodeIdentity.fromSeed(seed);
  const rmb = id.rmbSigner();
  assert.ok(Object.isFrozen(rmb));
  assert.is(rmb.type, "ed25519");
  const env = { uid: "u", timestamp: 1, expiration: 2, source: { twin: 1 }, destination: { twin: 2 }, message: { kind: "request" as const, command: "x" }, relays: [] };
  const sig = await rmb.signEnvelope(env);
  const independent = await (await signerFromSeed(seed, "ed25519")).sign(challenge(env));
  assert.is(sig[0], 0x65);
  assert.equal([...sig.subarray(1)], [...independent], "ed25519 is deterministic: byte for byte");
  assert.ok(id.verify(challenge(env), sig.subarray(1)));
  assert.not.ok(id.verify(challenge({ ...env, uid: "v" }), sig.subarray(1)));
  assert.not.ok(ed25519Verify(challenge(env), sig.subarray(1), ed25519PairFromSeed(new Uint8Array(32)).publicKey));
});

test("the rmb signer's JWT verifies at the relay for its twin; bad claims are refused before signing", async () => {
  const id = NodeIdentity.fromSeed(seed);
  const rmb = id.rmbSigner();
  const token = await rmb.signJwt({ sub: 9, iat: 1000, exp: 1060, sid: "s" });
  assert.equal(await verifyJwt(token, (t) => Promise.resolve(t === 9 ? pub : null), 1000), { sub: 9, iat: 1000, exp: 1060, sid: "s" });
  assert.is(id.signatures("rmb"), 1);
  for (const bad of [{ sub: 0, iat: 1, exp: 2 }, { sub: 9, iat: 2, exp: 2 }, { sub: 9, iat: 0, exp: 3601 }]) {
    await rmb.signJwt(bad).then(() => assert.unreachable(JSON.stringify(bad)), (e: Error) => assert.match(e.message, /^jwt: /));
  }
  assert.is(id.signatures("rmb"), 1, "nothing signed for refused claims");
});

test("the e2e secret: SHA-256 of the key's signature over the e2e label, stable for the seed", async () => {
  const id = NodeIdentity.fromSeed(seed);
  const a = await id.rmbSigner().e2eSecret();
  const b = await NodeIdentity.fromSeed(seed).rmbSigner().e2eSecret();
  assert.is(a.length, 32);
  assert.equal([...a], [...b]);
  const other = await NodeIdentity.fromSeed(new Uint8Array(32).fill(1)).rmbSigner().e2eSecret();
  assert.not.equal([...a], [...other]);
  const { E2E_LABEL } = await import("../rmb/rmb-signer.ts");
  const sig = await (await signerFromSeed(seed, "ed25519")).sign(new TextEncoder().encode(E2E_LABEL));
  assert.equal([...a], [...createHash("sha256").update(sig).digest()]);
});

test("signature counts are per purpose; the chain signer refuses what is not an extrinsic payload", async () => {
  const id = NodeIdentity.fromSeed(seed);
  const chain = id.chainSigner(["tfgridModule.createNode"]);
  assert.ok(Object.isFrozen(chain));
  assert.is(chain.type, "ed25519");
  assert.equal([...chain.publicKey], [...pub]);
  assert.equal([id.signatures("chain"), id.signatures("rmb"), id.signatures("deployment")], [0, 0, 0]);
  await id.rmbSigner().signEnvelope({ uid: "u", timestamp: 1, expiration: 2, relays: [] });
  await id.rmbSigner().signEnvelope({ uid: "v", timestamp: 1, expiration: 2, relays: [] });
  assert.equal([id.signatures("chain"), id.signatures("rmb")], [0, 2]);
  // deno-lint-ignore no-explicit-any
  const notBytes = await chain.signExtrinsic("0x00" as any).then(() => "signed", (e: Error) => `${e.name}: ${e.message}`);
  assert.is(notBytes, "TypeError: signExtrinsic() takes a Uint8Array");
  assert.is(id.signatures("chain"), 0);
  assert.throws(() => id.chainSigner(["tfgridModule.createNode", "tfgridModule"]), (e: Error) =>
    e.message === 'chain signer: allow-list entry "tfgridModule" is not section.method (e.g. tfgridModule.createNode)');
});

test.run();
