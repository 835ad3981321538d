// The envelope codec, signing challenge, JWT and e2e encryption, each checked against the official
// @threefold/rmb_direct_client 2.9.2 (its generated protobuf types, its challenge and its crypto).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { challenge, signEnvelope, verifyEnvelope } from "./challenge.ts";
import { decodeEnvelope, encodeEnvelope, type Envelope, JSON_SCHEMA } from "./envelope.ts";
import { ProtoDecodeError } from "./protowire.ts";
import { createJwt, JwtError, parseJwt, verifyJwt } from "./jwt.ts";
import { E2eError, e2eKeyFromSecret, open, seal } from "./e2e.ts";
import { miniSecretFromMnemonic, signerFromMnemonic, signerFromSeed } from "./signer.ts";

import {
  Keyring,
  OfficialClientEnvelope,
  officialSign,
  officialTypes as official,
  officialUtil,
} from "./official-sdk.test-helper.ts";

const MNEMONIC = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
const enc = new TextEncoder();

function sample(): Envelope {
  return {
    uid: "6f1c7c3e-0000-4000-8000-000000000001",
    tags: "fail-fast",
    timestamp: 1_763_000_000,
    expiration: 300,
    source: { twin: 17, connection: "abcdefghij" },
    destination: { twin: 4_000_000_000 },
    message: { kind: "request", command: "zos.deployment.get" },
    schema: JSON_SCHEMA,
    federation: "relay.example",
    plain: enc.encode('{"contract_id":9}'),
    relays: ["r1.example", "r2.example"],
  };
}

const codec = suite("envelope codec");

codec("round-trips every field", () => {
  const e = sample();
  e.signature = new Uint8Array(65).fill(3);
  assert.equal(decodeEnvelope(encodeEnvelope(e)), e);
  for (
    const m of [{ kind: "response" }, { kind: "ping" }, { kind: "pong" }, {
      kind: "error",
      code: 104,
      message: "bad",
    }] as const
  ) {
    const x: Envelope = { ...sample(), message: m, plain: undefined, cipher: new Uint8Array([1, 2, 3]) };
    delete x.plain;
    assert.equal(decodeEnvelope(encodeEnvelope(x)), x);
  }
});

codec("official encoder → our decoder", () => {
  const o = new official.Envelope({
    uid: "u-1",
    tags: "",
    timestamp: 1_763_000_123,
    expiration: 60,
    source: new official.Address({ twin: 5, connection: "sess" }),
    destination: new official.Address({ twin: 77 }),
    request: new official.Request({ command: "zos.system.version" }),
    signature: new Uint8Array([0x73, ...new Uint8Array(64).fill(9)]),
    schema: "application/json",
    cipher: new Uint8Array([9, 8, 7]),
    relays: ["ws:/127.0.0.1:8080"],
  });
  const e = decodeEnvelope(o.serializeBinary());
  assert.equal(e.uid, "u-1");
  assert.is(e.tags, undefined, "empty tags read as unset");
  assert.equal(e.source, { twin: 5, connection: "sess" });
  assert.equal(e.destination, { twin: 77 });
  assert.equal(e.message, { kind: "request", command: "zos.system.version" });
  assert.is(e.signature!.length, 65);
  assert.equal([...e.cipher!], [9, 8, 7]);
  assert.is(e.plain, undefined);
  assert.equal(e.relays, ["ws:/127.0.0.1:8080"]);
  // an official ping: empty signature, destination twin 0
  const ping = new official.Envelope({
    uid: "p",
    timestamp: 1,
    expiration: 40,
    source: new official.Address({ twin: 5 }),
    destination: new official.Address(),
    ping: new official.Ping(),
    signature: new Uint8Array(),
  });
  const p = decodeEnvelope(ping.serializeBinary());
  assert.equal(p.message, { kind: "ping" });
  assert.is(p.signature, undefined);
  assert.equal(p.destination, { twin: 0 });
});

codec("our encoder → official decoder", () => {
  const e: Envelope = {
    ...sample(),
    message: { kind: "error", code: 7, message: "nope" },
    signature: new Uint8Array(65).fill(1),
  };
  const o = official.Envelope.deserializeBinary(encodeEnvelope(e));
  assert.is(o.uid, e.uid);
  assert.is(o.tags, "fail-fast");
  assert.is(o.timestamp, e.timestamp);
  assert.is(o.expiration, 300);
  assert.is(o.source.twin, 17);
  assert.is(o.source.connection, "abcdefghij");
  assert.is(o.destination.twin, 4_000_000_000);
  assert.is(o.message, "error");
  assert.is(o.error.code, 7);
  assert.is(o.error.message, "nope");
  assert.is(o.schema, JSON_SCHEMA);
  assert.is(o.federation, "relay.example");
  assert.is(o.payload, "plain");
  assert.is(new TextDecoder().decode(o.plain), '{"contract_id":9}');
  assert.equal(o.relays, ["r1.example", "r2.example"]);
  const r = official.Envelope.deserializeBinary(
    encodeEnvelope({
      uid: "x",
      timestamp: 1,
      expiration: 1,
      relays: [],
      message: { kind: "response" },
      source: { twin: 1 },
      destination: { twin: 2 },
      plain: new Uint8Array(),
    }),
  );
  assert.is(r.message, "response");
});

