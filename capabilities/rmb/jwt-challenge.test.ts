// The RMB signing challenge and the relay token, fast (no official SDK loaded, so it runs for every mutant of
// `npm run mutate -- rmb`): the challenge of envelopes that differ in one part each equals what the official
// @threefold/rmb_direct_client 2.9.2 computes (known answers printed by challenge-cases.test-helper.ts; the
// live comparison is in wire.test.ts), and every refusal of a token says why and which part.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { challenge, signEnvelope, verifyEnvelope } from "./challenge.ts";
import { createJwt, JwtError, jwtSigningInput, jwtWithSignature, parseJwt, verifyJwt } from "./jwt.ts";
import { signerFromSeed, signPrefixed } from "./signer.ts";
import { CASES } from "./challenge-cases.test-helper.ts";

const OFFICIAL: Record<string, string> = {
  "request": "0489b48642214d499f10d459cd0f2778",
  "with tags": "3739e805708e05f124165a1171e07180",
  "no federation": "4242cee1485a122cf88448ef918958a1",
  "cipher instead of plain": "f14403ddcbb1d178ea394a49715aee0f",
  "empty plain, cipher": "83ecfa76250e94dd483d54e81c8f55b1",
  "no relays": "b517b7a2ef43f4d6a3907015133ded4c",
  "response": "487f91bd0227742c25d8e09c02411e5f",
  "error": "d71bb904f5e0a6aed9f32e5d6969d433",
  "destination session, source without one": "6286f3cdb47ad5bcb6100a1f93e948e7",
  "no payload": "df9a0574e175b64ef0539afcae242d70",
  "other timestamp": "67e4c850b28722f1e3ba424f3af40e06",
};

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const b64url = (s: string | Uint8Array) => Buffer.from(s).toString("base64url");

test("the challenge of each envelope equals the official client's", () => {
  assert.equal(Object.keys(CASES), Object.keys(OFFICIAL));
  for (const [name, e] of Object.entries(CASES)) assert.is(hex(challenge(e)), OFFICIAL[name], name);
});

test("the schema is hashed when present (the official client always sends one), after the message", () => {
  const e = CASES["request"];
  assert.is.not(hex(challenge({ ...e, schema: undefined })), OFFICIAL["request"]);
  assert.is(hex(challenge({ ...e, schema: undefined, federation: "application/json" + e.federation })), OFFICIAL["request"]);
});

test("an envelope without a source hashes twin 0 (rmb-rs's default address)", () => {
  const e = { ...CASES["request"], source: undefined };
  assert.is(hex(challenge(e)), hex(challenge({ ...e, source: { twin: 0 } })));
  assert.is.not(hex(challenge(e)), OFFICIAL["request"]);
});

test("a signed envelope verifies with its key only, and not after any part of the challenge changed", async () => {
  const signer = await signerFromSeed(new Uint8Array(32).fill(3), "ed25519");
  const other = await signerFromSeed(new Uint8Array(32).fill(4), "ed25519");
  const e = await signEnvelope({ ...CASES["with tags"] }, signer);
  assert.is(e.signature!.length, 65);
  assert.is(e.signature![0], 0x65);
  assert.ok(await verifyEnvelope(e, signer.publicKey));
  assert.not.ok(await verifyEnvelope(e, other.publicKey));
  assert.not.ok(await verifyEnvelope({ ...e, signature: undefined }, signer.publicKey));
  for (const [name, changed] of Object.entries(CASES)) {
    if (name === "with tags") continue;
    assert.not.ok(await verifyEnvelope({ ...changed, signature: e.signature }, signer.publicKey), name);
  }
});

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "accepted";
  } catch (e) {
    assert.instance(e, JwtError);
    return `${(e as JwtError).reason}: ${(e as Error).message}`;
  }
}

