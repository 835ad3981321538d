// deno-lint-ignore-file no-explicit-any
// Dev chain behaviour: JSON-RPC surface over HTTP and WebSocket, bad input (standard errors, state
// unchanged), extrinsic validity (signature, nonce, size, fees), unsupported calls, block time,
// persistence across restarts and kill -9.
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Buffer } from "node:buffer";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import WebSocket from "ws";
import { ApiPromise, WsProvider } from "@polkadot/api";
import type { ISubmittableResult } from "@polkadot/types/types";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady, mnemonicGenerate } from "@polkadot/util-crypto";
import { type RunningChain, startChain } from "./mod.ts";
import { MAX_EXTRINSIC_BYTES } from "./chain.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function post(url: string, body: string): Promise<{ status: number; json: any }> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: r.status, json: await r.json() };
}

function rpc(url: string, method: string, params: unknown[] = []) {
  return post(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method, params })).then((r) => r.json);
}

/** Fingerprint of the whole state, to prove bad input changed nothing. */
function fingerprint(c: RunningChain): string {
  return JSON.stringify([c.chain.head.hash, [...c.chain.state.map].sort()]);
}

const t = suite("dev chain");
let c: RunningChain;
let api: ApiPromise;
const kr = new Keyring({ type: "sr25519" });
let alice: any;

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

t("HTTP POST answers system_* and lists its methods", async () => {
  assert.equal((await rpc(c.httpUrl, "system_properties")).result, {
    ss58Format: 42,
    tokenDecimals: 7,
    tokenSymbol: "TFT",
  });
  const methods: string[] = (await rpc(c.httpUrl, "rpc_methods")).result.methods;
  for (
    const m of [
      "chain_getBlockHash",
      "state_getMetadata",
      "state_queryStorageAt",
      "author_submitAndWatchExtrinsic",
      "payment_queryInfo",
      "system_accountNextIndex",
      "state_getKeysPaged",
    ]
  ) {
    assert.ok(methods.includes(m), m);
  }
  const h0 = (await rpc(c.httpUrl, "chain_getBlockHash", [0])).result;
  assert.is(h0, c.chain.genesisHash);
  const hdr = (await rpc(c.httpUrl, "chain_getHeader", [h0])).result;
  assert.is(hdr.number, "0x0");
  // the header hash is the blake2-256 of the SCALE header, as polkadot-js computes it
  assert.is(api.registry.createType("Header", hdr).hash.toHex(), h0);
  const md = (await rpc(c.httpUrl, "state_getMetadata")).result as string;
  assert.ok(md.startsWith("0x6d657461"), "metadata starts with the 'meta' magic");
});

t("malformed JSON-RPC gets standard errors and the chain stays up", async () => {
  const before = fingerprint(c);
  assert.is((await post(c.httpUrl, "{not json")).json.error.code, -32700);
  assert.is(
    (await post(c.httpUrl, JSON.stringify({ id: 1, method: "system_chain" }))).json.error.code,
    -32600,
  );
  assert.is((await post(c.httpUrl, JSON.stringify([]))).json.error.code, -32600);
  assert.is((await rpc(c.httpUrl, "no_suchMethod")).error.code, -32601);
  assert.is(
    (await post(
      c.httpUrl,
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "state_getStorage", params: { k: 1 } }),
    )).json.error.code,
    -32602,
  );
  assert.is((await rpc(c.httpUrl, "state_getStorage", ["nothex"])).error.code, -32602);
  assert.is((await rpc(c.httpUrl, "chain_getBlockHash", [-1])).error.code, -32602);
  assert.is((await rpc(c.httpUrl, "chain_getHeader", ["0x" + "ab".repeat(32)])).error.code, 4003);
  assert.is(
    (await rpc(c.httpUrl, "chain_subscribeNewHeads")).error.code,
    -32601,
    "no subscriptions over HTTP",
  );
  // a batch mixes good and bad entries
  const batch =
    (await post(c.httpUrl, JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "system_chain" }, 5]))).json;
  assert.is(batch[0].result, "zos-ts dev chain");
  assert.is(batch[1].error.code, -32600);
  // over WebSocket too, including binary garbage
  const ws = new WebSocket(c.url);
  await new Promise((r) => ws.once("open", r));
  const replies: any[] = [];
  ws.on("message", (d) => replies.push(JSON.parse(d.toString())));
  ws.send("][");
  ws.send(new Uint8Array([1, 2, 3]));
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "system_health", params: [] }));
  // subscriptions per connection are bounded
  ws.send(
    JSON.stringify(
      Array.from(
        { length: 1025 },
        (_, i) => ({ jsonrpc: "2.0", id: 100 + i, method: "state_subscribeRuntimeVersion", params: [] }),
      ),
    ),
  );
  await new Promise((r) => setTimeout(r, 300));
  ws.close();
  assert.is(replies[0].error.code, -32700);
  assert.is(replies[1].error.code, -32700);
  assert.equal(replies[2].result, { peers: 0, isSyncing: false, shouldHavePeers: false });
  const batchReply = replies.find((m) => Array.isArray(m)) as any[];
  assert.ok(batchReply, "the batch was answered");
  assert.is(batchReply.filter((r: any) => typeof r.result === "string").length, 1024);
  assert.is(batchReply[1024].error.code, -32000);
  // storage of an unknown pallet is simply absent, as on a real chain
  assert.is((await rpc(c.httpUrl, "state_getStorage", ["0x" + "99".repeat(32)])).result, null);
  assert.is(fingerprint(c), before);
});

