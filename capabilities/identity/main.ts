// The identity driver: opens (or creates once) the node's seed file, its only argument, and never lets
// the seed out. Grants:
//   identity  {"signers"?: ["chain"|"rmb"|"deployment", ...]}  public identity + verifier; signer(p)
//             only for the purposes listed (default none: a public-only view)
//   signer    {"purpose": "chain"|"rmb"|"deployment"}          one purpose-scoped Signer
// Unknown restriction keys are refused (fail closed).
import "../../modules/node/no-env.ts"; // first: no environment in the sandbox
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";
import {
  Identity$Server, KeyType, Purpose as PurposeEnum, Signer$Server, Verifier$Server,
} from "../schema/gen/identity.ts";
import { startProcess } from "../lib/guest/process.ts";
import { NodeIdentity, PURPOSES, type Purpose } from "./mod.ts";

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

function signerCap(purpose: Purpose): Signer$Server {
  const s = identity.signer(purpose);
  return new Signer$Server({
    publicKey(_p, r) {
      r._initPublicKey(32).copyBuffer(s.publicKey);
      r.keyType = KeyType.ED25519;
      return Promise.resolve();
    },
    async sign(p, r) {
      const sig = await s.sign(new Uint8Array(p.payload.toUint8Array()));
      r._initSignature(sig.length).copyBuffer(sig);
    },
  });
}

function identityCap(restrictions: Record<string, unknown>): Identity$Server {
  checkKeys("identity", restrictions, ["signers"]);
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
      r.signer = signerCap(purpose).client();
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
      checkKeys("signer", r, ["purpose"]);
      return signerCap(purposeOf(r.purpose, "restrictions.purpose"));
    },
  },
});
