// Differential test against Go itself: goref/main.go renders challenges, IPs and CIDRs with Go's
// standard library (encoding/json, net, fmt, sort, hex); the same generated inputs go through the
// TypeScript model; every rendering and every accept/reject decision must be identical.
// Needs the Go toolchain (Debian golang-go, listed in .ci/run). Seeded: GOREF_SEED=<n> reproduces.
//
// What this proves and what it does not. goref/main.go is NOT Zero-OS's pkg/gridtypes: it re-writes each
// workload's challenge by hand from ZOS-REFERENCE §3.3 (Zero-OS's module cannot be fetched at test time, and
// nothing is fetched that `npm ci` did not install). So it proves that wherever the rules are the Go
// runtime's (JSON decoding with case-insensitive keys and number ranges, net.ParseIP/ParseCIDR and their
// String(), fmt's %d/%x/%v, sort.Strings, invalid UTF-8), our TypeScript behaves as Go does, input by input.
// It does NOT prove the challenge rules themselves (which fields, in which order, with which separators):
// a misreading of §3.3 shared by main.go and the TypeScript passes here. Those rules are checked against an
// independent implementation by ThreeFold, @threefold/grid_client, whose challenge_hash() the node must
// reproduce byte for byte (interop.test.ts, node_e2e.test.ts, node.test.ts, where grid_client-signed
// deployments are hash-checked against tfchain contracts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { challenge, goIPNetString, goIPString, parseDeployment, parseGoIP, parseGoIPNet } from "../mod.ts";

const SEED = Number(process.env.GOREF_SEED ?? (Date.now() % 1_000_000));
console.log(`goref seed ${SEED} (GOREF_SEED=${SEED} reproduces this run)`);
let st = SEED >>> 0 || 7;
function rnd(n: number): number {
  st ^= st << 13;
  st >>>= 0;
  st ^= st >>> 17;
  st ^= st << 5;
  st >>>= 0;
  return st % n;
}
const pick = <T>(a: readonly T[]): T => a[rnd(a.length)];

const dir = mkdtempSync(join(tmpdir(), "zt-goref-"));
const bin = join(dir, "goref");

function buildGo(): void {
  const src = fileURLToPath(new URL("./goref/main.go", import.meta.url));
  const r = spawnSync("go", ["build", "-o", bin, src], {
    encoding: "utf8",
    env: { ...process.env, GOCACHE: join(dir, "cache"), GOPATH: join(dir, "gopath"), GO111MODULE: "off", GOFLAGS: "" },
  });
  if (r.error || r.status !== 0) {
    throw new Error(`cannot build the Go reference (is golang-go installed? .ci/run installs it): ${r.error?.message ?? r.stderr}`);
  }
}

type Req = { kind: "ip" | "cidr" | "deployment"; bytes: Uint8Array };

function runGo(reqs: Req[]): string[] {
  const input = reqs.map((r) => JSON.stringify({ kind: r.kind, b64: Buffer.from(r.bytes).toString("base64") })).join("\n") + "\n";
  // input from a file: piping a large input while the child fills its stdout pipe would deadlock
  const inFile = join(dir, "requests.jsonl");
  writeFileSync(inFile, input);
  const r = spawnSync(bin, [inFile], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.stdout.trim().split("\n").length !== reqs.length) throw new Error(`go reference answered ${r.stdout.trim().split("\n").length} of ${reqs.length}`);
  if (r.status !== 0) throw new Error(`go reference failed: ${r.stderr}`);
  return r.stdout.trim().split("\n");
}

const hexOf = (s: string) => Buffer.from(s, "utf8").toString("hex");

function ours(r: Req): string {
  const text = new TextDecoder().decode(r.bytes);
  if (r.kind === "ip") {
    const ip = parseGoIP(text);
    return ip ? "OK " + hexOf(goIPString(ip)) : "ERR";
  }
  if (r.kind === "cidr") {
    if (text === "") return "OK " + hexOf("<nil>");
    const n = parseGoIPNet(text);
    return n ? "OK " + hexOf(goIPNetString(n)) : "ERR";
  }
  try {
    return "OK " + hexOf(challenge(parseDeployment(r.bytes)));
  } catch {
    return "ERR";
  }
}

