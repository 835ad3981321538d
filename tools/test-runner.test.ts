import { suite } from "uvu";
import * as assert from "uvu/assert";
import { declaredTimeoutS, parseUvuSummary } from "./test-runner.ts";

const s = suite("test-runner");
s("parses uvu's closing block, with or without colour", () => {
  const out = "\n  Total:     3\n  Passed:    2\n  Skipped:   0\n  Duration:  1ms\n";
  assert.equal(parseUvuSummary(out), { total: 3, passed: 2, skipped: 0 });
  assert.equal(parseUvuSummary("\x1b[2m  Total:     \x1b[0m4\n  Passed:    4\n"), { total: 4, passed: 4, skipped: 0 });
});
s("returns null when a suite died before its summary", () => {
  assert.is(parseUvuSummary("error: Uncaught Error: boom"), null);
});
s("a file's own `// test-timeout: N` line raises its limit; anything else leaves the default", () => {
  assert.is(declaredTimeoutS("// test-timeout: 1500\n// the QEMU boot\nimport x from 'y';\n"), 1500);
  assert.is(declaredTimeoutS("import x from 'y';\n// test-timeout: 90\n"), 90);
  assert.is(declaredTimeoutS("// test-timeout: soon\n"), null);
  assert.is(declaredTimeoutS("const s = '// test-timeout: 1500';\n"), null);
  assert.is(declaredTimeoutS("x".repeat(5000) + "\n// test-timeout: 1500\n"), null, "only the file's head counts");
});

s.run();
