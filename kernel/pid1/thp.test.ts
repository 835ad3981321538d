import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { limitHugePages } from "./thp.ts";
import { tempDir } from "../../tools/test-tmp.ts";

// A stand-in for /sys/kernel/mm/transparent_hugepage/enabled (test double: the host's sysfs is not ours to
// change); sysfs shows the mode chosen in brackets, a plain file shows what was written.
const sysfsFile = (content: string) => {
  const f = join(tempDir("zt-imagemem-thp-"), "enabled");
  writeFileSync(f, content);
  return f;
};

test("PID 1 sets madvise when the command line does not choose", () => {
  const f = sysfsFile("[always] madvise never\n");
  const note = limitHugePages("console=ttyS0 panic=-1 runmode=dev", f);
  assert.is(readFileSync(f, "utf8"), "madvise");
  assert.match(note, /^transparent huge pages: /);
});

test("the command line's choice is kept and the file left alone", () => {
  for (const mode of ["always", "never", "madvise"]) {
    const f = sysfsFile("[always] madvise never\n");
    assert.is(limitHugePages(`console=ttyS0 transparent_hugepage=${mode} runmode=dev`, f), `transparent huge pages: ${mode} (kernel command line)`);
    assert.is(readFileSync(f, "utf8"), "[always] madvise never\n");
  }
  // a word that only ends in the name is not the parameter
  const f = sysfsFile("[always] madvise never\n");
  limitHugePages("console=ttyS0 no_transparent_hugepage=never", f);
  assert.is(readFileSync(f, "utf8"), "madvise");
});

test("a kernel without THP (no such file): boot goes on and the trace says why", () => {
  const note = limitHugePages("console=ttyS0", join(tempDir("zt-imagemem-thp-"), "missing", "enabled"));
  assert.match(note, /^transparent huge pages: left as they are \(.*ENOENT/);
});

test.run();
