// rootOnly: root-only checks run as root, fail (not skip) under CI without root, and are reported as not
// checked elsewhere.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { needs, rootOnly, testEnv } from "./test-env.ts";

test("root: the check runs", () => {
  assert.is(rootOnly("x", { uid: 0, ci: true }), true);
  assert.is(rootOnly("x", { uid: 0, ci: false }), true);
});

test("CI without root: fails, naming what could not be checked", () => {
  assert.throws(() => rootOnly("modules get their own uid", { uid: 1000, ci: true }), /modules get their own uid: needs root \(uid 1000\); CI provides it/);
});

test("a developer's machine without root: reported as not checked, no failure", () => {
  assert.is(rootOnly("x", { uid: 1000, ci: false }), false);
});

test("anything else a check needs: the same rule (runs when present, fails under CI, reported elsewhere)", () => {
  assert.is(needs("pools", true, "/dev/loop-control", { uid: 1000, ci: true }), true);
  assert.throws(() => needs("pools", false, "/dev/loop-control", { uid: 0, ci: true }), /pools: needs \/dev\/loop-control; CI provides it/);
  assert.is(needs("pools", false, "/dev/loop-control", { uid: 0, ci: false }), false);
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