function randomIP(): string {
  const parts = [
    () => String(rnd(300)),
    () => "0" + rnd(10),
    () => rnd(0x10000).toString(16),
    () => rnd(0x10000).toString(16).toUpperCase(),
    () => "0",
    () => "",
    () => "ffff",
    () => "00" + rnd(16).toString(16),
    () => "12345",
  ];
  switch (rnd(5)) {
    case 0:
      return Array.from({ length: 3 + rnd(3) }, () => pick(parts.slice(0, 2))()).join(".");
    case 1:
      return Array.from({ length: 1 + rnd(9) }, () => pick(parts)()).join(":");
    case 2: {
      const a = Array.from({ length: rnd(4) }, () => pick(parts.slice(2))()).join(":");
      const b = Array.from({ length: rnd(4) }, () => pick(parts.slice(2))()).join(":");
      return `${a}::${b}`;
    }
    case 3:
      return `${pick(["::ffff:", "::", "1:2:3:4:5:6:", "64:ff9b::", "::1:", "1::2:"])}${rnd(256)}.${rnd(256)}.${pick(["0", "255", "01", String(rnd(300))])}.${rnd(256)}`;
    default:
      return pick(["::", "::1", "1::", "fe80::1%eth0", ":::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "0:0:0:0:0:0:0:0", "2001:db8:0:0:1:0:0:1", "::ffff:0:0", " 1.2.3.4", "1.2.3.4 ", ""]);
  }
}

test("IPs and CIDRs: parse and print exactly as Go's net package", () => {
  buildGo();
  const reqs: Req[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < 4000; i++) reqs.push({ kind: "ip", bytes: enc.encode(randomIP()) });
  for (let i = 0; i < 4000; i++) {
    const m = pick([String(rnd(130)), "0" + rnd(40), "", "-1", "+8", "8 ", "0000000024", String(rnd(33))]);
    reqs.push({ kind: "cidr", bytes: enc.encode(`${randomIP()}/${m}`) });
  }
  const go = runGo(reqs);
  let okCount = 0;
  for (let i = 0; i < reqs.length; i++) {
    const mine = ours(reqs[i]);
    assert.is(mine, go[i], `${reqs[i].kind} ${JSON.stringify(new TextDecoder().decode(reqs[i].bytes))}`);
    if (mine.startsWith("OK")) okCount++;
  }
  assert.ok(okCount > 1000 && okCount < reqs.length - 1000, `both outcomes exercised (${okCount} ok)`);
});

const templates: [string, unknown][] = [
  ["network", { ip_range: "10.1.0.0/16", subnet: "10.1.1.7/24", wireguard_private_key: "k", wireguard_listen_port: 3000, peers: [{ subnet: "2a02:1802:5e::/64", wireguard_public_key: "p", allowed_ips: ["10.1.2.0/24", "::ffff:10.9.0.1/120"], endpoint: "1.2.3.4:5" }], mycelium: { hex_key: "AB".repeat(32), peers: [] } }],
  ["network-light", { subnet: "10.2.1.0/24", mycelium: { hex_key: "cd".repeat(32) } }],
  ["ip", { v4: true, v6: false }],
  ["ipv4", {}],
  ["zmount", { size: 1073741824 }],
  ["volume", { size: 1 }],
  ["zmachine", { flist: "f", network: { public_ip: "p", planetary: true, interfaces: [{ network: "n", ip: "::ffff:10.1.1.2" }], mycelium: { Network: "n", hex_seed: "AABBCCDDEEFF" } }, size: 0, compute_capacity: { cpu: 2, memory: 2147483648 }, mounts: [{ name: "d", mountpoint: "/d" }], entrypoint: "/init", env: { A: "1", b: "ü", "\u{1F600}": "x", "\uFF21": "y", a: "z" }, gpu: ["g1", "g2"] }],
  ["zmachine-light", { flist: "f", network: { planetary: true, public_ip: "x", interfaces: [{ network: "n", ip: "2A02::1" }] }, compute_capacity: { cpu: 1, memory: 1 }, env: {} }],
  ["zdb", { size: 1, mode: "user", password: "p", public: false }],
  ["qsfs", { cache: 1, config: { minimal_shards: 2, expected_shards: 4, encryption: { algorithm: "AES", key: "0A".repeat(32) }, meta: { type: "zdb", config: { prefix: "p", encryption: { algorithm: "AES", key: "11" }, backends: [{ address: "a", namespace: "n", password: "p" }] } }, groups: [{ backends: [{ address: "b" }] }], compression: { algorithm: "snappy" } } }],
  ["zlogs", { zmachine: "w", output: "redis://x" }],
  ["gateway-name-proxy", { name: "site", tls_passthrough: false, backends: ["http://1.2.3.4:80"], network: "" }],
  ["gateway-fqdn-proxy", { fqdn: "a.example.com", tls_passthrough: true, backends: ["1.2.3.4:443"], network: null }],
];

const weird: unknown[] = [null, true, 0, -1, 1.5, 1e3, 255, 256, 65535, 65536, 4294967295, 4294967296, "", "x", "10.0.0.1", "10.0.0.1/8", "zz", "0A", [], [null], {}, { a: 1 }];

function mutate(o: Record<string, unknown>): void {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    if (p.length) paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === "object") for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...p, k]);
  };
  walk(o, []);
  const p = pick(paths);
  let parent = o as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = p[p.length - 1];
  switch (rnd(3)) {
    case 0:
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      break;
    case 1:
      parent[last] = structuredClone(pick(weird));
      break;
    default:
      if (!Array.isArray(parent) && typeof last === "string") {
        const v = parent[last];
        parent[pick([last.toUpperCase(), last[0].toUpperCase() + last.slice(1), last.replace(/k/g, "\u212a")])] = v;
        if (rnd(2)) delete parent[last];
      }
  }
}

