// rootOnly: root-only checks run as root, fail (not skip) under CI without root, and are reported as not
// checked elsewhere.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rootOnly, testEnv } from "./test-env.ts";

test("root: the check runs", () => {
  assert.is(rootOnly("x", { uid: 0, ci: true }), true);
  assert.is(rootOnly("x", { uid: 0, ci: false }), true);
});

test("CI without root: fails, naming what could not be checked", () => {
  assert.throws(() => rootOnly("modules get their own uid", { uid: 1000, ci: true }), /modules get their own uid: needs root \(uid 1000\); CI runs as root/);
});

test("a developer's machine without root: reported as not checked, no failure", () => {
  assert.is(rootOnly("x", { uid: 1000, ci: false }), false);
});

test("CI is read from the environment as .ci/run sets it", () => {
  const before = process.env.CI;
  try {
    process.env.CI = "true";
    assert.is(testEnv().ci, true);
    process.env.CI = "";
    assert.is(testEnv().ci, false);
  } finally {
    if (before === undefined) delete process.env.CI;
    else process.env.CI = before;
  }
});

test.run();