test("a token: base64url header {alg RS512, typ JWT}, the claims in order, a 65-byte signature over header.claims", async () => {
  const signer = await signerFromSeed(new Uint8Array(32).fill(5), "ed25519");
  const token = await createJwt(signer, 7, { nowS: 1000, ttlS: 30, sid: "s1" });
  const [h, c, s] = token.split(".");
  assert.is(Buffer.from(h, "base64url").toString(), '{"alg":"RS512","typ":"JWT"}');
  assert.is(Buffer.from(c, "base64url").toString(), '{"sub":7,"iat":1000,"exp":1030,"sid":"s1"}');
  assert.not.match(token, /[=+/]/);
  const sig = Buffer.from(s, "base64url");
  assert.is(sig.length, 65);
  assert.equal([...sig], [...await signPrefixed(signer, new TextEncoder().encode(`${h}.${c}`))]);
  assert.is(jwtSigningInput({ sub: 7, iat: 1000, exp: 1030, sid: "s1" }), `${h}.${c}`);
  assert.is(jwtWithSignature(`${h}.${c}`, sig), token);
  // no sid, and the default lifetime of 60 s
  const plain = (await createJwt(signer, 7, { nowS: 1000 })).split(".")[1];
  assert.is(Buffer.from(plain, "base64url").toString(), '{"sub":7,"iat":1000,"exp":1060}');
  assert.is(jwtSigningInput({ sub: 7, iat: 1, exp: 2, sid: "" }).split(".")[1], b64url('{"sub":7,"iat":1,"exp":2}'));
});

test("verifyJwt: valid until exp inclusive, then expired; the twin's key is looked up by sub", async () => {
  const signer = await signerFromSeed(new Uint8Array(32).fill(5), "ed25519");
  const asked: number[] = [];
  const key = (t: number) => (asked.push(t), Promise.resolve(t === 7 ? signer.publicKey : null));
  const token = await createJwt(signer, 7, { nowS: 1000, ttlS: 30, sid: "s1" });
  assert.equal(await verifyJwt(token, key, 1030), { sub: 7, iat: 1000, exp: 1030, sid: "s1" });
  assert.equal(asked, [7]);
  assert.is(await reasonOf(verifyJwt(token, key, 1031)), "expired: token expired at 1030 (now 1031)");
  assert.is(await reasonOf(verifyJwt(await createJwt(signer, 8, { nowS: 1000 }), key, 1000)), "unknown-twin: twin 8 does not exist on the chain");
  const other = await signerFromSeed(new Uint8Array(32).fill(6), "ed25519");
  assert.is(await reasonOf(verifyJwt(await createJwt(other, 7, { nowS: 1000 }), key, 1000)), "bad-signature: token signature does not match twin 7's account key");
  // the current time is the default
  const now = Math.floor(Date.now() / 1000);
  assert.is((await verifyJwt(await createJwt(signer, 7), key)).sub, 7);
  assert.match(await reasonOf(verifyJwt(await createJwt(signer, 7, { nowS: now - 100, ttlS: 10 }), key)), /^expired/);
});

test("malformed tokens are refused with what is wrong, before any key lookup", async () => {
  const signer = await signerFromSeed(new Uint8Array(32).fill(5), "ed25519");
  const good = await createJwt(signer, 7, { nowS: 1000 });
  const [h, c, s] = good.split(".");
  let lookups = 0;
  const key = () => (lookups++, Promise.resolve(signer.publicKey));
  const claims = (o: unknown) => b64url(JSON.stringify(o));
  const cases: [string, string][] = [
    ["abc", "malformed: token has 1 parts, expected 3"],
    [`${h}.${c}`, "malformed: token has 2 parts, expected 3"],
    [`${good}.x`, "malformed: token has 4 parts, expected 3"],
    [`${h}.${c}.a+b`, "malformed: token part is not base64url"],
    [`${h}.a/b.${s}`, "malformed: token part is not base64url"],
    [`${h}.${c}.${s}=`, "malformed: token part is not base64url"],
    [`${h}.abcde.${s}`, "malformed: token part of 5 characters is not base64url (a length of 4k+1 is impossible)"],
    [`${h}.${b64url("{nope")}.${s}`, "malformed: token header or claims are not JSON"],
    [`${b64url("[")}.${c}.${s}`, "malformed: token header or claims are not JSON"],
    [`${b64url('{"alg":"none"}')}.${c}.${s}`, 'malformed: token header alg must be "RS512"'],
    [`${b64url("null")}.${c}.${s}`, 'malformed: token header alg must be "RS512"'],
    [`${b64url('"RS512"')}.${c}.${s}`, 'malformed: token header alg must be "RS512"'],
    [`${h}.${b64url("null")}.${s}`, "malformed: claims are not an object"],
    [`${h}.${b64url("5")}.${s}`, "malformed: claims are not an object"],
    [`${h}.${claims({ sub: "7", iat: 1, exp: 2 })}.${s}`, "malformed: claim sub must be a twin id (u32 > 0)"],
    [`${h}.${claims({ sub: 7.5, iat: 1, exp: 2 })}.${s}`, "malformed: claim sub must be a twin id (u32 > 0)"],
    [`${h}.${claims({ sub: 0, iat: 1, exp: 2 })}.${s}`, "malformed: claim sub must be a twin id (u32 > 0)"],
    [`${h}.${claims({ sub: -1, iat: 1, exp: 2 })}.${s}`, "malformed: claim sub must be a twin id (u32 > 0)"],
    [`${h}.${claims({ sub: 0x100000000, iat: 1, exp: 2 })}.${s}`, "malformed: claim sub must be a twin id (u32 > 0)"],
    [`${h}.${claims({ sub: 7, iat: "1", exp: 2 })}.${s}`, "malformed: claims iat/exp must be numbers"],
    [`${h}.${claims({ sub: 7, iat: 1, exp: "2" })}.${s}`, "malformed: claims iat/exp must be numbers"],
    [`${h}.${claims({ sub: 7, iat: 1, exp: 2, sid: 5 })}.${s}`, "malformed: claim sid must be a string"],
    [`${h}.${c}.${b64url(new Uint8Array(64))}`, "malformed: signature is 64 bytes, expected 65"],
    [`${h}.${c}.`, "malformed: signature is 0 bytes, expected 65"],
  ];
  for (const [token, want] of cases) assert.is(await reasonOf(verifyJwt(token, key, 0)), want, token);
  assert.is(lookups, 0, "no malformed token reaches the twin lookup");
});

