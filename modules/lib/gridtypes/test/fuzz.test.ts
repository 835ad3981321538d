// Bad input: ≥ 10,000 generated and mutated deployment documents (seeded; the seed is printed and
// FUZZ_SEED=<n> reproduces a run). Each must be decoded, hashed, validated and verified without a
// crash or hang: every rejection is a DeploymentError with a clear message, and the engine's store is
// unchanged by every rejected deploy.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { challengeHash, DeploymentError, parseDeployment, validateDeployment, verifyDeployment } from "../mod.ts";
import { Engine } from "../../../provision/engine.ts";
import { MemoryStore } from "../../../provision/store.ts";
import { ChainContracts, fixedCapacity, keysOf, twinFromSeed } from "../../../provision/test/fixtures.ts";

const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() % 1_000_000));
console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} reproduces this run)`);
let state = SEED >>> 0 || 1;
function rnd(n: number): number {
  // xorshift32
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state % n;
}
const pick = <T>(a: readonly T[]): T => a[rnd(a.length)];

const owner = twinFromSeed(42, 5);
const keys = keysOf([owner]);

const templates: [string, unknown][] = [
  ["network", { ip_range: "10.1.0.0/16", subnet: "10.1.1.0/24", wireguard_private_key: "k", wireguard_listen_port: 3000, peers: [{ subnet: "10.1.2.0/24", wireguard_public_key: "p", allowed_ips: ["10.1.2.0/24"], endpoint: "1.2.3.4:5" }], mycelium: { hex_key: "ab".repeat(32), peers: [] } }],
  ["network-light", { subnet: "10.2.1.0/24", ip_range: "10.2.0.0/16", mycelium: { hex_key: "cd".repeat(32), peers: [] } }],
  ["ip", { v4: true, v6: false }],
  ["ipv4", {}],
  ["zmount", { size: 1073741824 }],
  ["volume", { size: 1073741824 }],
  ["zmachine", { flist: "https://hub/x.flist", network: { public_ip: "", planetary: true, interfaces: [{ network: "n", ip: "10.1.1.2" }], mycelium: { network: "n", hex_seed: "aabbccddeeff" } }, size: 0, compute_capacity: { cpu: 2, memory: 2147483648 }, mounts: [{ name: "d", mountpoint: "/d" }], entrypoint: "/init", env: { A: "1", b: "ü" }, corex: false, gpu: [] }],
  ["zmachine-light", { flist: "https://hub/x.flist", network: { interfaces: [{ network: "n", ip: "10.1.1.3" }] }, compute_capacity: { cpu: 1, memory: 1073741824 }, env: {} }],
  ["zdb", { size: 1073741824, mode: "user", password: "p", public: false }],
  ["qsfs", { cache: 1, config: { minimal_shards: 2, expected_shards: 4, encryption: { algorithm: "AES", key: "00".repeat(32) }, meta: { type: "zdb", config: { prefix: "p", encryption: { algorithm: "AES", key: "11".repeat(32) }, backends: [{ address: "[::1]:9900", namespace: "n", password: "p" }] } }, groups: [{ backends: [] }], compression: { algorithm: "snappy" } } }],
  ["zlogs", { zmachine: "w6", output: "redis://1.2.3.4" }],
  ["gateway-name-proxy", { name: "site", tls_passthrough: false, backends: ["http://1.2.3.4:80"] }],
  ["gateway-fqdn-proxy", { fqdn: "a.example.com", tls_passthrough: true, backends: ["1.2.3.4:443"], network: "n" }],
];

function generate(): Record<string, unknown> {
  const n = 1 + rnd(5);
  const workloads = [];
  for (let i = 0; i < n; i++) {
    const [type, data] = pick(templates);
    workloads.push({ version: 0, name: `w${rnd(8)}`, type, data: structuredClone(data), metadata: pick(["", "m", "ü", "{\"a\":1}"]), description: "" });
  }
  return {
    version: 0,
    twin_id: 42,
    contract_id: 1 + rnd(1000),
    metadata: "",
    description: "",
    expiration: pick([0, 1626394539, "2024-01-01T00:00:00Z"]),
    workloads,
    signature_requirement: { requests: [{ twin_id: 42, required: false, weight: 1 }], weight_required: 1, signatures: [], signature_style: pick(["", "", "polka-wallet"]) },
  };
}

const weird: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e400, "", "x", "10.0.0.1", "::ffff:1.2.3.4/120", "zz", "0".repeat(500), [], [null], {}, { a: 1 },
  "\u0000", "\ud800", "🚀".repeat(50), 4294967296, 256, 65536,
];

function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === "object") for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...prefix, k], out);
  return out;
}

function mutateValue(doc: Record<string, unknown>): void {
  const all = paths(doc).filter((p) => p.length > 0);
  const p = pick(all);
  let parent: Record<string | number, unknown> = doc as Record<string, unknown>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = p[p.length - 1];
  switch (rnd(4)) {
    case 0:
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      break;
    case 1:
      parent[last] = structuredClone(pick(weird));
      break;
    case 2:
      if (!Array.isArray(parent) && typeof last === "string") {
        const v = parent[last];
        delete parent[last];
        parent[rnd(2) ? last.toUpperCase() : last.replace(/^./, (c) => c.toUpperCase())] = v;
      }
      break;
    default:
      if (typeof parent[last] === "string") parent[last] = (parent[last] as string) + pick(["/", ".", ":", "ff", " ", "%eth0", "0"]);
      else if (typeof parent[last] === "number") parent[last] = (parent[last] as number) * pick([-1, 2 ** 40, 0, 1.5]);
  }
}

function mutateText(t: string): string {
  switch (rnd(7)) {
    case 6:
      // the sr25519 path with signature bytes that were made for ed25519 (or are garbage)
      return t.replace(/"signature_type":"ed25519"/, `"signature_type":"sr25519"`).replace(/"signature":"[0-9a-f]{4}/, `"signature":"${pick(["ffff", "0000", "zz12", ""])}`);
    case 0:
      return t.slice(0, rnd(t.length + 1));
    case 1: {
      const i = rnd(t.length);
      return t.slice(0, i) + pick(["{", "}", "[", "]", ",", ":", '"', "\\", "\\u12", "-", "0", "e", "\u0001", "\ufeff"]) + t.slice(i + 1);
    }
    case 2:
      return t.replace(/"size":\d+/, `"size":${pick(["18446744073709551616", "-0", "1e3", "01", "18446744073709551615", "9007199254740993"])}`);
    case 3:
      return t.replace(/"version":0/, `"version":0,"VERSION":${pick(["1", "null", "\"0\"", "4294967295"])}`);
    case 4:
      return "[".repeat(rnd(3000)) + t;
    default:
      return t.replace(/"twin_id":42/, `"twin_id":42,"Twin_ID":${pick(["43", "-1", "1.0", "true"])}`);
  }
}

