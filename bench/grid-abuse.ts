// How responsive the dev grid's relay stays while one account attacks the chain that shares its thread
// (issue 18, attack 7): (a) 15 KiB of nested batches (5,000 remark calls) submitted in a loop — before
// the fix it was decoded each time; (b) the largest nested batch the chain still decodes (4 KiB, ~1,300
// remarks, valid, so it pays ~1.4 TFT each), while /metrics of the relay is fetched every 50 ms. Prints the
// /metrics latency without and with each attack, and how the chain answered.
//   node_modules/deno/deno run -A bench/grid-abuse.ts [--seconds 10]
import { parseArgs } from "node:util";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { startChain } from "../grid/chain/mod.ts";
import { startRelay } from "../grid/relay/mod.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" } } });
const seconds = Number(values.seconds);
await cryptoWaitReady();
const chain = await startChain({ blockTimeMs: 1000, log: () => {} });
const relay = await startRelay({ chainUrl: chain.url, log: () => {} });
const api = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
const alice = new Keyring({ type: "sr25519" }).addFromUri(chain.devAccounts[0].mnemonic);
const metricsUrl = relay.url.replace("ws://", "http://") + "/metrics";

async function sampleMetrics(ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const t0 = performance.now();
    await (await fetch(metricsUrl)).text();
    out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 50));
  }
  return out.sort((a, b) => a - b);
}
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const idle = await sampleMetrics(seconds * 500);
const remarks = (n: number) => Array.from({ length: n }, () => api.tx.system.remark("0x"));
console.log(`relay /metrics idle:        p50 ${pct(idle, 0.5).toFixed(1)} ms, p99 ${pct(idle, 0.99).toFixed(1)} ms, max ${idle[idle.length - 1].toFixed(1)} ms (${idle.length} samples)`);

async function attack(name: string, build: () => Promise<string>): Promise<void> {
  const answers = new Map<string, number>();
  let attacking = true;
  const loop = (async () => {
    while (attacking) {
      const hex = await build();
      const r = await fetch(chain.httpUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "author_submitExtrinsic", params: [hex] }),
      }).then((x) => x.json());
      const key = r.error ? String(r.error.data ?? r.error.message).replace(/\d+/g, "N").slice(0, 80) : "accepted";
      answers.set(key, (answers.get(key) ?? 0) + 1);
    }
  })();
  const busy = await sampleMetrics(seconds * 1000);
  attacking = false;
  await loop;
  console.log(`relay /metrics under ${name}: p50 ${pct(busy, 0.5).toFixed(1)} ms, p99 ${pct(busy, 0.99).toFixed(1)} ms, max ${busy[busy.length - 1].toFixed(1)} ms (${busy.length} samples)`);
  for (const [k, n] of answers) console.log(`  chain answered ${n}×: ${k}`);
}

const bomb = (await api.tx.utility.batch(Array.from({ length: 5 }, () => api.tx.utility.batch(remarks(1000)))).signAsync(alice, { nonce: -1 })).toHex();
console.log(`(a) ${bomb.length / 2 - 1} bytes, 5 nested batches of 1000 remarks`);
await attack("(a)", () => Promise.resolve(bomb));
const inner = remarks(320);
// signed before the run (the bench shares the thread with the chain and relay; signing is not the attack)
const first = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
const signed: string[] = [];
for (let i = 0; i < 4 * seconds; i++) {
  signed.push((await api.tx.utility.batch(Array.from({ length: 4 }, () => api.tx.utility.batch(inner))).signAsync(alice, { nonce: first + i })).toHex());
}
console.log(`(b) ${signed[0].length / 2 - 1} bytes, 4 nested batches of 320 remarks (valid: each is included and pays its fee)`);
let next = 0;
await attack("(b)", () => Promise.resolve(signed[next++ % signed.length]));
await api.disconnect();
await relay.stop();
await chain.stop();
process.exit(0);
