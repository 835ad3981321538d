// The defect list stays in step with the code: every edit of `npm run defects` still applies to the tree
// (its text occurs exactly once), so a refactor cannot quietly turn the defect check into a no-op. The full
// check (each defect made, its suites red) is `npm run defects`; it takes minutes, so it is not run here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFECTS } from "./list.ts";
import { applyDefect } from "./main.ts";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

test("all eight defects of issue 17 are listed, each with suites that exist", () => {
  assert.equal(DEFECTS.map((d) => d.id), ["1", "2", "3", "4", "5", "6", "7", "8"]);
  for (const d of DEFECTS) {
    assert.ok(d.tests.length > 0, `defect ${d.id} names no suite`);
    for (const t of d.tests) assert.ok(existsSync(join(root, t)), `defect ${d.id}: suite ${t} does not exist`);
  }
});

test("every defect still applies to the code and changes it", () => {
  for (const d of DEFECTS) {
    const dir = mkdtempSync(join(tmpdir(), "zt-defects-list-"));
    try {
      for (const e of d.edits) {
        const dst = join(dir, e.file);
        mkdirSync(dirname(dst), { recursive: true });
        writeFileSync(dst, readFileSync(join(root, e.file)));
      }
      assert.is(applyDefect(dir, d), null, `defect ${d.id}`);
      for (const e of d.edits) {
        const after = readFileSync(join(dir, e.file), "utf8");
        assert.ok(after.includes(e.replace) && after !== readFileSync(join(root, e.file), "utf8"), `defect ${d.id} changes ${e.file}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("an edit whose text is gone is reported as stale, naming the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "zt-defects-list-"));
  try {
    const d = DEFECTS[2];
    mkdirSync(join(dir, dirname(d.edits[0].file)), { recursive: true });
    writeFileSync(join(dir, d.edits[0].file), "// moved on\n");
    assert.match(applyDefect(dir, d) ?? "", `${d.edits[0].file} no longer contains`);
    writeFileSync(join(dir, d.edits[0].file), `${d.edits[0].find}\n${d.edits[0].find}\n`);
    assert.match(applyDefect(dir, d) ?? "", "more than once");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
