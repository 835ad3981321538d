// `zos deployment hash|verify|validate` as users run it: output, --json, exit codes 0/1/2, errors
// that name the file and the problem.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { signedDoc, twinFromSeed, wl } from "../../modules/provision/test/fixtures.ts";
import { challengeHash, parseDeployment } from "../../modules/lib/gridtypes/mod.ts";

const zos = fileURLToPath(new URL("../zos.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "zt-cli-"));

function run(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["run", "-A", "--quiet", zos, "deployment", ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const alice = twinFromSeed(42, 3);
const doc = signedDoc(alice, 5, [wl("d", "zmount", { size: 1024 }), wl("n", "network", { ip_range: "10.1.0.0/16", subnet: "10.1.1.0/24", wireguard_private_key: "k" })]);
const good = file("good.json", doc);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const twins = file("twins.json", JSON.stringify({ "42": { key_type: "ed25519", public_key_hex: hex(alice.pub) } }));

test("hash prints the 32-char challenge hash (and --json an object)", () => {
  const r = run("hash", good);
  assert.is(r.code, 0, r.err);
  assert.is(r.out.trim(), challengeHash(parseDeployment(doc)));
  const j = run("hash", good, "--json");
  assert.equal(JSON.parse(j.out), { file: good, hash: r.out.trim(), twin_id: 42, version: 0 });
});

test("verify: 0 valid, 1 invalid with the reason, 2 unreadable", async () => {
  assert.is(run("verify", good, "--twins", twins).code, 0);
  const tampered = file("tampered.json", doc.replace(`"metadata":""`, `"metadata":"x"`));
  const bad = run("verify", tampered, "--twins", twins);
  assert.is(bad.code, 1);
  assert.match(bad.err, /tampered\.json: invalid: failed to verify ed25519 signature of twin '42'/);
  const j = run("verify", tampered, "--twins", twins, "--json");
  assert.is(j.code, 1);
  assert.is(JSON.parse(j.out).valid, false);
  const other = file("other.json", JSON.stringify({ "42": { key_type: "ed25519", public_key_hex: hex(twinFromSeed(42, 4).pub) } }));
  assert.is(run("verify", good, "--twins", other).code, 1);
  const missing = run("verify", good, "--twins", file("empty.json", "{}"));
  assert.is(missing.code, 1);
  assert.match(missing.err, /failed to get public key for twin '42': twin 42 is not in/);
  // sr25519 signer, polka-wallet style
  await cryptoWaitReady();
  const pair = new Keyring({ type: "sr25519" }).addFromUri("//Alice");
  const o = JSON.parse(doc);
  o.signature_requirement.signature_style = "polka-wallet";
  const h = challengeHash(parseDeployment(JSON.stringify(o)));
  o.signature_requirement.signatures = [{ twin_id: 42, signature: hex(pair.sign(new TextEncoder().encode(`<Bytes>${h}</Bytes>`))), signature_type: "sr25519" }];
  const srTwins = file("sr.json", JSON.stringify({ "42": { key_type: "sr25519", public_key_hex: hex(pair.publicKey) } }));
  assert.is(run("verify", file("sr-doc.json", JSON.stringify(o)), "--twins", srTwins).code, 0);
  // unreadable inputs
  const cases: [string[], RegExp][] = [
    [["verify", join(dir, "nope.json"), "--twins", twins], /cannot read deployment file .*nope\.json: no such file/],
    [["verify", good, "--twins", join(dir, "nope.json")], /cannot read twins file .*nope\.json: no such file/],
    [["verify", file("broken.json", "{"), "--twins", twins], /broken\.json: invalid JSON at offset 1/],
    [["verify", good, "--twins", file("badtw.json", `{"42":{"key_type":"rsa","public_key_hex":"00"}}`)], /key_type must be "ed25519" or "sr25519"/],
    [["verify", good, "--twins", file("badhex.json", `{"42":{"key_type":"ed25519","public_key_hex":"00"}}`)], /public_key_hex must be 64 hex characters/],
    [["verify", good], /--twins T\.json is required/],
    [["hash", file("type.json", `{"workloads":[{"name":"x","type":"container","data":{}}]}`)], /type\.json: cannot compute the hash: workload 'x' \(container\): type: invalid workload type/],
    [["hash"], /missing FILE/],
    [["frobnicate", good], /unknown subcommand "frobnicate"/],
    [["hash", good, "--bogus"], /Unknown option '--bogus'/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.is(r.code, 2, args.join(" ") + r.err);
    assert.match(r.err, re);
    assert.not.match(r.err, /\n\s+at /, "no stack trace");
  }
});

test("validate: 0 valid, 1 invalid naming workload and field", () => {
  const r = run("validate", good);
  assert.is(r.code, 0);
  assert.match(r.out, /valid \(2 workloads\)/);
  const bad = file("invalid.json", doc.replace(`"size":1024`, `"size":0`));
  const v = run("validate", bad);
  assert.is(v.code, 1);
  assert.match(v.err, /invalid\.json: invalid: workload 'd' \(zmount\): data\.size: invalid size/);
  assert.equal(JSON.parse(run("validate", bad, "--json").out).valid, false);
});

test("--help prints usage and exits 0", () => {
  const r = run("--help");
  assert.is(r.code, 0);
  assert.match(r.out, /zos deployment <hash\|verify\|validate> FILE/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
