// PID 1's clock keeping against the real dev chain on loopback: a node clock that jumped 5 days ahead (what
// a TCG guest's clock did in the power-cut vm-test: every uptime report then failed with InvalidTimestampHint
// and every RMB request looked expired) is stepped back to the chain's time; a right clock is left alone;
// an unreachable chain changes nothing. The host's own clock is never touched: the clock the sync reads and
// sets here is a skewed copy of it (a test double for clock_settime, which only the image's PID 1 calls).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer } from "node:net";
import { startChain, type RunningChain } from "../../grid/chain/mod.ts";
import { describeOffset, keepClock, offsetFromDate, readChainClock, rpcHttpUrl, syncClock } from "./clock-sync.ts";

const DAYS_5 = 5 * 86_400_000 + 123_456;

/** A wall clock `skew` ms off the host's, that the sync can set. */
function skewedClock(skew: number) {
  const c = {
    skew,
    sets: 0,
    now: () => Date.now() + c.skew,
    setClock: (unixMs: number) => {
      c.sets++;
      c.skew = unixMs - Date.now();
    },
  };
  return c;
}

let chain: RunningChain;

test.before(async () => {
  chain = await startChain({ log: () => {} });
});
test.after(async () => {
  await chain?.stop();
});

test("URLs and the Date arithmetic", () => {
  assert.is(rpcHttpUrl("ws://10.0.2.2:41105"), "http://10.0.2.2:41105/");
  assert.is(rpcHttpUrl("wss://tfchain.grid.tf/ws"), "https://tfchain.grid.tf/ws");
  assert.throws(() => rpcHttpUrl("ftp://x"), /not a substrate URL/);
  const t = Date.parse("Thu, 03 Dec 2026 00:44:09 GMT");
  // sent 100 ms before, received 100 ms after the server's second began +500 ms: no offset
  assert.is(offsetFromDate("Thu, 03 Dec 2026 00:44:09 GMT", t + 400, t + 600), 0);
  assert.is(offsetFromDate("Thu, 03 Dec 2026 00:44:09 GMT", t + 500 - DAYS_5, t + 500 - DAYS_5), DAYS_5);
  assert.throws(() => offsetFromDate("soon", 0, 0), /not a date/);
  assert.is(describeOffset(-461043200), "-461043.2 s");
});

test("a clock 5 days ahead is stepped back to the chain's time; the chain would take its uptime hint again", async () => {
  const c = skewedClock(DAYS_5);
  // what the registrar sends as timestamp_hint, against the chain's rule (|hint − block time| ≤ 60 s)
  const hintOk = () => Math.abs(Math.floor(c.now() / 1000) - Math.floor(Date.now() / 1000)) <= 60;
  assert.not.ok(hintOk());
  const r = await syncClock({ urls: [chain.url], now: c.now, setClock: c.setClock });
  assert.ok(r.stepped);
  assert.is(c.sets, 1);
  assert.ok(Math.abs(r.offsetMs + DAYS_5) < 2000, `offset ${r.offsetMs}`);
  assert.ok(Math.abs(c.skew) < 2000, `after the step the clock is ${c.skew} ms off`);
  assert.ok(hintOk());
});

test("a clock that is right (or a few seconds off) is left alone", async () => {
  const c = skewedClock(0);
  const r = await syncClock({ urls: [chain.url], now: c.now, setClock: c.setClock });
  assert.not.ok(r.stepped);
  assert.is(c.sets, 0);
  assert.ok(Math.abs(r.offsetMs) < 2000);
  const late = skewedClock(-90_000);
  assert.ok((await syncClock({ urls: [chain.url], now: late.now, setClock: late.setClock })).stepped);
  assert.ok(Math.abs(late.skew) < 2000);
});

test("an endpoint that does not answer is skipped; none answering changes nothing and says so", async () => {
  const dead = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
  const c = skewedClock(DAYS_5);
  const r = await syncClock({ urls: [`ws://127.0.0.1:${dead}`, chain.url], now: c.now, setClock: c.setClock, timeoutMs: 2000 });
  assert.is(r.url, chain.url);
  assert.ok(Math.abs(c.skew) < 2000);
  const d = skewedClock(DAYS_5);
  const err = await syncClock({ urls: [`ws://127.0.0.1:${dead}`], now: d.now, setClock: d.setClock, timeoutMs: 2000 }).catch((e: Error) => e);
  assert.instance(err, Error);
  assert.match((err as Error).message, /no chain endpoint told the time: ws:\/\/127\.0\.0\.1/);
  assert.is(d.sets, 0);
  assert.is(d.skew, DAYS_5);
});

test("the keeper steps a clock that jumps after boot, and logs only the step", async () => {
  const c = skewedClock(0);
  const lines: string[] = [];
  const stop = keepClock({ urls: [chain.url], now: c.now, setClock: c.setClock, intervalMs: 100, log: (l) => lines.push(l) });
  try {
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(lines, []);
    c.skew = DAYS_5; // the jump
    const end = Date.now() + 10_000;
    while (Math.abs(c.skew) > 2000 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(Math.abs(c.skew) < 2000, `the keeper left the clock ${c.skew} ms off`);
    assert.is(lines.length, 1);
    assert.match(lines[0], /^zos-boot: clock: stepped -43\d{4}\.\d s to the time of ws:\/\/127\.0\.0\.1:\d+/);
  } finally {
    stop();
  }
});

test("a reading names the endpoint and its round trip", async () => {
  const r = await readChainClock(chain.url);
  assert.is(r.url, chain.url);
  assert.ok(r.rttMs >= 0 && r.rttMs < 5000);
});

test.run();
