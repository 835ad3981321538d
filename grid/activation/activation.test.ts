// The activation service against the in-process dev chain: funds an unfunded account once, refuses funded
// accounts with 409, rejects bad input with clear JSON errors and no transfer, and limits requests per IP.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { encodeAddress, mnemonicGenerate } from "@polkadot/util-crypto";
import { Keyring } from "@polkadot/keyring";
import type { Signer } from "../../capabilities/chain/mod.ts";
import { startChain, type RunningChain } from "../chain/mod.ts";
import { ChainClient } from "../../capabilities/chain/mod.ts";
import { ACTIVATE_PATH, DEFAULT_AMOUNT, RateLimiter, type RunningActivation, startActivation } from "./mod.ts";

const t = suite("activation service");
let chain: RunningChain;
let svc: RunningActivation;
let client: ChainClient;

const freshAddress = () => encodeAddress(randomBytes(32), 42);
/** POST from a chosen loopback source address (127.0.0.2, .3 …), as the PoC did to dodge a per-IP limit. */
function postFrom(localAddress: string, url: string, body: string): Promise<{ status: number; retryAfter: string; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", localAddress, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => text += c);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: String(res.headers["retry-after"] ?? ""), json: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
// deno-lint-ignore no-explicit-any
const signerOf = (pair: any): Signer => ({ publicKey: pair.publicKey, type: "sr25519", sign: (m) => Promise.resolve(pair.sign(m)) });
async function post(url: string, body: string, method = "POST"): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method, body: method === "GET" ? undefined : body, headers: { "content-type": "application/json" } });
  return { status: res.status, json: await res.json() as Record<string, unknown> };
}

t.before(async () => {
  chain = await startChain({ blockTimeMs: 0, log: () => {} });
  const bob = chain.devAccounts.find((a) => a.name === "bob")!;
  svc = await startActivation({ chainUrl: chain.url, funderMnemonic: bob.mnemonic, log: () => {} });
  client = await ChainClient.connect({ urls: [chain.url] });
});

t.after(async () => {
  await client?.close();
  await svc?.stop();
  await chain?.stop();
});

t("listens on loopback at the Zero-OS path", () => {
  assert.match(svc.url, new RegExp(`^http://127\\.0\\.0\\.1:\\d+${ACTIVATE_PATH}$`));
});

t("funds an unfunded account once, then answers 409", async () => {
  const addr = freshAddress();
  assert.is((await client.read.balance(addr)).free, 0n);
  const first = await post(svc.url, JSON.stringify({ substrateAccountID: addr }));
  assert.is(first.status, 200, JSON.stringify(first.json));
  assert.is(first.json.activated, addr);
  assert.is((await client.read.balance(addr)).free, DEFAULT_AMOUNT);
  const again = await post(svc.url, JSON.stringify({ substrateAccountID: addr }));
  assert.is(again.status, 409);
  assert.match(String(again.json.error), /already activated/);
  assert.is((await client.read.balance(addr)).free, DEFAULT_AMOUNT, "no second transfer");
});

t("concurrent requests for one account pay once", async () => {
  const addr = freshAddress();
  const body = JSON.stringify({ substrateAccountID: addr });
  const rs = await Promise.all([post(svc.url, body), post(svc.url, body), post(svc.url, body)]);
  assert.equal(rs.map((r) => r.status).sort(), [200, 409, 409]);
  assert.is((await client.read.balance(addr)).free, DEFAULT_AMOUNT);
});

t("bad input: clear JSON errors and no transfer", async () => {
  const funder = (await client.read.balance(svc.funder)).free;
  const cases: [string, string, number, RegExp][] = [
    ["POST", "not json", 400, /not JSON/],
    ["POST", "{}", 400, /missing "substrateAccountID"/],
    ["POST", JSON.stringify({ substrateAccountID: "5NotAnAddress" }), 400, /not an SS58 address/],
    ["POST", "x".repeat(5000), 413, /larger than/],
    ["GET", "", 405, /POST \/activation\/activate/],
  ];
  for (const [method, body, status, re] of cases) {
    const r = await post(svc.url, body, method);
    assert.is(r.status, status, `${method} ${body.slice(0, 20)}`);
    assert.match(String(r.json.error), re);
  }
  const r = await post(svc.url.replace(ACTIVATE_PATH, "/nope"), "{}");
  assert.is(r.status, 404);
  assert.is((await client.read.balance(svc.funder)).free, funder, "the funder paid nothing");
});

t("limited per account and globally, not per loopback address (issue 18, attack 7's activation part)", async () => {
  const alice = chain.devAccounts.find((a) => a.name === "alice")!;
  const limited = await startActivation({ chainUrl: chain.url, funderMnemonic: alice.mnemonic, perAccountPerDay: 1, perMinute: 2, log: () => {} });
  const aliceKey = new Keyring({ type: "sr25519" }).addFromUri(alice.mnemonic);
  try {
    // one account, drained after its activation, asks again: refused even from another loopback address
    const drained = new Keyring({ type: "sr25519" }).addFromUri(mnemonicGenerate());
    const body = JSON.stringify({ substrateAccountID: drained.address });
    assert.is((await post(limited.url, body)).status, 200);
    // spend it all but dust (the fee is ~0.002 TFT): the account looks unfunded again
    await client.submitter(signerOf(drained)).submit("balances", "transfer", aliceKey.address, DEFAULT_AMOUNT - 28_000n);
    assert.ok((await client.read.balance(drained.address)).free <= 10_000n);
    const again = await postFrom("127.0.0.2", limited.url, body);
    assert.is(again.status, 429);
    assert.ok(Number(again.retryAfter) > 0);
    assert.match(String(again.json.error), /activated 1 times in the last 24 h/);
    // globally: 2 transfers a minute, whichever address they come from
    assert.is((await postFrom("127.0.0.3", limited.url, JSON.stringify({ substrateAccountID: freshAddress() }))).status, 200);
    const third = await postFrom("127.0.0.4", limited.url, JSON.stringify({ substrateAccountID: freshAddress() }));
    assert.is(third.status, 429);
    assert.match(String(third.json.error), /limit of 2 transfers a minute/);
  } finally {
    await limited.stop();
  }
});

t("refuses a non-loopback host and an amount below the threshold", async () => {
  const m = chain.devAccounts[0].mnemonic;
  await startActivation({ chainUrl: chain.url, funderMnemonic: m, host: "0.0.0.0" }).then(
    () => assert.unreachable("0.0.0.0 accepted"),
    (e) => assert.match((e as Error).message, /loopback only/),
  );
  await startActivation({ chainUrl: chain.url, funderMnemonic: m, amount: 5n }).then(
    () => assert.unreachable("tiny amount accepted"),
    (e) => assert.match((e as Error).message, /above the threshold/),
  );
});

t("RateLimiter: sliding window per key", () => {
  let now = 0;
  const l = new RateLimiter(2, 1000, () => now);
  assert.is(l.take("a"), 0);
  now = 100;
  assert.is(l.take("a"), 0);
  assert.is(l.take("b"), 0);
  now = 400;
  assert.is(l.take("a"), 600);
  now = 1000;
  assert.is(l.take("a"), 0);
  assert.throws(() => new RateLimiter(0, 1000), /positive integer/);
});

t.run();
