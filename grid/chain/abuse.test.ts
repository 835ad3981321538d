// deno-lint-ignore-file no-explicit-any
// The dev chain under issue 18's attacks 6 and 7, reproduced over its JSON-RPC: one account with 1 TFT
// filling the pool with future-nonce immortal remarks, and one utility.batch of 300,000 remarks paying a
// fee by bytes only and freezing the thread the relay shares. Both now do no harm.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady, mnemonicGenerate } from "@polkadot/util-crypto";
import { compactToU8a, u8aToHex } from "@polkadot/util";
import { type RunningChain, startChain } from "./mod.ts";
import { FUTURE_TTL_BLOCKS, MAX_PER_SENDER } from "./chain.ts";
import { MAX_CALLS_PER_EXTRINSIC } from "./weights.ts";

const t = suite("dev chain abuse (issue 18, attacks 6 and 7)");
let c: RunningChain;
let api: ApiPromise;
const kr = new Keyring({ type: "sr25519" });
let alice: any;
const TFT = 10_000_000n;

async function rpc(method: string, params: unknown[] = []): Promise<any> {
  const r = await fetch(c.httpUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return await r.json();
}

/** author_submitExtrinsic, retried while the chain answers that its validation budget is spent (as a client would). */
async function submit(hex: string): Promise<any> {
  for (let i = 0;; i++) {
    const r = await rpc("author_submitExtrinsic", [hex]);
    if (!/validation time/.test(r.error?.data ?? "") || i > 100) return r;
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function funded(amount: bigint): Promise<any> {
  const who = kr.addFromUri(mnemonicGenerate());
  const xt = await api.tx.balances.transfer(who.address, amount).signAsync(alice);
  assert.match((await rpc("author_submitExtrinsic", [xt.toHex()])).result, /^0x/);
  await new Promise((r) => setTimeout(r, 150));
  return who;
}

t.before(async () => {
  await cryptoWaitReady();
  c = await startChain({ blockTimeMs: 0, log: () => {} });
  api = await ApiPromise.create({ provider: new WsProvider(c.url), noInitWarn: true });
  alice = kr.addFromUri(c.devAccounts[0].mnemonic);
});

t.after(async () => {
  await api?.disconnect();
  await c?.stop();
});

t("future-nonce immortal remarks from one 1-TFT account: bounded per sender, others still get in, gone after the TTL", async () => {
  const mallory = await funded(TFT);
  const base = (await api.rpc.system.accountNextIndex(mallory.address)).toNumber();
  const results: any[] = [];
  for (let i = 1; i <= 100; i++) {
    const xt = await api.tx.system.remark("0x01").signAsync(mallory, { nonce: base + i, era: 0 });
    results.push(await rpc("author_submitExtrinsic", [xt.toHex()]));
  }
  const accepted = results.filter((r) => r.result).length;
  assert.is(accepted, MAX_PER_SENDER - 1, "one sender holds at most its share of the pool");
  const refusals = new Set(results.filter((r) => r.error).map((r) => r.error.data.replace(/\d+/g, "N")));
  assert.ok([...refusals].every((d) => /too far in the future|transactions in the pool/.test(d)), [...refusals].join("; "));
  // everyone else is served
  const bob = await funded(2n * TFT);
  const ok = await api.tx.balances.transfer(alice.address, 1).signAsync(bob);
  assert.match((await rpc("author_submitExtrinsic", [ok.toHex()])).result, /^0x/);
  await new Promise((r) => setTimeout(r, 150));
  assert.is((await api.rpc.system.accountNextIndex(bob.address)).toNumber(), 1, "bob's transfer was included");
  // the gap is never filled: the future transactions leave the pool after FUTURE_TTL_BLOCKS, immortal or not
  assert.is((await rpc("author_pendingExtrinsics")).result.length, MAX_PER_SENDER - 1);
  for (let i = 0; i <= FUTURE_TTL_BLOCKS + 1; i++) c.chain.produceBlock();
  assert.is((await rpc("author_pendingExtrinsics")).result.length, 0);
});

t("a batch of 300,000 remarks is refused from its item count, before it is decoded, and costs nothing", async () => {
  const mallory = await funded(TFT);
  // a real signed batch of 2 remarks, with its item count rewritten to 300,000 (signature now wrong:
  // the count is checked first, so the chain never spends time on the items)
  const xt = await api.tx.utility.batch([api.tx.system.remark("0x"), api.tx.system.remark("0x")]).signAsync(mallory);
  const bytes = xt.toU8a();
  const callAt = bytes.length - 2 * 3 - 1 - 2; // [utility, batch] compact(2) remark remark
  assert.equal([...bytes.subarray(callAt + 2, callAt + 3)], [8], "compact(2) found");
  const forged = new Uint8Array([...bytes.subarray(0, callAt + 2), ...compactToU8a(300_000), ...bytes.subarray(callAt + 3)]);
  const r = await rpc("author_submitExtrinsic", [u8aToHex(forged)]);
  assert.is(r.error?.code, 1010);
  assert.match(r.error.data, /a batch of 300000 calls; at most \d+ fit/);
  // and the real thing, one item over the weight limit
  const over = await api.tx.utility.batch(Array.from({ length: MAX_CALLS_PER_EXTRINSIC + 1 }, () => api.tx.system.remark("0x"))).signAsync(mallory);
  const r2 = await submit(over.toHex());
  assert.match(r2.error?.data ?? "", /exhaust the block limits/);
  const free = (await api.query.system.account(mallory.address) as any).data.free.toBigInt();
  assert.is(free, TFT, "refused transactions pay nothing");
});

t("weight per call: the fee grows with the calls in a batch, and a block stops at its weight limit", async () => {
  const bob = await funded(100n * TFT);
  const one = await api.tx.system.remark("0x").signAsync(alice);
  const many = await api.tx.utility.batch(Array.from({ length: 1000 }, () => api.tx.system.remark("0x"))).signAsync(alice);
  const feeOne = BigInt((await rpc("payment_queryInfo", [one.toHex()])).result.partialFee);
  const feeMany = BigInt((await rpc("payment_queryInfo", [many.toHex()])).result.partialFee);
  assert.ok(feeMany > 500n * feeOne, `batch fee ${feeMany} vs single ${feeOne}`);
  // two batches of 1,000 calls do not fit one block's 1,500-call weight: they land in two blocks
  const other = await api.tx.utility.batch(Array.from({ length: 1000 }, () => api.tx.system.remark("0x"))).signAsync(bob);
  const before = c.chain.head.number;
  // both enter the pool in one tick (budget lifted for that), so one block could take both
  c.chain.validationBudgetMsPerS = Infinity;
  try {
    c.chain.submit(many.toHex());
    c.chain.submit(other.toHex());
  } finally {
    c.chain.validationBudgetMsPerS = 250;
  }
  const deadline = Date.now() + 20_000;
  while ((await rpc("author_pendingExtrinsics")).result.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const blocks = [];
  for (let n = before + 1; n <= c.chain.head.number; n++) blocks.push(c.chain.blockByNumber(n)!.extrinsics.length - 1);
  assert.equal(blocks.filter((x) => x > 0), [1, 1], `extrinsics per block: ${blocks}`);
});

t.run();
