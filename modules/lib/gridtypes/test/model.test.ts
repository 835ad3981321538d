// The pure model: Go-compatible IP/CIDR rendering, JSON decoding rules, challenge text per type,
// validation errors, signatures (ed25519, polka-wallet style, weights), update rules.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { generateKeyPairSync, sign as edSign, createHash } from "node:crypto";
import {
  challenge,
  challengeHash,
  type Deployment,
  DeploymentError,
  goIPNetString,
  goIPString,
  networkId,
  parseDeployment,
  parseJson,
  stringifyJson,
  parseGoIP,
  parseGoIPNet,
  upgradeOps,
  validateDeployment,
  verifyDeployment,
  workloadCapacity,
} from "../mod.ts";

const ip = (s: string) => goIPString(parseGoIP(s));
const net = (s: string) => goIPNetString(parseGoIPNet(s));

test("net.IP parse + String as Go", () => {
  const cases: [string, string][] = [
    ["1.2.3.4", "1.2.3.4"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::ffff:0:0", "0.0.0.0"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2A02::1", "2a02::1"],
    ["::1.2.3.4", "::102:304"],
    ["1:2:3:4:5:6::7", "1:2:3:4:5:6:0:7"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ["fe80:0:0:0:0:0:0:0", "fe80::"],
    ["0:0:1:0:0:0:1:0", "0:0:1::1:0"],
  ];
  for (const [i, o] of cases) assert.is(ip(i), o, i);
  for (const bad of ["010.1.1.2", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1:2:3:4:5:6:7:8:9", "1::2::3", "1:2:3:4:5:6:7::8", "fe80::1%eth0", "", " 1.2.3.4", "1.2.3.4 ", "12345::", ":1::", "1:", "1.2..3", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4"]) {
    assert.is(parseGoIP(bad), null, JSON.stringify(bad));
  }
});

test("IPNet parse keeps host bits; String as Go", () => {
  const cases: [string, string][] = [
    ["10.1.2.3/16", "10.1.2.3/16"],
    ["10.20.0.0/16", "10.20.0.0/16"],
    ["2001:DB8::1/64", "2001:db8::1/64"],
    ["::ffff:10.0.0.1/104", "10.0.0.1/8"],
    ["::ffff:10.0.0.1/64", "10.0.0.1/0"],
    ["10.0.0.0/024", "10.0.0.0/24"],
    ["0.0.0.0/0", "0.0.0.0/0"],
  ];
  for (const [i, o] of cases) assert.is(net(i), o, i);
  for (const bad of ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0", "/8", "10.0.0.0/8/8", "10.0.0.0/-1", "::/129", "10.0.0.0/+8", "010.0.0.0/8"]) {
    assert.is(parseGoIPNet(bad), null, bad);
  }
  assert.is(goIPNetString(null), "<nil>");
  assert.is(goIPString(null), "<nil>");
});

const base = {
  version: 0,
  twin_id: 42,
  contract_id: 7,
  metadata: "",
  description: "",
  expiration: 0,
  signature_requirement: { requests: [{ twin_id: 42, required: false, weight: 1 }], weight_required: 1, signatures: [] as unknown[] },
};

function dep(workloads: unknown[], extra: Record<string, unknown> = {}): Deployment {
  return parseDeployment(JSON.stringify({ ...base, ...extra, workloads }));
}

function wl(name: string, type: string, data: unknown, version = 0) {
  return { version, name, type, data, metadata: "", description: "" };
}

test("worked example from the reference hashes to 9d89f627…", () => {
  const d = dep([
    wl("net1", "network", { ip_range: "10.20.0.0/16", subnet: "10.20.2.0/24", wireguard_private_key: "CGKI1m+OXaB429P1KOiDlHnc6gJmDG6t7ODQR3c4N6Q=", wireguard_listen_port: 3090, peers: [] }),
    wl("disk", "zmount", { size: 10737418240 }),
  ]);
  assert.is(challenge(d), "04200net1network10.20.0.0/1610.20.2.0/24CGKI1m+OXaB429P1KOiDlHnc6gJmDG6t7ODQR3c4N6Q=30900diskzmount1073741824042false11");
  assert.is(challengeHash(d), "9d89f62702901d3e5e3f4df6b64a8e27");
});

test("JSON decoding: case-insensitive keys, last wins, unknown ignored, missing = zero, exact u64", () => {
  const d = parseDeployment(
    `{"VERSION":0,"Twin_Id":1,"twin_id":42,"unknown":{"x":[1,2]},"expiration":"1970-01-01T00:01:00Z","contract_id":18446744073709551615,
      "workloads":[{"name":"d","TYPE":"zmount","data":{"SIZE":18446744073709551615,"__type":"zmount"}}],
      "signature_requirement":{"requests":[{"twin_id":42,"weight":1}],"weight_required":1}}`,
  );
  assert.is(d.twin_id, 42);
  assert.is(d.expiration, 60n);
  assert.is(d.contract_id, 18446744073709551615n);
  assert.is(challenge(d), "042" + "60" + "0dzmount18446744073709551615" + "42false11");
  // null is the zero value, like a missing key
  const n = parseDeployment(`{"version":null,"twin_id":42,"metadata":null,"workloads":null,"signature_requirement":null}`);
  assert.is(challenge(n), "0420" + "0");
});

test("decode errors name the field and what is wrong", () => {
  const bad: [string, RegExp][] = [
    [`{"version":-1}`, /^version: expected an integer 0\.\.4294967295/],
    [`{"version":1.0}`, /^version: expected an integer/],
    [`{"twin_id":"42"}`, /^twin_id: expected an integer .* got a string/],
    [`{"workloads":{}}`, /^workloads: expected an array/],
    [`{"expiration":"yesterday"}`, /^expiration: unknown timestamp format/],
    [`{"signature_requirement":{"requests":[{"weight":-2}]}}`, /^signature_requirement\.requests\[0\]\.weight/],
    [`{"version":0,}`, /invalid JSON at offset 13/],
    [`[`, /invalid JSON/],
    ["", /invalid JSON/],
  ];
  for (const [j, re] of bad) {
    try {
      parseDeployment(j);
      assert.unreachable(j);
    } catch (e) {
      assert.instance(e, DeploymentError, j);
      assert.match((e as Error).message, re, j);
    }
  }
  const d = dep([wl("vm", "zmachine", { compute_capacity: { cpu: 300 } })]);
  assert.throws(() => challenge(d), /workload 'vm' \(zmachine\): data\.compute_capacity\.cpu: expected an integer 0\.\.255/);
  const d2 = dep([wl("n", "network", { subnet: "10.1.1.300/24" })]);
  assert.throws(() => challenge(d2), /workload 'n' \(network\): data\.subnet: invalid CIDR address "10\.1\.1\.300\/24"/);
  const d3 = dep([{ name: "x", type: "zmount" }]);
  assert.throws(() => challenge(d3), /workload 'x' \(zmount\): data: missing/);
  const d4 = dep([wl("x", "container", {})]);
  assert.throws(() => challenge(d4), /workload 'x' \(container\): type: invalid workload type 'container'/);
});

const vmData = {
  flist: "https://hub.grid.tf/x.flist",
  network: { public_ip: "pub", planetary: true, interfaces: [{ network: "n1", ip: "::ffff:10.1.2.3" }], mycelium: { NETWORK: "n1", hex_seed: "AABBCCDDEEFF" } },
  size: 0,
  compute_capacity: { cpu: 1, memory: 268435456 },
  mounts: [{ name: "d1", mountpoint: "/data" }],
  entrypoint: "/init",
  env: { b: "2", a: "1", "\u{1F600}": "astral", "\uFF21": "fullwidth", A: "0" },
  corex: true,
  gpu: ["0000:28:00.0/1002/731f", "g2"],
};

test("zmachine challenge: canonical IP, mycelium hex re-encoded, env sorted bytewise, gpus last", () => {
  const d = dep([wl("pub", "ip", { v4: true, v6: false }), wl("vm", "zmachine", vmData)]);
  const c = challenge(d);
  assert.ok(c.includes(
    "0vmzmachinehttps://hub.grid.tf/x.flistpubtruen110.1.2.3n1aabbccddeeff01268435456d1/data/initA=0a=1b=2\uFF21=fullwidth\u{1F600}=astral0000:28:00.0/1002/731fg2",
  ), c);
  const light = dep([wl("vm", "zmachine-light", vmData)]);
  assert.ok(challenge(light).includes("0vmzmachine-lighthttps://hub.grid.tf/x.flistn110.1.2.3n1aabbccddeeff0"));
  validateDeployment(d);
  assert.equal(workloadCapacity(d.workloads[1]), { cru: 1n, mru: 268435456n, sru: 500n * 1024n * 1024n, hru: 0n, ipv4u: 0n });
  assert.equal(workloadCapacity(d.workloads[0]).ipv4u, 1n);
});

test("other types: challenge pieces", () => {
  const cases: [unknown, string][] = [
    [wl("z", "zdb", { size: 5, mode: "user", password: "p", public: true }), "0zzdb5userptrue"],
    [wl("i", "ipv4", {}), "0iipv4"],
    [wl("l", "zlogs", { zmachine: "vm", output: "redis://h" }), "0lzlogsvmredis://h"],
    [wl("g", "gateway-name-proxy", { name: "n", tls_passthrough: false, backends: ["http://1.2.3.4"], network: "net" }), "0ggateway-name-proxynfalsehttp://1.2.3.4net"],
    [wl("f", "gateway-fqdn-proxy", { fqdn: "a.b.c", tls_passthrough: true, backends: ["1.2.3.4:443"], network: null }), "0fgateway-fqdn-proxya.b.ctrue1.2.3.4:443"],
    [wl("n", "network", { ip_range: "", peers: [{ subnet: "10.1.3.0/24", wireguard_public_key: "k", allowed_ips: ["10.1.3.0/24", "2A02::/64"], endpoint: "" }], mycelium: { hex_key: "AB", peers: ["p"] } }), "0nnetwork<nil><nil>0k10.1.3.0/2410.1.3.0/242a02::/64abp"],
    [wl("nl", "network-light", { subnet: "10.1.3.0/24" }), "0nlnetwork-light<nil>10.1.3.0/240"],
    [wl("q", "qsfs", { cache: 1, config: { minimal_shards: 2, expected_shards: 3, encryption: { algorithm: "AES", key: "0A" }, meta: { type: "zdb", config: { prefix: "p", encryption: { algorithm: "AES", key: "0b" }, backends: [{ address: "a", namespace: "n", password: "w" }] } }, groups: [{ backends: [{ address: "a2", namespace: "n2", password: "w2" }] }], compression: { algorithm: "snappy" } } }), "0qqsfs123000AES0azdbpAES0banwa2n2w2snappy"],
  ];
  for (const [w, piece] of cases) {
    const c = challenge(dep([w]));
    assert.is(c, "0420" + piece + "42false11", piece);
  }
});

test("validation: node rules with the workload, field and reason", () => {
  const bad: [unknown[], RegExp][] = [
    [[wl("a-b", "zmount", { size: 1 })], /workload 'a-b' \(zmount\): name: /],
    [[wl("x".repeat(37), "zmount", { size: 1 })], /name: name is 37 bytes long/],
    [[wl("ygg", "zmount", { size: 1 })], /name 'ygg' is reserved/],
    [[wl("d", "zmount", { size: 1 }), wl("d", "volume", { size: 1 })], /workload 'd' \(volume\): name: multiple workloads with the same name/],
    [[wl("d", "zmount", { size: 1 }, 1)], /version: 1 cannot be higher than deployment version 0/],
    [[wl("d", "zmount", { size: 0 })], /workload 'd' \(zmount\): data\.size: invalid size/],
    [[wl("z", "zdb", { size: 1, mode: "fast" })], /data\.mode: invalid mode "fast"/],
    [[wl("i", "ip", {})], /workload 'i' \(ip\): data\.v4: public ip workload with no selections/],
    [[wl("vm", "zmachine", { ...vmData, network: { interfaces: [] } })], /data\.network\.interfaces: only one private network interface/],
    [[wl("vm", "zmachine", { ...vmData, compute_capacity: { cpu: 0, memory: 268435456 } })], /data\.compute_capacity\.cpu: cpu capacity can't be 0/],
    [[wl("vm", "zmachine", { ...vmData, compute_capacity: { cpu: 1, memory: 1024 } })], /data\.compute_capacity\.memory: mem capacity/],
    [[wl("vm", "zmachine", { ...vmData, size: 1024 })], /data\.size: disk size can't be less than 524288000/],
    [[wl("vm", "zmachine", vmData)], /data\.network\.public_ip: public ip workload 'pub' is not found/],
    [[wl("pub", "zmount", { size: 1 }), wl("vm", "zmachine", vmData)], /workload of name 'pub' is not a public ip/],
    [[wl("pub", "ip", { v4: true }), wl("vm", "zmachine", vmData), wl("vm2", "zmachine", vmData)], /public ip 'pub' is assigned to multiple vms/],
    [[wl("vm", "zmachine", { ...vmData, network: { interfaces: [{ network: "ygg", ip: "10.1.1.2" }] } })], /'ygg' is reserved network name/],
    [[wl("vm", "zmachine", { ...vmData, network: { interfaces: [{ network: "n", ip: "10.1.1.2" }], mycelium: { network: "n", hex_seed: "aa" } } })], /data\.network\.mycelium\.hex_seed: invalid mycelium seed length 1/],
    [[wl("n", "network", { subnet: "10.1.1.0/24", wireguard_private_key: "k" })], /data\.ip_range: network IP range cannot be empty/],
    [[wl("n", "network", { ip_range: "10.1.0.0/16", subnet: "10.1.1.0/24", wireguard_private_key: "k", peers: [{ subnet: "10.1.2.0/24", wireguard_public_key: "p" }] })], /data\.peers\[0\]\.allowed_ips: /],
    [[wl("n", "network", { ip_range: "10.1.0.0/16", subnet: "10.1.1.0/24", wireguard_private_key: "k", mycelium: { hex_key: "00", peers: [] } })], /data\.mycelium\.hex_key: invalid mycelium key length 1/],
    [[wl("n", "network-light", { subnet: "10.1.1.0/24" })], /workload 'n' \(network-light\): data\.mycelium\.hex_key/],
    [[wl("l", "zlogs", { zmachine: "vm", output: "redis://x" })], /data\.zmachine: no zmachine with name 'vm'/],
    [[wl("pub", "ip", { v4: true }), wl("vm", "zmachine", vmData), wl("l", "zlogs", { zmachine: "vm", output: "ftp://x" })], /data\.output: invalid output schema 'ftp'/],
    [[wl("g", "gateway-name-proxy", { name: "a.b", backends: ["http://1.2.3.4"] })], /data\.name: name "a\.b" is invalid/],
    [[wl("g", "gateway-name-proxy", { name: "ab", backends: [] })], /data\.backends: backends list can not be empty/],
    [[wl("g", "gateway-name-proxy", { name: "ab", backends: ["http://127.0.0.1:80"] })], /data\.backends\[0\]: .*invalid ip address in backend: 127\.0\.0\.1/],
    [[wl("g", "gateway-fqdn-proxy", { fqdn: "a.b.cc", tls_passthrough: true, backends: ["1.2.3.4:70000"] })], /port '70000' must be <= 65535/],
    [[wl("g", "gateway-fqdn-proxy", { fqdn: "nodot", backends: ["http://1.2.3.4"] })], /data\.fqdn: fqdn "nodot" is invalid/],
    [[wl("q", "qsfs", { config: { minimal_shards: 3, expected_shards: 2 } })], /data\.config\.minimal_shards: minimal shards \(3\)/],
  ];
  for (const [wls, re] of bad) {
    assert.throws(() => validateDeployment(dep(wls)), re, String(re));
  }
  validateDeployment(dep([wl("pub", "ip", { v4: true }), wl("vm", "zmachine", vmData), wl("l", "zlogs", { zmachine: "vm", output: "WSS://x" })]));
});

function edSigner() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pub = new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(12));
  return { pub, sign: (m: Uint8Array) => Buffer.from(edSign(null, m, privateKey)).toString("hex") };
}

test("signatures: ed25519 default and polka-wallet style, weights, originator forced required", async () => {
  const a = edSigner();
  const b = edSigner();
  const keys = { getKey: (t: number) => (t === 42 ? a.pub : t === 43 ? b.pub : Promise.reject(new Error("no such twin"))) };
  const requirement = (style: string, reqs: unknown[], wr: number) => ({ requests: reqs, weight_required: wr, signatures: [] as unknown[], signature_style: style });
  const mk = (style: string, reqs: unknown[], wr: number) => {
    const o = { ...base, workloads: [wl("d", "zmount", { size: 1 })], signature_requirement: requirement(style, reqs, wr) };
    const d = parseDeployment(JSON.stringify(o));
    const h = createHash("md5").update(challenge(d)).digest();
    const msg = style === "polka-wallet" ? new TextEncoder().encode(`<Bytes>${h.toString("hex")}</Bytes>`) : new Uint8Array(h);
    return { o, msg };
  };
  for (const style of ["", "polka-wallet"]) {
    const { o, msg } = mk(style, [{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 2 }], 3);
    o.signature_requirement.signatures = [{ twin_id: 42, signature: a.sign(msg), signature_type: "ed25519" }, { twin_id: 43, signature: b.sign(msg), signature_type: "ed25519" }];
    const r0 = await verifyDeployment(parseDeployment(JSON.stringify(o)), keys);
    assert.ok(r0.ok, style + JSON.stringify(r0));
    // weight_required is hashed: sign a copy that asks for more than the requests carry
    const hi = mk(style, [{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 2 }], 4);
    hi.o.signature_requirement.signatures = [{ twin_id: 42, signature: a.sign(hi.msg), signature_type: "ed25519" }, { twin_id: 43, signature: b.sign(hi.msg), signature_type: "ed25519" }];
    const r = await verifyDeployment(parseDeployment(JSON.stringify(hi.o)), keys);
    assert.ok(!r.ok && /weight is not reached \(3 < 4\)/.test(r.reason), JSON.stringify(r));
    // a signature made for the other style does not verify
    const other = mk(style === "" ? "polka-wallet" : "", [{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 2 }], 3);
    other.o.signature_requirement.signatures = o.signature_requirement.signatures;
    assert.not.ok((await verifyDeployment(parseDeployment(JSON.stringify(other.o)), keys)).ok);
  }
  // the originator must be among the requests
  const { o, msg } = mk("", [{ twin_id: 43, weight: 1 }], 1);
  o.signature_requirement.signatures = [{ twin_id: 43, signature: b.sign(msg), signature_type: "ed25519" }];
  const r = await verifyDeployment(parseDeployment(JSON.stringify(o)), keys);
  assert.ok(!r.ok && /originator twin id '42' must be in the signature requests/.test(r.reason));
  // missing required signature
  const m2 = mk("", [{ twin_id: 42, weight: 1 }], 1);
  const r2 = await verifyDeployment(parseDeployment(JSON.stringify(m2.o)), keys);
  assert.ok(!r2.ok && /missing required signature for twin '42'/.test(r2.reason));
  // bad hex
  m2.o.signature_requirement.signatures = [{ twin_id: 42, signature: "zz", signature_type: "ed25519" }];
  const r3 = await verifyDeployment(parseDeployment(JSON.stringify(m2.o)), keys);
  assert.ok(!r3.ok && /invalid signature of twin '42'/.test(r3.reason));
  // weights add as Go uint: 2^64-1 + 2 wraps to 1
  const m4 = mk("", [{ twin_id: 42, weight: 1 }, { twin_id: 43, weight: 1 }], 2);
  const w = JSON.parse(JSON.stringify(m4.o));
  w.signature_requirement.requests = [{ twin_id: 42, weight: 2 }];
  const wrapped = JSON.stringify(w).replace(`"weight":2`, `"weight":18446744073709551615},{"twin_id":43,"weight":2`);
  const wd = parseDeployment(wrapped);
  const h = new Uint8Array(createHash("md5").update(challenge(wd)).digest());
  const r4 = await verifyDeployment(parseDeployment(wrapped.replace(/"signatures":\[\]/, `"signatures":[{"twin_id":42,"signature":"${a.sign(h)}","signature_type":"ed25519"},{"twin_id":43,"signature":"${b.sign(h)}","signature_type":"ed25519"}]`)), keys);
  assert.ok(!r4.ok && /weight is not reached \(1 < 2\)/.test(r4.reason), JSON.stringify(r4));
});

test("update rules: version + 1, adds, updates of updatable types only, removals, untouched", () => {
  const cur = dep([wl("d", "zmount", { size: 1 }), wl("vm", "zmachine", { ...vmData, network: { interfaces: [{ network: "n", ip: "10.1.1.2" }] } }), wl("z", "zdb", { size: 1, mode: "seq" })]);
  const next = (v: number, wls: unknown[]) => dep(wls, { version: v });
  const ok = upgradeOps(cur, next(1, [wl("d", "zmount", { size: 2 }, 1), wl("vm", "zmachine", { ...vmData, network: { interfaces: [{ network: "n", ip: "10.1.1.2" }] } }, 0), wl("v", "volume", { size: 3 }, 1)]));
  assert.equal(ok.map((o) => `${o.op}:${o.workload.name}`), ["update:d", "add:v", "remove:z"]);
  assert.throws(() => upgradeOps(cur, next(2, [])), /expecting deployment version 1, got 2/);
  assert.throws(() => upgradeOps(cur, next(1, [wl("vm", "zmachine", { ...vmData, network: { interfaces: [{ network: "n", ip: "10.1.1.2" }] } }, 1)])), /workload 'zmachine' does not support upgrade/);
  assert.throws(() => upgradeOps(cur, next(1, [wl("d", "volume", { size: 2 }, 1)])), /cannot change workload type/);
  assert.throws(() => upgradeOps(cur, next(1, [wl("new1", "zmount", { size: 2 }, 0)])), /invalid version number 0 for a new workload, expected 1/);
  assert.throws(() => upgradeOps(cur, dep([], { version: 1, twin_id: 43, signature_requirement: { ...base.signature_requirement, requests: [{ twin_id: 43, weight: 1 }] } })), /cannot change deployment or twin id/);
});

test("JSON reader round-trips random documents exactly like JSON.parse/stringify", () => {
  let x = 12345;
  const r = (n: number) => (x = (x * 1103515245 + 12345) % 2147483648) % n;
  const strs = ["", "a", "é", "\u{1F600}", "\n\t\"\\", "\u0000\u001f", "𝄞x", "\u2028"];
  const gen = (depth: number): unknown => {
    switch (r(depth > 4 ? 4 : 7)) {
      case 0: return null;
      case 1: return r(2) === 0;
      case 2: return r(2) ? r(1_000_000) - 500_000 : Number.MAX_SAFE_INTEGER - r(9);
      case 3: return strs[r(strs.length)] + r(100);
      case 4: return Array.from({ length: r(4) }, () => gen(depth + 1));
      default: return Object.fromEntries(Array.from({ length: r(4) }, () => [strs[r(strs.length)] + r(9), gen(depth + 1)]));
    }
  };
  for (let i = 0; i < 2000; i++) {
    const text = JSON.stringify(gen(0));
    assert.is(stringifyJson(parseJson(text)), text);
  }
  for (const bad of ["01", "1.", ".5", "+1", "[1,]", "{\"a\":1,}", "'a'", "nul", "\"\\x\"", "\"a", "[", "1 2", "{\"a\" 1}", "NaN", "-", "1e", "\"\t\""]) {
    assert.throws(() => parseJson(bad), /invalid JSON/, bad);
  }
});

test("network id is base58(md5) cut to 13", () => {
  const id = networkId(42, "net1");
  assert.is(id.length, 13);
  assert.match(id, /^[1-9A-HJ-NP-Za-km-z]+$/);
  assert.is.not(networkId(42, "net2"), id);
  // Reference values computed outside this code base (Python's hashlib.md5 and a big-integer base58 with the
  // bitcoin alphabet, as Zero-OS's NetworkID does: base58(md5("<twin>:<name>"))[:13]):
  //   python3 -c 'import hashlib;A="123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
  //   n=int.from_bytes(hashlib.md5(b"42:net1").digest(),"big");s=""
  //   while n: n,r=divmod(n,58);s=A[r]+s
  //   print(s[:13])'
  assert.is(id, "7aH1SRREnwwbr");
  assert.is(networkId(1, "mynet"), "2gD4nhwZyigBh");
  assert.is(networkId(4294967295, "n"), "Axs3gzE9H6d7L");
});

test.run();
