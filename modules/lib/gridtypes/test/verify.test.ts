// What the node accepts, answer by answer, without grid_client (so the mutation run's deployment area stays fast):
// the exact refusal of each way a signature requirement can fail, sr25519 next to ed25519, and the second
// rendering (grid_client's network-light without a WireGuard port) — accepted only for that case, and only when
// the node's own rendering does not verify. interop.test.ts checks the same against grid_client itself.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash, generateKeyPairSync, sign as edSign } from "node:crypto";
import { cryptoWaitReady, sr25519PairFromSeed, sr25519Sign } from "@polkadot/util-crypto";
import { challenge, clientChallenge, parseDeployment, verifyDeployment, type TwinKeys } from "../mod.ts";

await cryptoWaitReady();

type Sign = (m: Uint8Array) => string;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function ed(): { pub: Uint8Array; sign: Sign } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pub = new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(12));
  return { pub, sign: (m) => hex(new Uint8Array(edSign(null, m, privateKey))) };
}

function sr(seedByte: number): { pub: Uint8Array; sign: Sign } {
  const pair = sr25519PairFromSeed(new Uint8Array(32).fill(seedByte));
  return { pub: pair.publicKey, sign: (m) => hex(sr25519Sign(m, pair)) };
}

const a = ed(); // twin 42
const b = sr(7); // twin 43
const keys: TwinKeys = {
  getKey: (t) => (t === 42 ? a.pub : t === 43 ? b.pub : Promise.reject(new Error(`twin ${t} is not on chain`))),
};

const zmount = { version: 0, name: "d", type: "zmount", data: { size: 1 }, metadata: "", description: "" };
const light = (port?: number) => ({
  version: 0,
  name: "lightnet",
  type: "network-light",
  metadata: "m",
  description: "wl desc",
  data: { subnet: "10.30.4.0/24", ip_range: "10.30.0.0/16", wireguard_private_key: "", ...(port === undefined ? {} : { wireguard_listen_port: port }), peers: [], mycelium: { hex_key: "0f".repeat(32), peers: [] } },
});

// deno-lint-ignore no-explicit-any
type Doc = Record<string, any>;
function doc(requests: unknown[], weightRequired: number, workloads: unknown[] = [zmount], style = ""): Doc {
  return {
    version: 3, twin_id: 42, contract_id: 7, metadata: "meta-x", description: "desc-y", expiration: 0, workloads,
    signature_requirement: { requests, weight_required: weightRequired, signatures: [], signature_style: style },
  };
}
const md5 = (text: string) => new Uint8Array(createHash("md5").update(text, "utf8").digest());
const nodeHash = (o: Doc) => md5(challenge(parseDeployment(JSON.stringify(o))));
function signed(o: Doc, sigs: [number, string, string][]): ReturnType<typeof parseDeployment> {
  o.signature_requirement.signatures = sigs.map(([twin_id, signature, signature_type]) => ({ twin_id, signature, signature_type }));
  return parseDeployment(JSON.stringify(o));
}

test("accepted: ed25519 and sr25519 signers together; the answer names the hash and the node's rendering", async () => {
  const o = doc([{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 1 }], 2);
  const h = nodeHash(o);
  const r = await verifyDeployment(signed(o, [[42, a.sign(h), "ed25519"], [43, b.sign(h), "sr25519"]]), keys);
  assert.equal(r, { ok: true, hash: hex(h), rendering: "node" });
});

test("each refusal says which twin and why; the hash is the node's", async () => {
  const cases: [string, Doc, (h: Uint8Array) => [number, string, string][], string][] = [
    ["required signature missing", doc([{ twin_id: 42, weight: 1 }], 1), () => [], "missing required signature for twin '42'"],
    ["a non-originator required twin unsigned", doc([{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 1, required: true }], 1), (h) => [[42, a.sign(h), "ed25519"]], "missing required signature for twin '43'"],
    ["unknown twin (key lookup fails)", doc([{ twin_id: 42, weight: 1 }, { twin_id: 99, weight: 1 }], 1), (h) => [[42, a.sign(h), "ed25519"], [99, a.sign(h), "ed25519"]], "failed to get public key for twin '99': twin 99 is not on chain"],
    ["an optional twin that did not sign", doc([{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 1 }], 1), (h) => [[42, a.sign(h), "ed25519"]], "failed to verify signature of twin '43': no signature from this twin"],
    ["signature not hex", doc([{ twin_id: 42, weight: 1 }], 1), () => [[42, "zz", "ed25519"]], "invalid signature of twin '42': "],
    ["ed25519 signature by another key", doc([{ twin_id: 42, weight: 1 }], 1), (h) => [[42, ed().sign(h), "ed25519"]], "failed to verify ed25519 signature of twin '42'"],
    ["sr25519 signature by another key", doc([{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 1 }], 2), (h) => [[42, a.sign(h), "ed25519"], [43, sr(8).sign(h), "sr25519"]], "failed to verify sr25519 signature of twin '43'"],
    ["an ed25519 signature sent as sr25519", doc([{ twin_id: 42, weight: 1 }], 1), (h) => [[42, a.sign(h), "sr25519"]], "failed to verify sr25519 signature of twin '42'"],
    ["a signature type the node does not know is checked as ed25519", doc([{ twin_id: 42, weight: 1 }], 1), (h) => [[42, ed().sign(h), "rsa"]], "failed to verify ed25519 signature of twin '42'"],
    ["originator not among the requests", doc([{ twin_id: 43, weight: 1 }], 1), (h) => [[43, b.sign(h), "sr25519"]], "originator twin id '42' must be in the signature requests"],
    ["weight not reached", doc([{ twin_id: 42, weight: 2 }, { twin_id: 43, weight: 3 }], 6), (h) => [[42, a.sign(h), "ed25519"], [43, b.sign(h), "sr25519"]], "required signature weight is not reached (5 < 6)"],
  ];
  for (const [what, o, sigs, reason] of cases) {
    const h = nodeHash(o);
    const r = await verifyDeployment(signed(o, sigs(h)), keys);
    assert.is(r.ok, false, what);
    assert.is(r.hash, hex(h), `${what}: hash`);
    if (!r.ok) assert.ok(r.reason.startsWith(reason), `${what}: got "${r.reason}"`);
  }
});

