// The gateway's internal certificate authority, as Caddy's `internal` issuer does it: an ECDSA P-256 root
// made once per node, and a short-lived leaf per route host signed by it. Clients of a dev grid trust the
// root (`ca.pem`); ACME needs the internet, which nodes here never reach. Pure TypeScript over node:crypto
// (the image ships no openssl): a minimal DER writer for exactly the fields a v3 certificate needs.
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";

const tlv = (tag: number, body: Uint8Array): Uint8Array => {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
};
const seq = (...items: Uint8Array[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Uint8Array[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, body: Uint8Array) => tlv(0xa0 + n, body);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (b: Uint8Array) => tlv(0x04, b);
const bits = (b: Uint8Array, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const integer = (b: Uint8Array) => tlv(0x02, b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);

function oid(text: string): Uint8Array {
  const p = text.split(".").map(Number);
  const out = [40 * p[0] + p[1]];
  for (const v of p.slice(2)) {
    const chunk = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift((x & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Uint8Array {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z"; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const name = (cn: string) => seq(set(seq(oid("2.5.4.3"), utf8(cn))));
const ext = (id: string, critical: boolean, value: Uint8Array) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

interface Issue {
  subject: string;
  publicKey: KeyObject;
  issuer: string;
  issuerKey: KeyObject;
  days: number;
  ca: boolean;
  dnsNames: string[];
}

function certificate(o: Issue): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  const now = Date.now();
  const spki = o.publicKey.export({ type: "spki", format: "der" });
  const extensions = o.ca
    ? [ext("2.5.29.19", true, seq(bool(true))), ext("2.5.29.15", true, bits(Buffer.from([0x06]), 1))]
    : [
      ext("2.5.29.19", true, seq()),
      ext("2.5.29.15", true, bits(Buffer.from([0x80]), 7)),
      ext("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))),
      ext("2.5.29.17", false, seq(...o.dnsNames.map((n) => tlv(0x82, Buffer.from(n, "ascii"))))),
    ];
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(o.issuer),
    seq(time(new Date(now - 60_000)), time(new Date(now + o.days * 86_400_000))),
    name(o.subject),
    spki,
    explicit(3, seq(...extensions)),
  );
  const signature = sign("sha256", tbs, { key: o.issuerKey, dsaEncoding: "der" });
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

const newKey = () => generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const pkcs8 = (k: KeyObject) => k.export({ type: "pkcs8", format: "pem" }).toString();

export const CA_NAME = "zos-ts gateway local authority";

/** A fresh root: 10 years, CA:TRUE, keyCertSign. */
export function makeRoot(): KeyPair {
  const { privateKey, publicKey } = newKey();
  return { certPem: certificate({ subject: CA_NAME, publicKey, issuer: CA_NAME, issuerKey: privateKey, days: 3650, ca: true, dnsNames: [] }), keyPem: pkcs8(privateKey) };
}

/** A serverAuth leaf for `host` signed by the root (`days` short, as Caddy's internal leaves). */
export function issueLeaf(root: KeyPair, host: string, days = 7): KeyPair {
  const { privateKey, publicKey } = newKey();
  const issuerKey = createPrivateKey(root.keyPem);
  createPublicKey(root.certPem); // fails early on a corrupt root
  return { certPem: certificate({ subject: host, publicKey, issuer: CA_NAME, issuerKey, days, ca: false, dnsNames: [host] }), keyPem: pkcs8(privateKey) };
}
