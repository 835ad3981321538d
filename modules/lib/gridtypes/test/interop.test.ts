// Interop with the official TS client: deployments built and signed by @threefold/grid_client
// 2.9.2 must hash and verify here as on a Zero-OS node; tampered copies and wrong keys must fail.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { challengeHash, clientChallenge, parseDeployment, validateDeployment, verifyDeployment, type TwinKeys } from "../mod.ts";
import { createHash } from "node:crypto";
import { lightDeployment, loadSdk, type Signer, storageGatewayDeployment, vmDeployment } from "./sdk.ts";

// @polkadot packages warn on stderr when two copies are loaded (grid_client brings its own); the
// warnings are expected here and would bury the test output
console.warn = () => {};

const signers: Signer[] = [
  { twin: 42, secret: "0x" + "11".repeat(32), type: "ed25519" },
  { twin: 43, secret: "0x" + "22".repeat(32), type: "sr25519" },
  { twin: 44, secret: "0x" + "33".repeat(32), type: "ed25519" },
  { twin: 45, secret: "bottom drive obey lake curtain smoke basket hold race lonely fit walk//zos", type: "sr25519" },
];

async function keysFor(list: Signer[]): Promise<TwinKeys> {
  const sdk = await loadSdk();
  const m = new Map<number, Uint8Array>();
  for (const s of list) m.set(s.twin, await sdk.publicKey(s));
  return { getKey: (t) => m.get(t) ?? Promise.reject(new Error(`unknown twin ${t}`)) };
}

// deno-lint-ignore no-explicit-any
async function signAll(d: any, list: Signer[]): Promise<string> {
  for (const s of list) await d.sign(s.twin, s.secret, s.type);
  return JSON.stringify(d);
}

function md5hex(s: string): string {
  return createHash("md5").update(s, "utf8").digest("hex");
}

test("vm deployment (every full type, unicode, env, mounts, mycelium, gpu): hash and ed25519 signature agree", async () => {
  const sdk = await loadSdk();
  const d = vmDeployment(sdk, 42);
  const json = await signAll(d, [signers[0]]);
  const ours = parseDeployment(json);
  assert.is(challengeHash(ours), d.challenge_hash());
  const r = await verifyDeployment(ours, await keysFor(signers));
  assert.equal(r, { ok: true, hash: d.challenge_hash(), rendering: "node" });
  // the node hashes and verifies a unicode workload name but its validation rejects it
  assert.throws(() => validateDeployment(ours), /workload 'net_ü' \(network\): name: .*letters/);
  const ascii = JSON.parse(json);
  ascii.workloads[0].name = "net_u";
  ascii.workloads[4].data.network.interfaces[0].network = "net_u";
  validateDeployment(parseDeployment(JSON.stringify(ascii)));
});

test("each sdk-built single workload hashes the same (sr25519 signer)", async () => {
  const sdk = await loadSdk();
  const full = vmDeployment(sdk, 43);
  const keys = await keysFor(signers);
  for (const w of full.workloads) {
    const d = new sdk.gc.DeploymentFactory({ twinId: 43 }).create([w], 0, "", "", 0);
    const ours = parseDeployment(await signAll(d, [signers[1]]));
    assert.is(challengeHash(ours), d.challenge_hash(), `type ${w.type}`);
    const r = await verifyDeployment(ours, keys);
    assert.ok(r.ok, `type ${w.type}: ${JSON.stringify(r)}`);
  }
});

test("network-light without wireguard port: node hash differs, the client's rendering is accepted", async () => {
  const sdk = await loadSdk();
  const d = lightDeployment(sdk, 43);
  const ours = parseDeployment(await signAll(d, [signers[1]]));
  validateDeployment(ours);
  assert.is.not(challengeHash(ours), d.challenge_hash());
  assert.is(md5hex(clientChallenge(ours)!), d.challenge_hash());
  const r = await verifyDeployment(ours, await keysFor(signers));
  assert.equal(r, { ok: true, hash: d.challenge_hash(), rendering: "client" });
});

