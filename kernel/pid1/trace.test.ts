// PID 1 echoes kernel events on the console for the boot (the first 1000); a live upgrade's events come
// later, and the farmer reading the serial console must still see a rollback and its reason.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tracer } from "./trace.ts";

test("after the boot's 1000 events the console gets no more, except a live upgrade's", () => {
  const lines: string[] = [];
  const t = new Tracer(null, (l) => lines.push(l));
  for (let i = 0; i < 1000; i++) t.event({ event: "output", process: "kv", line: `boot ${i}` });
  assert.is(lines.length, 1000);
  t.event({ event: "output", process: "kv", line: "later" });
  t.event({ event: "upgrade-rolled-back", process: "hostfacts", reason: "hostfacts exited with code 3 after 3.0 s, before it answered ready" });
  assert.is(lines.length, 1001);
  assert.match(lines[1000], /^zos-kernel: .*"upgrade-rolled-back".*exited with code 3/);
});

test.run();