test("the weight reached exactly is enough; an unsigned required originator is refused even when marked optional", async () => {
  const o = doc([{ twin_id: 42, weight: 2, required: false }, { twin_id: 43, weight: 3 }], 5);
  const h = nodeHash(o);
  assert.ok((await verifyDeployment(signed(o, [[42, a.sign(h), "ed25519"], [43, b.sign(h), "sr25519"]]), keys)).ok);
  const r = await verifyDeployment(signed(o, [[43, b.sign(h), "sr25519"]]), keys);
  assert.ok(!r.ok && r.reason === "missing required signature for twin '42'", JSON.stringify(r));
});

test("polka-wallet style: the signed message is <Bytes>hex</Bytes> for sr25519 too", async () => {
  const o = doc([{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 1 }], 2, [zmount], "polka-wallet");
  const h = nodeHash(o);
  const msg = new TextEncoder().encode(`<Bytes>${hex(h)}</Bytes>`);
  assert.equal(await verifyDeployment(signed(o, [[42, a.sign(msg), "ed25519"], [43, b.sign(msg), "sr25519"]]), keys), { ok: true, hash: hex(h), rendering: "node" });
  assert.not.ok((await verifyDeployment(signed(o, [[42, a.sign(h), "ed25519"], [43, b.sign(h), "sr25519"]]), keys)).ok);
});

test("clientChallenge: a second rendering only for a network-light without a WireGuard port", () => {
  const parse = (o: Doc) => parseDeployment(JSON.stringify(o));
  const req = [{ twin_id: 42, weight: 1 }];
  assert.is(clientChallenge(parse(doc(req, 1))), null, "no network-light");
  assert.is(clientChallenge(parse(doc(req, 1, [light(3090)]))), null, "network-light with a port");
  const d = parse(doc(req, 1, [zmount, light()]));
  const alt = clientChallenge(d)!;
  const node = challenge(d);
  assert.type(alt, "string");
  // the same text but the port: the node writes "0", the client nothing
  assert.is(node, "342meta-xdesc-y0" + "0dzmount" + "1" + "0lightnetnetwork-lightmwl desc10.30.0.0/1610.30.4.0/24" + "0" + "0f".repeat(32) + "42false11");
  assert.is(alt, "342meta-xdesc-y0" + "0dzmount" + "1" + "0lightnetnetwork-lightmwl desc10.30.0.0/1610.30.4.0/24" + "" + "0f".repeat(32) + "42false11");
  // the signature style closes the text (what makes a polka-wallet signature differ from a plain one)
  assert.is(challenge(parse(doc(req, 1, [zmount], "polka-wallet"))), "342meta-xdesc-y0" + "0dzmount" + "1" + "42false11polka-wallet");
});

test("the client's rendering is accepted only when the node's is not, and answers with the client's hash", async () => {
  const o = doc([{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 1 }], 2, [light()]);
  const d0 = parseDeployment(JSON.stringify(o));
  const nodeH = md5(challenge(d0));
  const clientH = md5(clientChallenge(d0)!);
  const byClient = await verifyDeployment(signed(o, [[42, a.sign(clientH), "ed25519"], [43, b.sign(clientH), "sr25519"]]), keys);
  assert.equal(byClient, { ok: true, hash: hex(clientH), rendering: "client" });
  const byNode = await verifyDeployment(signed(o, [[42, a.sign(nodeH), "ed25519"], [43, b.sign(nodeH), "sr25519"]]), keys);
  assert.equal(byNode, { ok: true, hash: hex(nodeH), rendering: "node" });
  // mixed (one twin per rendering) verifies under neither: refused with the node's hash and the node's reason
  const mixed = await verifyDeployment(signed(o, [[42, a.sign(nodeH), "ed25519"], [43, b.sign(clientH), "sr25519"]]), keys);
  assert.equal(mixed, { ok: false, hash: hex(nodeH), reason: "failed to verify sr25519 signature of twin '43'" });
  // a deployment without such a workload has no second chance: a signature over some other text is refused
  const z = doc([{ twin_id: 42, weight: 1 }], 1);
  const other = md5(challenge(parseDeployment(JSON.stringify(z))).replace("dzmount", "dzmounT"));
  const r = await verifyDeployment(signed(z, [[42, a.sign(other), "ed25519"]]), keys);
  assert.equal(r, { ok: false, hash: hex(nodeHash(z)), reason: "failed to verify ed25519 signature of twin '42'" });
});

test.run();