t(
  "bad signatures, wrong nonces, oversized and undecodable extrinsics are refused; state unchanged",
  async () => {
    const bob = c.devAccounts[1].address;
    const nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    const good = await api.tx.balances.transfer(bob, 1000).signAsync(alice, { nonce });
    const before = fingerprint(c);
    // flip one bit of the signature
    const u8 = good.toU8a();
    const sig = good.signature.toU8a();
    const at = Buffer.from(u8).indexOf(Buffer.from(sig));
    assert.ok(at > 0);
    const bad = new Uint8Array(u8);
    bad[at + 5] ^= 0x01;
    let r = await rpc(c.httpUrl, "author_submitExtrinsic", ["0x" + Buffer.from(bad).toString("hex")]);
    assert.is(r.error.code, 1010);
    assert.match(r.error.data, /bad signature/);
    // a signature by another key over the same payload
    const mallory = kr.addFromUri(mnemonicGenerate(12));
    const forged = new Uint8Array(u8);
    forged.set(mallory.sign(new Uint8Array(64)), at);
    r = await rpc(c.httpUrl, "author_submitExtrinsic", ["0x" + Buffer.from(forged).toString("hex")]);
    assert.is(r.error.code, 1010);
    r = await rpc(c.httpUrl, "author_submitExtrinsic", ["0x1234"]);
    assert.is(r.error.code, 1001);
    r = await rpc(c.httpUrl, "author_submitExtrinsic", ["0x" + "00".repeat(MAX_EXTRINSIC_BYTES + 1)]);
    assert.is(r.error.code, 1010);
    assert.match(r.error.data, /exhaust the block limits/);
    // an account without funds cannot pay the fee
    const poor = kr.addFromUri(mnemonicGenerate(12));
    const poorTx = await api.tx.balances.transfer(bob, 1).signAsync(poor, { nonce: 0 });
    r = await rpc(c.httpUrl, "author_submitExtrinsic", [poorTx.toHex()]);
    assert.is(r.error.code, 1010);
    assert.match(r.error.data, /Inability to pay some fees/);
    assert.is(fingerprint(c), before);
    // the good one goes through; replaying it is outdated
    const hash = (await rpc(c.httpUrl, "author_submitExtrinsic", [good.toHex()])).result;
    assert.match(hash, /^0x[0-9a-f]{64}$/);
    await new Promise((res) => setTimeout(res, 100));
    assert.is((await api.rpc.system.accountNextIndex(alice.address)).toNumber(), nonce + 1);
    r = await rpc(c.httpUrl, "author_submitExtrinsic", [good.toHex()]);
    assert.is(r.error.code, 1010);
    assert.match(r.error.data, /outdated/);
  },
);

t("tips are charged, immortal and mortal eras accepted, an expired era refused", async () => {
  const bob = c.devAccounts[1].address;
  const events = await new Promise<any[]>((resolve, reject) => {
    api.tx.balances.transfer(bob, 1).signAndSend(alice, { tip: 12_345, era: 0 }, (r: ISubmittableResult) => {
      if (r.status.isInBlock) resolve(r.events.map((e) => [e.event.method, e.event.data.toPrimitive()]));
    }).catch(reject);
  });
  const paid = events.find(([m]) => m === "TransactionFeePaid")![1];
  assert.is(Number(paid[2]), 12_345);
  const withdraw = events.find(([m]) => m === "Withdraw")![1];
  assert.is(BigInt(withdraw[1]), BigInt(paid[1]) + 12_345n);
  // mortal era of 4 blocks, born at the current head; then the chain moves 8 blocks on
  const head = c.chain.head;
  const nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  const era = api.registry.createType("ExtrinsicEra", { current: head.number, period: 4 });
  const mortal = await api.tx.balances.transfer(bob, 1).signAsync(alice, {
    nonce,
    era,
    blockHash: head.hash,
  });
  for (let i = 0; i < 8; i++) c.chain.produceBlock();
  const r = await rpc(c.httpUrl, "author_submitExtrinsic", [mortal.toHex()]);
  assert.is(r.error.code, 1010, JSON.stringify(r));
  const fresh = await api.tx.balances.transfer(bob, 1).signAsync(alice, {
    nonce,
    era: api.registry.createType("ExtrinsicEra", { current: c.chain.head.number, period: 4 }),
    blockHash: c.chain.head.hash,
  });
  assert.match((await rpc(c.httpUrl, "author_submitExtrinsic", [fresh.toHex()])).result, /^0x/);
  await new Promise((res) => setTimeout(res, 100));
});

