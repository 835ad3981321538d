// Node identity: seed file format, persistence (created once, mode 0400), legacy forms, corrupt
// files, purpose-scoped signers, and that the raw key never shows up in what the identity returns.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  decodeAddress,
  ed25519PairFromSeed,
  ed25519Verify,
  mnemonicGenerate,
  mnemonicToEntropy,
} from "@polkadot/util-crypto";
import { encodeSeedFile, NodeIdentity, parseSeedFile, SeedError } from "./mod.ts";
import { challenge } from "../rmb/challenge.ts";

const t = suite("identity");

/** Where `seed` (the first half of an ed25519 secret key) can be reached from `roots`: as bytes in a typed array or
 * array buffer, or as hex/base64 text, through any own property (symbols and non-enumerable ones too). */
function reachableSecrets(roots: unknown[], seed: Uint8Array): [string, string][] {
  const hits: [string, string][] = [];
  const hex = Buffer.from(seed).toString("hex");
  const b64 = Buffer.from(seed).toString("base64");
  const hasBytes = (b: Uint8Array) => Buffer.from(b).indexOf(Buffer.from(seed)) >= 0;
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: string, depth: number) => {
    if (typeof v === "string") {
      if (v.toLowerCase().includes(hex) || v.includes(b64)) hits.push([path, "as text"]);
      return;
    }
    if (v === null || (typeof v !== "object" && typeof v !== "function") || seen.has(v) || depth > 6) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (hasBytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))) hits.push([path, "as bytes"]);
      return;
    }
    if (v instanceof ArrayBuffer) {
      if (hasBytes(new Uint8Array(v))) hits.push([path, "as bytes"]);
      return;
    }
    if (Array.isArray(v) && v.length >= seed.length && v.every((x) => typeof x === "number")) {
      if (hasBytes(Uint8Array.from(v as number[]))) hits.push([path, "as a number array"]);
    }
    for (const k of Reflect.ownKeys(v as object)) {
      const d = Object.getOwnPropertyDescriptor(v, k);
      if (d && "value" in d) walk(d.value, `${path}.${String(k)}`, depth + 1);
    }
  };
  roots.forEach((r, i) => walk(r, `root[${i}]`, 0));
  return hits;
}
let dir = "";
t.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "zt-identity-"));
});
t.after.each(() => rmSync(dir, { recursive: true, force: true }));

t("creates the seed once, in Zero-OS format, mode 0400, and reopens the same key", async () => {
  const path = join(dir, "identityd", "seed.txt");
  const a = await NodeIdentity.open(path);
  assert.ok(a.created);
  const bytes = readFileSync(path);
  assert.is(bytes.length, 7 + 32);
  assert.is(bytes.subarray(0, 7).toString(), '"1.0.0"');
  assert.is(statSync(path).mode & 0o777, 0o400);
  const b = await NodeIdentity.open(path);
  assert.not.ok(b.created);
  assert.equal(b.identity.publicIdentity(), a.identity.publicIdentity());
  const pub = a.identity.publicIdentity();
  assert.equal(decodeAddress(pub.address), pub.publicKey);
  // the seed in the file is the ed25519 seed of the public key
  assert.equal(ed25519PairFromSeed(new Uint8Array(bytes.subarray(7))).publicKey, pub.publicKey);
});

t("accepts legacy raw and 1.1.0 mnemonic files and rewrites them as 1.0.0", async () => {
  const seed = new Uint8Array(32).map((_, i) => i + 1);
  const raw = join(dir, "raw.txt");
  writeFileSync(raw, seed);
  const r = await NodeIdentity.open(raw);
  assert.equal(r.identity.publicIdentity().publicKey, ed25519PairFromSeed(seed).publicKey);
  assert.equal(new Uint8Array(readFileSync(raw)), encodeSeedFile(seed));
  const mn = join(dir, "mn.txt");
  const mnemonic = mnemonicGenerate(24);
  const entropy = mnemonicToEntropy(mnemonic);
  writeFileSync(mn, '"1.1.0"' + JSON.stringify({ mnemonic }));
  const m = await NodeIdentity.open(mn);
  assert.equal(m.identity.publicIdentity().publicKey, ed25519PairFromSeed(entropy).publicKey);
  assert.equal(new Uint8Array(readFileSync(mn)), encodeSeedFile(entropy));
});

t("corrupt seed files are refused with the path, and left untouched", async () => {
  const p = join(dir, "bad.txt");
  for (const content of ['"1.0.0"short', '"9.9.9"' + "x".repeat(32), "hello", '"1.0.0']) {
    writeFileSync(p, content);
    chmodSync(p, 0o600);
    try {
      await NodeIdentity.open(p);
      assert.unreachable("should have thrown");
    } catch (e) {
      assert.instance(e, SeedError);
      assert.match((e as Error).message, p);
    }
    assert.is(readFileSync(p, "utf8"), content);
  }
  assert.throws(() => parseSeedFile("x", new Uint8Array([0x22, 0x31])), /unterminated/);
});

t("signers are attenuated, verify with the public key, and never expose the secret", async () => {
  const seed = new Uint8Array(32).fill(7);
  const id = NodeIdentity.fromSeed(seed);
  const chain = id.chainSigner(["tfgridModule.createNode"]);
  const rmb = id.rmbSigner();
  // no signer of the node key takes raw bytes
  for (const s of [chain, rmb]) assert.not.ok("sign" in s);
  let refused = "";
  await chain.signExtrinsic(new TextEncoder().encode("payload")).catch((e) => (refused = e.message));
  assert.match(refused, /denied: chain signer: not a TFChain extrinsic payload/);
  assert.is(id.signatures("chain"), 0, "nothing was signed");
  // the rmb signer signs the challenge it computes
  const env = { uid: "u", timestamp: 1, expiration: 2, source: { twin: 1 }, destination: { twin: 2 }, message: { kind: "request" as const, command: "x" }, relays: [] };
  const sig = await rmb.signEnvelope(env);
  assert.is(sig.length, 65);
  assert.ok(ed25519Verify(challenge(env), sig.subarray(1), rmb.publicKey));
  assert.ok(id.verify(challenge(env), sig.subarray(1)));
  assert.is(id.signatures("rmb"), 1);
  const secret = Buffer.from(ed25519PairFromSeed(seed).secretKey).toString("hex");
  const everything = JSON.stringify([id, chain, rmb, id.publicIdentity(), Object.keys(id), Object.keys(chain), Object.keys(rmb)]);
  assert.not.ok(everything.includes(secret.slice(0, 32)));
  assert.not.ok(everything.includes(Buffer.from(seed).toString("hex")));
  // JSON hides bytes (a Uint8Array serialises as {"0":…}): walk every own property, enumerable or not,
  // of the signer, the identity and what they return, and look for the seed's bytes in any form
  for (const [where, found] of reachableSecrets([chain, rmb, id, id.publicIdentity(), id.toJSON()], seed)) {
    assert.unreachable(`the secret key is reachable at ${where} (${found})`);
  }
  for (const s of [chain, rmb]) assert.equal([...s.publicKey], [...ed25519PairFromSeed(seed).publicKey], "publicKey is the public key");
  // mutating the signer's copy of the public key does not change the identity
  rmb.publicKey[0] ^= 0xff;
  assert.ok(id.verify(challenge(env), sig.subarray(1)));
  assert.throws(() => id.chainSigner(["not a call"]), /section\.method/);
});

t.run();
