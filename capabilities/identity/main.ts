// The identity driver: opens (or creates once) the node's seed file, its only argument, and never lets
// the seed out. Grants:
//   identity  {"signers"?: ["chain"|"rmb"|"deployment", ...], "calls"?: [...]}  public identity + verifier;
//             signer(p) only for the purposes listed (default none: a public-only view)
//   signer    {"purpose": "chain"|"rmb"|"deployment", "calls"?: ["tfgridModule.createNode", ...]}
//             one purpose-scoped Signer. None signs raw bytes: chain signs only extrinsic payloads that
//             decode with TFChain's metadata and whose calls are in "calls" (default none); rmb signs only
//             envelopes (it computes the challenge) and relay JWTs, and gives the e2e secret; deployment
//             signs nothing yet. A method of another purpose is refused.
// Unknown restriction keys are refused (fail closed).
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";
import {
  Identity$Server, KeyType, Purpose as PurposeEnum, Signer$Server, Verifier$Server,
} from "../schema/gen/identity.ts";
import { startProcess } from "../lib/guest/process.ts";
import { NodeIdentity, PURPOSES, type Purpose } from "./identity.ts"; // not mod.ts: it loads @polkadot/types (tfchain-registry.ts)
import { decodeEnvelope } from "../rmb/envelope.ts";

const seedPath = process.argv[2];
if (!seedPath) {
  console.error("identity: usage: identity/main.ts <seed file>");
  process.exit(2);
}

const PURPOSE_BY_ENUM: Record<number, Purpose> = {
  [PurposeEnum.CHAIN]: "chain",
  [PurposeEnum.RMB]: "rmb",
  [PurposeEnum.DEPLOYMENT]: "deployment",
};

function checkKeys(cap: string, r: Record<string, unknown>, known: string[]): void {
  for (const k of Object.keys(r)) {
    if (!known.includes(k)) throw new Error(`denied: identity: unknown restriction "${k}" on ${cap} (known: ${known.join(", ") || "none"})`);
  }
}

function purposeOf(v: unknown, where: string): Purpose {
  if (typeof v !== "string" || !(PURPOSES as readonly string[]).includes(v)) {
    throw new Error(`denied: identity: ${where} must be one of ${PURPOSES.join(", ")} (got ${JSON.stringify(v)})`);
  }
  return v as Purpose;
}

mkdirSync(dirname(seedPath), { recursive: true, mode: 0o700 });
const { identity, created } = await NodeIdentity.open(seedPath);
console.error(`identity: node ${identity.publicIdentity().address}${created ? " (new seed)" : ""}`);

function callsOf(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((c) => typeof c !== "string")) {
    throw new Error(`denied: identity: ${where} must be a list of "section.method" calls`);
  }
  return v as string[];
}

function signerCap(purpose: Purpose, calls: string[]): Signer$Server {
  const pub = identity.publicIdentity().publicKey;
  const chain = purpose === "chain" ? identity.chainSigner(calls) : null;
  const rmb = purpose === "rmb" ? identity.rmbSigner() : null;
  const wrong = (method: string, needs: Purpose) =>
    new Error(`denied: identity: ${method} needs a "${needs}" signer; this one is for "${purpose}"`);
  return new Signer$Server({
    publicKey(_p, r) {
      r._initPublicKey(32).copyBuffer(pub);
      r.keyType = KeyType.ED25519;
      return Promise.resolve();
    },
    async signExtrinsic(p, r) {
      if (!chain) throw wrong("signExtrinsic", "chain");
      const sig = await chain.signExtrinsic(new Uint8Array(p.payload.toUint8Array()));
      r._initSignature(sig.length).copyBuffer(sig);
    },
    async signEnvelope(p, r) {
      if (!rmb) throw wrong("signEnvelope", "rmb");
      let env;
      try {
        env = decodeEnvelope(new Uint8Array(p.envelope.toUint8Array()));
      } catch (err) {
        throw new Error(`denied: identity: not an RMB envelope (${(err as Error).message})`);
      }
      const sig = await rmb.signEnvelope(env);
      r._initSignature(sig.length).copyBuffer(sig);
    },
    async signJwt(p, r) {
      if (!rmb) throw wrong("signJwt", "rmb");
      r.token = await rmb.signJwt({
        sub: p.twinId,
        iat: Number(p.iat),
        exp: Number(p.exp),
        ...(p.sid ? { sid: p.sid } : {}),
      });
    },
    async e2eSecret(_p, r) {
      if (!rmb) throw wrong("e2eSecret", "rmb");
      const secret = await rmb.e2eSecret();
      r._initSecret(secret.length).copyBuffer(secret);
    },
  });
}

function identityCap(restrictions: Record<string, unknown>): Identity$Server {
  checkKeys("identity", restrictions, ["signers", "calls"]);
  const calls = callsOf(restrictions.calls, "restrictions.calls");
  const raw = restrictions.signers ?? [];
  if (!Array.isArray(raw)) throw new Error("denied: identity: restrictions.signers must be a list of purposes");
  const allowed = new Set(raw.map((v, i) => purposeOf(v, `signers[${i}]`)));
  return new Identity$Server({
    publicIdentity(_p, r) {
      const pub = identity.publicIdentity();
      const out = r._initIdentity();
      out._initPublicKey(32).copyBuffer(pub.publicKey);
      out.address = pub.address;
      out.nodeId = pub.nodeId;
      out.keyType = KeyType.ED25519;
      return Promise.resolve();
    },
    signer(p, r) {
      const purpose = PURPOSE_BY_ENUM[p.purpose];
      if (!purpose || !allowed.has(purpose)) {
        throw new Error(`denied: identity: this grant may not sign for "${purpose ?? p.purpose}" (allowed: ${[...allowed].join(", ") || "none"})`);
      }
      r.signer = signerCap(purpose, calls).client();
      return Promise.resolve();
    },
    verifier(_p, r) {
      r.verifier = new Verifier$Server({
        verify(q, res) {
          res.valid = identity.verify(new Uint8Array(q.payload.toUint8Array()), new Uint8Array(q.signature.toUint8Array()));
          return Promise.resolve();
        },
      }).client();
      return Promise.resolve();
    },
  });
}

startProcess({
  provide: {
    identity: (r) => identityCap(r),
    signer: (r) => {
      checkKeys("signer", r, ["purpose", "calls"]);
      return signerCap(purposeOf(r.purpose, "restrictions.purpose"), callsOf(r.calls, "restrictions.calls"));
    },
  },
});
