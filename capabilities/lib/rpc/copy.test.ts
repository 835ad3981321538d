// A proxy (what the kernel's membrane is) forwards results holding a List(Struct) whose elements have
// pointers (text): capnp-es's copyFrom corrupted those (stale pointer slots erased); copy.ts fixes it.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ChainSubmitter$Client, ChainSubmitter$Server } from "../../schema/gen/chain.ts";
import { connect, memoryTransportPair } from "./mod.ts";

const t = suite("forwarded calls and returns copy struct lists with pointers intact");

function events(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    section: `section${i}`,
    method: "ExtrinsicSuccess",
    dataJson: JSON.stringify([{ weight: { refTime: 1000 + i }, class: "Normal", note: "x".repeat(i * 40) }]),
    extrinsicIndex: i - 1,
    blockHash: `0x${(i + 10).toString(16).repeat(32)}`,
  }));
}

t("results with 0, 1 and 40 events arrive unchanged through a proxy", async () => {
  const driver = new ChainSubmitter$Server({
    submit(p, r) {
      const evs = events(Number(p.argsJson));
      const inc = r._initResult()._initIncluded();
      inc.blockHash = "0xabc";
      const l = inc._initEvents(evs.length);
      evs.forEach((e, i) => Object.assign(l.get(i), e));
      return Promise.resolve();
    },
    address(_p, r) {
      r.address = "addr";
      return Promise.resolve();
    },
  });
  const [a, b] = memoryTransportPair();
  const upServer = connect(a, { bootstrap: driver, name: "driver" });
  const up = connect(b, { name: "proxy-up" });
  const [c, d] = memoryTransportPair();
  const down = connect(c, { bootstrap: up.bootstrapClientRaw(), name: "proxy-down" });
  const user = connect(d, { name: "user" });
  const cap = user.bootstrap(ChainSubmitter$Client);
  try {
    for (const n of [0, 1, 40]) {
      const r = await cap.submit((p) => {
        p.section = "tfgridModule";
        p.method = "x".repeat(64); // params with long text are copied too
        p.argsJson = String(n);
      }).promise();
      const got = r.result.included.events.toArray().map((e) => ({
        section: e.section, method: e.method, dataJson: e.dataJson, extrinsicIndex: e.extrinsicIndex, blockHash: e.blockHash,
      }));
      assert.equal(got, events(n));
      assert.is(r.result.included.blockHash, "0xabc");
    }
  } finally {
    user.close();
    down.close();
    up.close();
    upServer.close();
  }
});

t.run();