test("parseJwt keeps sub, iat, exp and a non-empty sid; the signed bytes are header.claims as sent", async () => {
  const signer = await signerFromSeed(new Uint8Array(32).fill(5), "ed25519");
  const [h, , s] = (await createJwt(signer, 7, { nowS: 1000 })).split(".");
  const with_ = (o: unknown) => parseJwt(`${h}.${b64url(JSON.stringify(o))}.${s}`);
  assert.equal(with_({ sub: 0xffffffff, iat: 1, exp: 2, extra: true }).claims, { sub: 0xffffffff, iat: 1, exp: 2 });
  assert.equal(with_({ sub: 1, iat: 1, exp: 2, sid: null }).claims, { sub: 1, iat: 1, exp: 2 });
  assert.equal(with_({ sub: 1, iat: 1, exp: 2, sid: "" }).claims, { sub: 1, iat: 1, exp: 2 });
  assert.equal(with_({ sub: 1, iat: 1, exp: 2, sid: "x" }).claims, { sub: 1, iat: 1, exp: 2, sid: "x" });
  const c = b64url('{"exp":2,"sub":1,"iat":1}');
  const p = parseJwt(`${h}.${c}.${s}`);
  assert.is(new TextDecoder().decode(p.signed), `${h}.${c}`);
  assert.equal([...p.signature], [...Buffer.from(s, "base64url")]);
  // base64url without padding of every length that exists (4k, 4k+2, 4k+3)
  for (const sid of ["a", "ab", "abc", "abcd"]) assert.is(with_({ sub: 1, iat: 1, exp: 2, sid }).claims.sid, sid);
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal([...parseJwt(`${h}.${c}.${b64url(bytes.subarray(0, 65))}`).signature], [...bytes.subarray(0, 65)]);
  assert.equal([...parseJwt(`${h}.${c}.${b64url(bytes.subarray(191, 256))}`).signature], [...bytes.subarray(191, 256)]);
});

test("a token signed over other bytes, or with the other scheme byte, is a bad signature", async () => {
  const signer = await signerFromSeed(new Uint8Array(32).fill(5), "ed25519");
  const key = () => Promise.resolve(signer.publicKey);
  const token = await createJwt(signer, 7, { nowS: 1000 });
  const [h, c, s] = token.split(".");
  const forged = b64url('{"sub":7,"iat":0,"exp":9999999999}');
  assert.match(await reasonOf(verifyJwt(`${h}.${forged}.${s}`, key, 1000)), /^bad-signature/);
  const sig = Buffer.from(s, "base64url");
  sig[0] = 0x73;
  assert.match(await reasonOf(verifyJwt(`${h}.${c}.${b64url(sig)}`, key, 1000)), /^bad-signature/);
  const sr = await signerFromSeed(new Uint8Array(32).fill(5), "sr25519");
  assert.equal((await verifyJwt(await createJwt(sr, 9, { nowS: 1000 }), () => Promise.resolve(sr.publicKey), 1000)).sub, 9);
});

test.run();
