// The hand-encoded Finish / Release frames must be exactly what capnp-es encodes for the same messages.
import * as $ from "capnp-es";
import * as R from "capnp-es/capnp/rpc";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { finishFrame, frameOf, newMessage, releaseFrame } from "./wire.ts";

function viaCapnpEs(build: (m: R.Message) => void): number[] {
  const msg = new $.Message();
  build(msg.initRoot(R.Message));
  return Array.from(new Uint8Array(msg.toArrayBuffer()));
}

const t = suite("wire");

t("finishFrame = capnp-es Finish{questionId, releaseResultCaps: false}", () => {
  for (const id of [0, 1, 77, 0xffffffff]) {
    const want = viaCapnpEs((m) => {
      const f = m._initFinish();
      f.questionId = id;
      f.releaseResultCaps = false;
    });
    assert.equal(Array.from(finishFrame(id)), want);
    const back = new $.Message(finishFrame(id), false, false).getRoot(R.Message);
    assert.is(back.which(), R.Message.FINISH);
    assert.is(back.finish.questionId, id);
    assert.is(back.finish.releaseResultCaps, false);
  }
});

t("releaseFrame = capnp-es Release{id, referenceCount}", () => {
  const want = viaCapnpEs((m) => {
    const r = m._initRelease();
    r.id = 5;
    r.referenceCount = 3;
  });
  assert.equal(Array.from(releaseFrame(5, 3)), want);
});

t("newMessage builds the same bytes as a default capnp-es message", () => {
  const a = newMessage();
  const c = a.initRoot(R.Message)._initCall();
  c.questionId = 9;
  c.methodId = 2;
  const want = viaCapnpEs((m) => {
    const d = m._initCall();
    d.questionId = 9;
    d.methodId = 2;
  });
  assert.equal(Array.from(new Uint8Array(a.toArrayBuffer())), want);
});

t("frameOf = capnp-es toArrayBuffer, small and grown messages", () => {
  for (const size of [0, 5, 300, 600, 70_000]) {
    // 600 B and 70 kB outgrow newMessage's first 512-byte buffer (the arena grows it); frames must still match.
    const m = newMessage();
    const c = m.initRoot(R.Message)._initCall();
    c.questionId = size;
    c.interfaceId = 0x1234_5678_9abc_def0n;
    if (size) c._initParams().content = (() => {
      const t = new $.Message().initRoot(R.Exception);
      t.reason = "x".repeat(size);
      return t;
    })();
    const want = Array.from(new Uint8Array(m.toArrayBuffer()));
    const got = frameOf(m);
    assert.equal(Array.from(got), want, `size ${size}`);
    assert.is(got.byteOffset, 0);
    const back = new $.Message(got, false, false).getRoot(R.Message);
    assert.is(back.call.questionId, size);
  }
});

t.run();