t("future nonces wait in the pool until the gap is filled", async () => {
  const bob = c.devAccounts[1].address;
  const n = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  const later = await api.tx.balances.transfer(bob, 7).signAsync(alice, { nonce: n + 1 });
  await rpc(c.httpUrl, "author_submitExtrinsic", [later.toHex()]);
  await new Promise((res) => setTimeout(res, 50));
  assert.is((await rpc(c.httpUrl, "author_pendingExtrinsics")).result.length, 1);
  const now = await api.tx.balances.transfer(bob, 7).signAsync(alice, { nonce: n });
  await rpc(c.httpUrl, "author_submitExtrinsic", [now.toHex()]);
  await new Promise((res) => setTimeout(res, 100));
  assert.is((await rpc(c.httpUrl, "author_pendingExtrinsics")).result.length, 0);
  assert.is((await api.rpc.system.accountNextIndex(alice.address)).toNumber(), n + 2);
});

t("a future transaction whose era expires is dropped from the pool", async () => {
  const n = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  const head = c.chain.head;
  const era = api.registry.createType("ExtrinsicEra", { current: head.number, period: 4 });
  const far = await api.tx.balances.transfer(c.devAccounts[1].address, 1).signAsync(alice, {
    nonce: n + 5,
    era,
    blockHash: head.hash,
  });
  assert.match((await rpc(c.httpUrl, "author_submitExtrinsic", [far.toHex()])).result, /^0x/);
  assert.is((await rpc(c.httpUrl, "author_pendingExtrinsics")).result.length, 1);
  for (let i = 0; i < 8; i++) c.chain.produceBlock();
  assert.is((await rpc(c.httpUrl, "author_pendingExtrinsics")).result.length, 0);
});

t("unsupported calls fail with a dispatch error, never a silent success", async () => {
  const logs: string[] = [];
  const result = await new Promise<{ failed: boolean; other: boolean }>((resolve, reject) => {
    api.tx.tfgridModule.setZosVersion("v3.99").signAndSend(alice, (r: ISubmittableResult) => {
      if (!r.status.isInBlock) return;
      const ev = r.events.find((e) => e.event.method === "ExtrinsicFailed");
      resolve({ failed: Boolean(ev), other: Boolean(ev && (ev.event.data[0] as any).isOther) });
    }).catch(reject);
  });
  assert.ok(result.failed && result.other);
  const zos = await api.query.tfgridModule.zosVersion();
  assert.is(zos.toHex(), "0x");
  void logs;
});

t("payment_queryInfo and storage reads at older blocks", async () => {
  const tx = await api.tx.balances.transfer(c.devAccounts[1].address, 5).signAsync(alice);
  const info = await api.rpc.payment.queryInfo(tx.toHex());
  assert.ok(info.partialFee.toBigInt() > 0n);
  const key = api.query.system.account.key(c.devAccounts[1].address);
  const h1 = c.chain.head.hash;
  const v1 = (await rpc(c.httpUrl, "state_getStorage", [key, h1])).result;
  await new Promise<void>((resolve, reject) => {
    tx.send((r) => {
      if (r.status.isInBlock) resolve();
    }).catch(reject);
  });
  const v2 = (await rpc(c.httpUrl, "state_getStorage", [key])).result;
  assert.is.not(v1, v2);
  assert.is((await rpc(c.httpUrl, "state_getStorage", [key, h1])).result, v1);
  const keys = (await rpc(c.httpUrl, "state_getKeysPaged", [api.query.system.account.keyPrefix(), 2])).result;
  assert.is(keys.length, 2);
});

t("key listings at an older block leave out keys created later", async () => {
  const prefix = api.query.system.account.keyPrefix();
  const h = c.chain.head.hash;
  const fresh = kr.addFromUri(mnemonicGenerate(12)).address;
  await new Promise<void>((resolve, reject) => {
    api.tx.balances.transfer(fresh, 100_000).signAndSend(alice, (r: ISubmittableResult) => {
      if (r.status.isInBlock) resolve();
    }).catch(reject);
  });
  const key = api.query.system.account.key(fresh);
  const then: string[] = (await rpc(c.httpUrl, "state_getKeysPaged", [prefix, 1000, null, h])).result;
  const now: string[] = (await rpc(c.httpUrl, "state_getKeysPaged", [prefix, 1000])).result;
  assert.not.ok(then.includes(key));
  assert.ok(now.includes(key));
  assert.is(now.length, then.length + 1);
  const entries = await (await api.at(h)).query.system.account.entries();
  assert.is(entries.length, then.length);
});

