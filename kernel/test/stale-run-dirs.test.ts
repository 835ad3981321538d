import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimRunDir, PID_FILE, sweepStaleRunDirs } from "../stale-run-dirs.ts";

const s = suite("stale run dirs");

s("removes run dirs of dead kernels, keeps live ones, ours, foreign names and dirs without a pid file", () => {
  const parent = mkdtempSync(join(tmpdir(), "zt-rundirs-"));
  try {
    const mine = join(parent, "zos-kernel-aaaaaaaaaaaa");
    const dead = join(parent, "zos-kernel-bbbbbbbbbbbb");
    const live = join(parent, "zos-kernel-cccccccccccc");
    const nopid = join(parent, "zos-kernel-dddddddddddd");
    const other = join(parent, "not-a-kernel");
    for (const d of [mine, dead, live, nopid, other]) mkdirSync(join(d, "api"), { recursive: true });
    claimRunDir(mine);
    // a pid that certainly exited: a child we waited for
    const gone = spawnSync("true").pid!;
    writeFileSync(join(dead, PID_FILE), `${gone}\n`);
    writeFileSync(join(live, PID_FILE), `${process.pid}\n`);
    writeFileSync(join(other, PID_FILE), `${gone}\n`);
    const removed = sweepStaleRunDirs(mine);
    assert.equal(removed, [dead]);
    assert.not.ok(existsSync(dead));
    for (const d of [mine, live, nopid, other]) assert.ok(existsSync(d), d);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

s.run();