function sign(o: Record<string, unknown>): string {
  const text = JSON.stringify(o);
  try {
    const d = parseDeployment(text);
    const h = challengeHash(d);
    const msg = d.signature_requirement.signature_style === "polka-wallet" ? new TextEncoder().encode(`<Bytes>${h}</Bytes>`) : new Uint8Array(Buffer.from(h, "hex"));
    const sr = o.signature_requirement as Record<string, unknown> | undefined;
    if (sr && typeof sr === "object") sr.signatures = [{ twin_id: 42, signature: owner.sign(msg), signature_type: "ed25519" }];
    return JSON.stringify(o);
  } catch {
    return text;
  }
}

function clear(e: unknown, doc: string): void {
  if (!(e instanceof DeploymentError)) {
    throw new Error(`non-DeploymentError ${(e as Error)?.name}: ${(e as Error)?.stack ?? e}\ninput: ${doc.slice(0, 400)}`);
  }
  const m = e.message;
  assert.ok(m.length > 5 && !m.includes("undefined") && !m.includes("[object"), `unclear error "${m}"`);
}

test("10,000+ generated and mutated documents: no crash, no hang, clear errors, no state change", async () => {
  const store = new MemoryStore();
  const chain = new ChainContracts();
  const engine = await Engine.open({ store, keys, contracts: chain, managers: new Map(), capacity: fixedCapacity(64) });
  // no commit at all may happen for a rejected deploy; the full content is compared now and then
  const fingerprint = () => `${store.commits}/${store.data.size}`;
  const full = () => createHash("md5").update(JSON.stringify([...store.data])).digest("hex");
  let docs = 0;
  let accepted = 0;
  let rejected = 0;
  const started = Date.now();
  const N = 12000;
  for (let i = 0; i < N; i++) {
    const o = generate();
    const kind = rnd(10);
    let text: string;
    if (kind < 5) {
      for (let k = 1 + rnd(3); k > 0; k--) mutateValue(o);
      text = rnd(2) ? sign(o) : JSON.stringify(o);
    } else if (kind < 9) {
      text = mutateText(sign(o));
    } else {
      text = sign(o);
    }
    const t0 = Date.now();
    docs++;
    // the pure library: decode, hash, validate, verify
    try {
      const d = parseDeployment(text);
      try {
        assert.match(challengeHash(d), /^[0-9a-f]{32}$/);
        const r = await verifyDeployment(d, keys);
        if (!r.ok) assert.ok(r.reason.length > 5 && !r.reason.includes("undefined"), r.reason);
      } catch (e) {
        clear(e, text);
      }
      try {
        validateDeployment(d);
      } catch (e) {
        clear(e, text);
      }
    } catch (e) {
      clear(e, text);
    }
    // the engine, every 4th document: a rejected deploy changes nothing
    if (i % 4 === 0) {
      const before = fingerprint();
      const beforeFull = i % 400 === 0 ? full() : "";
      try {
        await engine.deploy(text);
        accepted++;
      } catch (e) {
        clear(e, text);
        rejected++;
        assert.is(fingerprint(), before, `rejected input changed the store: ${text.slice(0, 200)}`);
        if (beforeFull) assert.is(full(), beforeFull);
      }
    }
    const dt = Date.now() - t0;
    assert.ok(dt < 2000, `document ${i} took ${dt} ms: ${text.slice(0, 200)}`);
  }
  const ms = Date.now() - started;
  console.log(`fuzz: ${docs} documents in ${ms} ms; engine accepted ${accepted}, rejected ${rejected}`);
  assert.ok(docs >= 10000);
  assert.ok(accepted > 0 && rejected > 0, "both paths exercised");
});

test.run();