t.run();

const p = suite("dev chain persistence");

p("state and blocks survive a clean restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "zt-chain-"));
  try {
    let chain = await startChain({ stateDir: dir, blockTimeMs: 0, log: () => {} });
    const a = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
    const sender = kr.addFromUri(chain.devAccounts[0].mnemonic);
    const to = kr.addFromUri(mnemonicGenerate(12)).address;
    await new Promise<void>((resolve, reject) => {
      a.tx.balances.transfer(to, 123_456_789).signAndSend(sender, (r) => {
        if (r.status.isInBlock) resolve();
      }).catch(reject);
    });
    const head = chain.chain.head;
    const genesis = chain.chain.genesisHash;
    const accounts = chain.devAccounts;
    await a.disconnect();
    await chain.stop();
    chain = await startChain({ stateDir: dir, blockTimeMs: 0, log: () => {} });
    try {
      assert.is(chain.chain.genesisHash, genesis);
      assert.is(chain.chain.head.hash, head.hash);
      assert.equal(chain.devAccounts, accounts);
      const b = await startedBalance(chain, to);
      assert.is(b, 123_456_789n);
    } finally {
      await chain.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function startedBalance(chain: RunningChain, address: string): Promise<bigint> {
  const a = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
  try {
    return BigInt(
      ((await a.query.system.account(address)).toJSON() as { data: { free: number | string } }).data.free,
    );
  } finally {
    await a.disconnect();
  }
}

p("kill -9 mid-run loses nothing that was announced; a torn log line is ignored", async () => {
  const dir = mkdtempSync(join(tmpdir(), "zt-chain-"));
  const deno = join(root, "node_modules", "deno", "deno");
  const code = `import { startChain } from ${JSON.stringify(new URL("./mod.ts", import.meta.url).href)};
const c = await startChain({ stateDir: ${JSON.stringify(dir)}, blockTimeMs: 15, log: () => {} });
c.chain.on("block", (b) => console.log(b.number + " " + b.hash));`;
  const child = spawn(deno, ["eval", code], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d) => {
        buf += d.toString();
        const parts = buf.split("\n");
        buf = parts.pop()!;
        lines.push(...parts);
        if (lines.length >= 40) resolve();
      });
      child.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
      const timer = setTimeout(() => reject(new Error("child produced no blocks")), 30_000);
      child.stdout.once("close", () => clearTimeout(timer));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const [lastNum, lastHash] = lines[lines.length - 1].split(" ");
    appendFileSync(join(dir, "chain.log"), '{"number": 99999, "hash": "0xtorn');
    const chain = await startChain({ stateDir: dir, blockTimeMs: 0, log: () => {} });
    try {
      assert.ok(
        chain.chain.head.number >= Number(lastNum),
        `head ${chain.chain.head.number} < announced ${lastNum}`,
      );
      assert.is(chain.chain.blockByNumber(Number(lastNum))?.hash, lastHash);
      // the chain continues on top of the recovered head
      const next = chain.chain.produceBlock();
      assert.is(next.header.parentHash, chain.chain.blockByNumber(next.number - 1)?.hash);
      assert.ok(readFileSync(join(dir, "chain.log"), "utf8").length > 0);
      // and blocks appended after the recovery survive the next restart
      chain.chain.produceBlock();
    } finally {
      await chain.stop();
    }
    const again = await startChain({ stateDir: dir, blockTimeMs: 0, log: () => {} });
    try {
      assert.ok(again.chain.head.number >= Number(lastNum) + 2);
    } finally {
      await again.stop();
    }
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

p("timed mode produces blocks on its own and subscriptions see them", async () => {
  const chain = await startChain({ blockTimeMs: 40, log: () => {} });
  const a = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
  try {
    const numbers: number[] = [];
    const unsub = await a.rpc.chain.subscribeNewHeads((h) => {
      numbers.push(h.number.toNumber());
    });
    await new Promise((r) => setTimeout(r, 400));
    unsub();
    assert.ok(numbers.length >= 4, `saw ${numbers.length} heads`);
    for (let i = 1; i < numbers.length; i++) assert.is(numbers[i], numbers[i - 1] + 1);
    const now = Number((await a.query.timestamp.now()).toPrimitive());
    assert.ok(Math.abs(now - Date.now()) < 5_000);
  } finally {
    await a.disconnect();
    await chain.stop();
  }
});

p.run();