test("zdb, qsfs and gateways with four signers (ed25519 + sr25519, mnemonic with derivation), weights", async () => {
  const sdk = await loadSdk();
  const d = storageGatewayDeployment(sdk, signers.map((s) => s.twin));
  const json = await signAll(d, signers);
  const ours = parseDeployment(json);
  assert.is(challengeHash(ours), d.challenge_hash());
  validateDeployment(ours);
  const keys = await keysFor(signers);
  assert.ok((await verifyDeployment(ours, keys)).ok);

  // one signer missing: every request must be satisfied, even a non-required one
  const partial = JSON.parse(json);
  partial.signature_requirement.signatures = partial.signature_requirement.signatures.filter((s: { twin_id: number }) => s.twin_id !== 44);
  const r = await verifyDeployment(parseDeployment(JSON.stringify(partial)), keys);
  assert.ok(!r.ok && /twin '44'/.test(r.reason), JSON.stringify(r));
});

test("tampered copies and wrong keys are rejected", async () => {
  const sdk = await loadSdk();
  const keys = await keysFor(signers);
  const d = vmDeployment(sdk, 44);
  const json = await signAll(d, [signers[2]]);
  // deno-lint-ignore no-explicit-any
  const tampers: ((o: Record<string, any>) => void)[] = [
    (o) => (o.metadata += "x"),
    (o) => (o.workloads[4].data.compute_capacity.cpu = 4),
    (o) => (o.workloads[4].data.env.alpha = "b"),
    (o) => (o.workloads[0].data.subnet = "10.20.9.0/24"),
    (o) => (o.workloads[1].data.size += 1),
    (o) => (o.workloads[4].name = "vm_2"),
    (o) => (o.signature_requirement.weight_required = 0),
    (o) => (o.signature_requirement.signature_style = "polka-wallet"),
    (o) => (o.expiration = 1),
    (o) => o.workloads.reverse(),
    (o) => {
      const s = o.signature_requirement.signatures[0];
      s.signature = (s.signature[0] === "0" ? "1" : "0") + s.signature.slice(1);
    },
    (o) => (o.signature_requirement.signatures[0].signature_type = "sr25519"),
  ];
  for (const [i, t] of tampers.entries()) {
    const o = JSON.parse(json);
    t(o);
    const r = await verifyDeployment(parseDeployment(JSON.stringify(o)), keys);
    assert.not.ok(r.ok, `tamper #${i} was accepted`);
  }
  // contract_id is not hashed: changing it keeps the signature valid (as on the node)
  const o = JSON.parse(json);
  o.contract_id = 99;
  assert.ok((await verifyDeployment(parseDeployment(JSON.stringify(o)), keys)).ok);
  // wrong key for the twin
  const wrong: TwinKeys = { getKey: async (t) => (t === 44 ? await sdk.publicKey(signers[0]) : keys.getKey(t)) };
  const r = await verifyDeployment(parseDeployment(json), wrong);
  assert.not.ok(r.ok);
  // unknown twin
  const none: TwinKeys = { getKey: () => Promise.reject(new Error("twin not found on chain")) };
  const r2 = await verifyDeployment(parseDeployment(json), none);
  assert.ok(!r2.ok && /failed to get public key for twin '44'/.test(r2.reason));
});

test("the deprecated ipv4 type cannot be built by grid_client 2.9.2 (SDK.md); the node still hashes it", async () => {
  const sdk = await loadSdk();
  const w = new sdk.gc.Workload();
  const root = (await import("node:path")).dirname((await import("node:module")).createRequire(import.meta.url).resolve("@threefold/grid_client"));
  const { PublicIPv4 } = (await import("node:module")).createRequire(import.meta.url)(root + "/zos/ipv4.js");
  assert.throws(() => (w.data = new PublicIPv4()));
  const d = parseDeployment(JSON.stringify({ version: 0, twin_id: 42, workloads: [{ version: 0, name: "ip4", type: "ipv4", data: {} }] }));
  assert.is(challengeHash(d), md5hex("0420" + "0ip4ipv4" + "0"));
});

test("light deployment tampered: neither rendering accepted", async () => {
  const sdk = await loadSdk();
  const d = lightDeployment(sdk, 43);
  const o = JSON.parse(await signAll(d, [signers[1]]));
  o.workloads[0].data.subnet = "10.30.5.0/24";
  const r = await verifyDeployment(parseDeployment(JSON.stringify(o)), await keysFor(signers));
  assert.not.ok(r.ok);
});

test.run();
