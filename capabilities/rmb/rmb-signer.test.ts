// The rmb purpose's signer over an in-memory key (test users and tools; the node's own comes from
// capabilities/identity and shares checkJwtClaims and deriveE2eSecret): which JWT claims it refuses, at their
// exact boundaries, what it signs, and that an RmbSigner is passed through as it is.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { challenge } from "./challenge.ts";
import { parseJwt, verifyJwt } from "./jwt.ts";
import { asRmbSigner, checkJwtClaims, E2E_LABEL, MAX_JWT_TTL_S, rmbSignerFrom } from "./rmb-signer.ts";
import { ed25519Verify, signerFromSeed } from "./signer.ts";

const refused = (c: unknown): string => {
  try {
    checkJwtClaims(c as never);
  } catch (e) {
    return (e as Error).message;
  }
  return "accepted";
};

test("JWT claims: twin a u32 above 0, exp after iat (safe integers), at most an hour, sid a string of at most 256", () => {
  assert.is(MAX_JWT_TTL_S, 3600);
  const ok = { sub: 7, iat: 1000, exp: 1060 };
  assert.equal(checkJwtClaims(ok), { sub: 7, iat: 1000, exp: 1060 });
  assert.equal(checkJwtClaims({ ...ok, sid: "" }), { sub: 7, iat: 1000, exp: 1060 }, "an empty sid is left out");
  assert.equal(checkJwtClaims({ ...ok, sid: "s".repeat(256) }), { ...ok, sid: "s".repeat(256) });
  assert.equal(checkJwtClaims({ sub: 0xffffffff, iat: 1, exp: 1 + 3600 }), { sub: 0xffffffff, iat: 1, exp: 3601 });
  const cases: Array<[unknown, string]> = [
    [{ ...ok, sub: 0 }, "jwt: twin id 0 is not a u32 above 0"],
    [{ ...ok, sub: 0x100000000 }, "jwt: twin id 4294967296 is not a u32 above 0"],
    [{ ...ok, sub: 1.5 }, "jwt: twin id 1.5 is not a u32 above 0"],
    [{ ...ok, exp: 1000 }, "jwt: exp must be after iat"],
    [{ ...ok, iat: 999.5 }, "jwt: exp must be after iat"],
    [{ ...ok, exp: 1060.5 }, "jwt: exp must be after iat"],
    [{ sub: 7, iat: 2 ** 53, exp: 2 ** 53 + 2 }, "jwt: exp must be after iat"],
    [{ ...ok, exp: 1000 + 3601 }, "jwt: lifetime 3601 s is over 3600 s"],
    [{ ...ok, sid: 5 }, "jwt: sid must be a string of at most 256 characters"],
    [{ ...ok, sid: "s".repeat(257) }, "jwt: sid must be a string of at most 256 characters"],
  ];
  for (const [c, want] of cases) assert.is(refused(c), want, JSON.stringify(c));
  assert.is(refused({ ...ok, exp: 1000 + 3600 }), "accepted", "exactly an hour");
});

test("an in-memory rmb signer signs the envelope's challenge and its own JWT, and derives the e2e secret from its label", async () => {
  const key = await signerFromSeed(new Uint8Array(32).fill(4), "ed25519");
  const s = rmbSignerFrom(key);
  assert.equal([s.publicKey, s.type], [key.publicKey, "ed25519"]);
  const env = { uid: "u1", timestamp: 5, expiration: 60, source: { twin: 3 }, destination: { twin: 4 }, relays: [] };
  const sig = await s.signEnvelope(env);
  assert.equal([sig.length, sig[0]], [65, 0x65]);
  assert.ok(ed25519Verify(challenge(env), sig.subarray(1), key.publicKey));
  const jwt = await s.signJwt({ sub: 3, iat: 100, exp: 160, sid: "x" });
  assert.equal(parseJwt(jwt).claims, { sub: 3, iat: 100, exp: 160, sid: "x" });
  assert.equal(await verifyJwt(jwt, () => Promise.resolve(key.publicKey), 150), { sub: 3, iat: 100, exp: 160, sid: "x" });
  await s.signJwt({ sub: 3, iat: 100, exp: 100 }).then(() => assert.unreachable("signed a bad claim"), (e) => assert.is((e as Error).message, "jwt: exp must be after iat"));
  assert.is(E2E_LABEL, "zos-ts rmb e2e key v1");
  const want = createHash("sha256").update(await key.sign(new TextEncoder().encode(E2E_LABEL))).digest();
  assert.equal(await s.e2eSecret(), new Uint8Array(want));
  assert.is(asRmbSigner(s), s, "an RmbSigner is used as it is");
  const wrapped = asRmbSigner(key);
  assert.ok("signEnvelope" in wrapped && wrapped !== (key as unknown));
  assert.equal(await wrapped.signEnvelope(env), sig);
});

test.run();