function textMutations(t: string): Uint8Array {
  const enc = new TextEncoder();
  switch (rnd(6)) {
    case 0:
      return enc.encode(t.replace(/"size":\d+/, `"size":${pick(["18446744073709551615", "18446744073709551616", "-0", "1e3", "1.0", "0"])}`));
    case 1:
      return enc.encode(t.replace(/"version":0/, `"version":0,"Version":${pick(["1", "null", "4294967295", "4294967296"])}`));
    case 2: {
      // invalid UTF-8 inside a string value
      const b = enc.encode(t.replace(`"metadata":""`, `"metadata":"@@"`));
      const at = Buffer.from(b).indexOf("@@");
      if (at >= 0) {
        const bad = pick([[0xff, 0x41], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0], [0xf0, 0x9f]]);
        b[at] = bad[0];
        b[at + 1] = bad[1];
      }
      return b;
    }
    case 3:
      return enc.encode(t.replace(/"expiration":0/, `"expiration":${pick(["\"2024-02-29T12:00:00Z\"", "\"2024-02-30T00:00:00Z\"", "\"2024-01-01T00:00:00.5+01:30\"", "-5", "\"x\"", "1.5"])}`));
    case 4:
      return enc.encode("\ufeff" + t);
    default:
      return enc.encode(t.replace(/"twin_id":42/, `"twin_id":42,"TWIN_ID":${pick(["7", "-1", "\"7\""])}`));
  }
}

test("challenges: Go's encoding/json + fmt rendering of 3,000 generated and mutated deployments", () => {
  const reqs: Req[] = [];
  for (let i = 0; i < 3000; i++) {
    const workloads = Array.from({ length: 1 + rnd(4) }, () => {
      const [type, data] = pick(templates);
      return { version: rnd(2), name: pick(["w", "vm", "ü", "a_b"]), type, data: structuredClone(data), metadata: pick(["", "m"]), description: "" };
    });
    const o: Record<string, unknown> = {
      version: 0, twin_id: 42, contract_id: 1, metadata: "", description: "", expiration: 0, workloads,
      signature_requirement: { requests: [{ twin_id: 42, required: false, weight: 1 }], weight_required: 1, signatures: [], signature_style: pick(["", "polka-wallet"]) },
    };
    const kind = rnd(3);
    if (kind === 0) for (let k = 1 + rnd(3); k > 0; k--) mutate(o);
    reqs.push({ kind: "deployment", bytes: kind === 1 ? textMutations(JSON.stringify(o)) : new TextEncoder().encode(JSON.stringify(o)) });
  }
  const go = runGo(reqs);
  let okCount = 0;
  for (let i = 0; i < reqs.length; i++) {
    const mine = ours(reqs[i]);
    if (mine !== go[i]) {
      const show = (s: string) => (s.startsWith("OK ") ? Buffer.from(s.slice(3), "hex").toString("utf8") : s);
      assert.unreachable(`document ${i} differs\n  go:   ${show(go[i])}\n  ours: ${show(mine)}\n  doc:  ${Buffer.from(reqs[i].bytes).toString("utf8").slice(0, 3000)}`);
    }
    if (mine.startsWith("OK")) okCount++;
  }
  assert.ok(okCount > 500 && okCount < reqs.length - 300, `both outcomes exercised (${okCount} ok)`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
