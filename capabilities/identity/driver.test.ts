// The identity driver as the kernel hosts it (issue 18, attack 4): a module granted the rmb-purpose signer
// (what the rmb driver holds) cannot get a chain extrinsic, nor any bytes of its choosing, signed; the
// chain-purpose signer signs only its allow-listed calls. Over real Cap'n Proto RPC through the membrane.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expandMetadata } from "@polkadot/types";
import { ed25519Verify } from "@polkadot/util-crypto";
import { type KernelHandle, startKernel } from "../../kernel/mod.ts";
import { NODE_MANIFEST } from "../../modules/node.ts";
import { challenge } from "../rmb/challenge.ts";
import type { Envelope } from "../rmb/envelope.ts";
import { Signer$Client } from "../schema/gen/identity.ts";
import { remoteExtrinsicSigner, remoteRmbSigner, type UseCap } from "./remote-signer.ts";
import { tfchain } from "./tfchain-registry.ts";

const t = suite("identity driver: attenuated signers through the kernel");
const dir = mkdtempSync(join(tmpdir(), "zt-rmbhard-identity-"));
let kernel: KernelHandle;
const grant = (name: string): UseCap => (fn) => kernel.kernel.grantFor("holder", name).then(fn);

const { registry, metadata } = tfchain();
const tx = expandMetadata(registry, metadata).tx;
function payload(call: { toHex(): string }): Uint8Array {
  return registry.createType("ExtrinsicPayload", {
    method: call.toHex(), era: "0x00", nonce: 0, tip: 0, specVersion: 147, transactionVersion: 2,
    genesisHash: "0x" + "22".repeat(32), blockHash: "0x" + "22".repeat(32),
  }, { version: 4 }).toU8a({ method: true });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("the identity driver signed what it must refuse");
}

t.before(async () => {
  const node = JSON.parse(readFileSync(NODE_MANIFEST, "utf8").replace(/^\s*\/\/.*$/gm, ""));
  const manifest = {
    version: 1,
    root: join(NODE_MANIFEST, "..", ".."),
    description: "identity driver.test.ts: the node's identity driver and the signer grants of chain and rmb",
    processes: {
      identity: node.processes.identity,
      holder: {
        kind: "module",
        entry: "modules/registrar/test/grant-holder.ts",
        grants: { "chain-signer": node.processes.chain.grants.signer, "rmb-signer": node.processes.rmb.grants.signer },
      },
    },
  };
  const path = join(dir, "manifest.json");
  writeFileSync(path, JSON.stringify(manifest, null, 2));
  kernel = await startKernel({ manifest: path, stateDir: join(dir, "state"), bootTimeoutMs: 60_000, vars: {} }).catch((e) => {
    console.error(`kernel did not start: ${(e as Error).message}`);
    throw e;
  });
});

t.after(async () => {
  await kernel?.stop(10_000);
  rmSync(dir, { recursive: true, force: true });
});

t("the rmb signer signs the challenge it computes, and refuses extrinsics", async () => {
  const rmb = await remoteRmbSigner(grant("rmb-signer"));
  const env: Envelope = { uid: "u-1", timestamp: 1, expiration: 60, source: { twin: 5 }, destination: { twin: 6 }, message: { kind: "request", command: "zos.system.version" }, relays: [] };
  const sig = await rmb.signEnvelope(env);
  assert.ok(ed25519Verify(challenge(env), sig.subarray(1), rmb.publicKey));
  assert.match(await rmb.signJwt({ sub: 5, iat: 100, exp: 160 }), /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.match(await refusal(rmb.signJwt({ sub: 5, iat: 100, exp: 100 + 86_400 })), /lifetime/);
  // the compromised-rmb-driver attack: ask for a transfer's signature through the rmb grant
  const transfer = payload(tx.balances.transfer("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", 10n ** 12n));
  const bytes = transfer;
  const asExtrinsic = await refusal(grant("rmb-signer")((c) =>
    new Signer$Client(c).signExtrinsic((p) => p._initPayload(bytes.length).copyBuffer(bytes)).promise()
  ));
  assert.match(asExtrinsic, /signExtrinsic needs a "chain" signer; this one is for "rmb"/);
  // and raw bytes dressed as an envelope are not an envelope
  const junk = new Uint8Array([0xff, 0xff, 0xff]);
  assert.match(await refusal(grant("rmb-signer")((c) =>
    new Signer$Client(c).signEnvelope((p) => p._initEnvelope(junk.length).copyBuffer(junk)).promise()
  )), /not an RMB envelope/);
});

t("the chain signer signs its allow-listed calls only, and nothing of the rmb purpose", async () => {
  const chain = await remoteExtrinsicSigner(grant("chain-signer"));
  const uptime = payload(tx.tfgridModule.reportUptimeV2(100, 200));
  assert.ok(ed25519Verify(uptime, await chain.signExtrinsic(uptime), chain.publicKey));
  const transfer = payload(tx.balances.transfer("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", 1));
  assert.match(await refusal(chain.signExtrinsic(transfer)), /balances\.transfer is not in this grant's allow-list/);
  assert.match(await refusal(chain.signExtrinsic(new Uint8Array(16))), /not a TFChain extrinsic payload/);
  assert.match(await refusal(grant("chain-signer")((c) => new Signer$Client(c).e2eSecret().promise())), /needs a "rmb" signer/);
});

t.run();