codec("malformed input is rejected with a reason", () => {
  const good = encodeEnvelope(sample());
  assert.throws(
    () => decodeEnvelope(good.subarray(0, good.length - 3)),
    (e: Error) => e instanceof ProtoDecodeError && /past the end/.test(e.message),
  );
  assert.throws(
    () =>
      decodeEnvelope(
        new Uint8Array([0x08 | 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      ),
    (e: Error) => e instanceof ProtoDecodeError,
  );
  assert.throws(() => decodeEnvelope(new Uint8Array([0x0b])), /wire type/); // field 1 with wire type 3
  assert.throws(() => decodeEnvelope(new Uint8Array([0x0a, 0x02, 0xc3, 0x28])), /UTF-8/); // uid not UTF-8
  assert.throws(
    () => decodeEnvelope(new Uint8Array([0x18, 0x05 + 0, 0x12, 0x01])),
    (e: Error) => e instanceof ProtoDecodeError,
  ); // truncated
});

const sig = suite("signatures");

sig("our challenge equals the official client's for requests, responses and errors", async () => {
  const keyring = new Keyring({ type: "sr25519" });
  await signerFromMnemonic(MNEMONIC, "sr25519"); // loads wasm
  const pair = keyring.addFromUri(MNEMONIC);
  for (const withCipher of [false, true]) {
    const o = new official.Envelope({
      uid: "uid-7",
      timestamp: 1_763_000_999,
      expiration: 1200,
      source: new official.Address({ twin: 11, connection: "sid-1" }),
      destination: new official.Address({ twin: 12 }),
      request: new official.Request({ command: "zos.statistics.get" }),
      relays: ["a.example", "b.example"],
    });
    const ce = new OfficialClientEnvelope(pair, o, "ws://unused", null, new Map());
    if (withCipher) ce.cipher = new Uint8Array([4, 5, 6]);
    else ce.plain = enc.encode("{}");
    ce.federation = "fed.example";
    ce.signature = ce.signEnvelope();
    const ours = decodeEnvelope(ce.serializeBinary());
    assert.equal([...challenge(ours)], [...ce.challenge()]);
    assert.ok(
      await verifyEnvelope(ours, pair.publicKey),
      "official sr25519 signature verifies with our code",
    );
  }
  const err: Envelope = {
    uid: "e",
    timestamp: 5,
    expiration: 6,
    source: { twin: 3 },
    destination: { twin: 4, connection: "c" },
    message: { kind: "error", code: 0, message: "function is not found" },
    schema: JSON_SCHEMA,
    relays: [],
  };
  const oe = new OfficialClientEnvelope(
    null,
    official.Envelope.deserializeBinary(encodeEnvelope(err)),
    "",
    null,
    new Map(),
  );
  assert.equal([...challenge(err)], [...oe.challenge()]);
});

sig("our signatures verify with polkadot keyring; tampering breaks them", async () => {
  for (const type of ["ed25519", "sr25519"] as const) {
    const signer = await signerFromMnemonic(MNEMONIC, type);
    const pair = new Keyring({ type }).addFromUri(MNEMONIC);
    assert.equal([...signer.publicKey], [...pair.publicKey], `${type} key matches Keyring.addFromUri`);
    const e = await signEnvelope({ ...sample(), message: { kind: "response" } }, signer);
    assert.is(e.signature![0], type === "ed25519" ? 0x65 : 0x73);
    assert.ok(pair.verify(challenge(e), e.signature!.subarray(1), pair.publicKey));
    assert.ok(await verifyEnvelope(decodeEnvelope(encodeEnvelope(e)), signer.publicKey));
    assert.not.ok(await verifyEnvelope({ ...e, uid: e.uid + "x" }, signer.publicKey));
    assert.not.ok(await verifyEnvelope({ ...e, plain: enc.encode("{}") }, signer.publicKey));
    const other = await signerFromSeed(new Uint8Array(32).fill(1), type);
    assert.not.ok(await verifyEnvelope(e, other.publicKey));
    const wrongPrefix = e.signature!.slice();
    wrongPrefix[0] = type === "ed25519" ? 0x73 : 0x65;
    assert.not.ok(await verifyEnvelope({ ...e, signature: wrongPrefix }, signer.publicKey));
  }
});

const jwt = suite("jwt");

jwt("round trip for ed25519 and sr25519, with and without sid", async () => {
  for (const type of ["ed25519", "sr25519"] as const) {
    const signer = await signerFromMnemonic(MNEMONIC, type);
    const token = await createJwt(signer, 42, { sid: type === "sr25519" ? "abc" : undefined, ttlS: 30 });
    assert.not.match(token, /[=+/]/);
    const claims = await verifyJwt(token, (t) => Promise.resolve(t === 42 ? signer.publicKey : null));
    assert.is(claims.sub, 42);
    assert.is(claims.sid, type === "sr25519" ? "abc" : undefined);
  }
});

jwt("the official client's token verifies", async () => {
  await signerFromMnemonic(MNEMONIC, "sr25519");
  const pair = new Keyring({ type: "sr25519" }).addFromUri(MNEMONIC);
  const b64 = (s: string) => Buffer.from(s).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const head = b64(JSON.stringify({ alg: "RS512", typ: "JWT" })) + "." +
    b64(JSON.stringify({ sub: 9, iat: now, exp: now + 1000, sid: "x" }));
  const token = head + "." + Buffer.from(officialSign.sign(head, pair)).toString("base64url");
  const claims = await verifyJwt(token, () => Promise.resolve(pair.publicKey));
  assert.equal(claims, { sub: 9, iat: now, exp: now + 1000, sid: "x" });
});

jwt("bad tokens fail with the right reason", async () => {
  const signer = await signerFromSeed(new Uint8Array(32).fill(5), "ed25519");
  const other = await signerFromSeed(new Uint8Array(32).fill(6), "ed25519");
  const key = (t: number) => Promise.resolve(t === 1 ? signer.publicKey : null);
  const reason = async (token: string) => {
    try {
      await verifyJwt(token, key);
      return "accepted";
    } catch (e) {
      assert.instance(e, JwtError);
      return (e as JwtError).reason;
    }
  };
  assert.is(
    await reason(await createJwt(signer, 1, { nowS: Math.floor(Date.now() / 1000) - 100, ttlS: 10 })),
    "expired",
  );
  assert.is(await reason(await createJwt(signer, 2)), "unknown-twin");
  assert.is(await reason(await createJwt(other, 1)), "bad-signature");
  assert.is(await reason("abc"), "malformed");
  assert.is(await reason("a.b.c"), "malformed");
  const good = await createJwt(signer, 1);
  const [h, , s] = good.split(".");
  const forged = Buffer.from(JSON.stringify({ sub: 1, iat: 0, exp: 9e9 })).toString("base64url");
  assert.is(await reason(`${h}.${forged}.${s}`), "bad-signature");
  const rs256 = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
  assert.is(await reason(`${rs256}.${good.split(".")[1]}.${s}`), "malformed");
  assert.is(parseJwt(good).claims.sub, 1);
});

const e2e = suite("e2e encryption");

e2e("our key and the official client's agree; ciphers open both ways", async () => {
  const ours = e2eKeyFromSecret(miniSecretFromMnemonic(MNEMONIC));
  assert.is("0x" + Buffer.from(ours.publicKey).toString("hex"), officialUtil.generatePublicKey(MNEMONIC));
  const peerSecret = new Uint8Array(32).fill(0x11);
  const peer = e2eKeyFromSecret(peerSecret);
  const theirShared = officialSign.createShared(peer.publicKey, MNEMONIC);
  assert.equal([...ours.sharedKey(peer.publicKey)], [...theirShared]);
  assert.equal([...peer.sharedKey(ours.publicKey)], [...theirShared]);
  // the official client encrypts → we decrypt
  const ce = new OfficialClientEnvelope(null, new official.Envelope({ uid: "x" }), "", null, new Map());
  const sealed: Uint8Array = await ce.encrypt(
    '{"hello":1}',
    MNEMONIC,
    "0x" + Buffer.from(peer.publicKey).toString("hex"),
  );
  assert.is(new TextDecoder().decode(open(peer.sharedKey(ours.publicKey), sealed)), '{"hello":1}');
  // we encrypt → the official client decrypts
  const mine = seal(peer.sharedKey(ours.publicKey), enc.encode('{"back":2}'));
  ce.cipher = mine;
  ce.twin = { pk: "0x" + Buffer.from(peer.publicKey).toString("hex") };
  const plain = await ce.decrypt(MNEMONIC);
  assert.is(new TextDecoder().decode(plain), '{"back":2}');
  // tampering and wrong keys are caught
  const bad = mine.slice();
  bad[20] ^= 1;
  assert.throws(() => open(peer.sharedKey(ours.publicKey), bad), (e: Error) => e instanceof E2eError);
  assert.throws(
    () => open(e2eKeyFromSecret(new Uint8Array(32).fill(3)).sharedKey(ours.publicKey), mine),
    (e: Error) => e instanceof E2eError,
  );
  assert.throws(() => open(ours.sharedKey(peer.publicKey), new Uint8Array(10)), /shorter/);
  assert.throws(() => ours.sharedKey(new Uint8Array(33)), (e: Error) => e instanceof E2eError);
});

codec.run();
sig.run();
jwt.run();
e2e.run();
