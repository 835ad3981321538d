// Bad input at volume, the fast default (issue 14 item 4): every surface of tools/fuzz gets 1,000 generated inputs
// (FUZZ_COUNT, FUZZ_SEED override; `npm run fuzz` runs 10,000) — 0 crashes, every refusal a clear message, the
// surface still serving, its state unchanged. A failure prints the input index: `npm run fuzz -- --seed S --only I
// <surface>` feeds that one input again.
import { test } from "uvu";
import * as assert from "uvu/assert";
import process from "node:process";
import { formatReport, runSurface } from "./harness.ts";
import { SURFACES } from "./surfaces.ts";

const count = Number(process.env.FUZZ_COUNT ?? 1000);
const seed = Number(process.env.FUZZ_SEED ?? 1);

for (const s of SURFACES) {
  test(`${s.name}: ${count} generated inputs (seed ${seed}), 0 crashes, clear refusals, state unchanged, still serving`, async () => {
    const r = await runSurface(s, { count, seed });
    console.log(formatReport(r));
    assert.equal(r.crashes, [], formatReport(r));
    assert.is(r.inputs, count);
    assert.ok(r.refused > count / 2, `most inputs are bad ones (${r.refused} refused)`);
    assert.ok(r.stateUnchanged && r.aliveAfter);
  });
}

// the capnp surface's echo server may still sleep for a fuzzed duration (its `sleep` method): the answers are in
test.after(() => void setTimeout(() => process.exit(), 2000).unref());

test.run();
