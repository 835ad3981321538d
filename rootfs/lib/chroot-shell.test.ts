// The image build's and image tests' chroots must not hold copies of the host's other mounts: a copy of a node's pool
// mount would keep that node's loop device attached after its stop. Root: a tmpfs of this test's own is mounted on the
// host, then a chroot set-up in fresh namespaces lists its mounts (through its own /proc).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { chrootShell } from "./chroot-shell.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { needs } from "../../tools/test-env.ts";

test("inside the chroot's namespace the host's other mounts are gone; on the host they stay", () => {
  if (!needs("the chroot mount test", process.getuid?.() === 0, "root")) return;
  const dir = tempDir("zt-chroot-shell-");
  const root = join(dir, "root");
  const foreign = join(dir, "foreign");
  mkdirSync(join(root, "proc"), { recursive: true });
  mkdirSync(foreign, { recursive: true });
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "zt-chroot-shell", foreign], { encoding: "utf8" });
  assert.is(m.status, 0, m.stderr);
  try {
    const run = (cmd: string[]) => spawnSync("unshare", ["--mount", "--pid", "--fork", `--mount-proc=${join(root, "proc")}`, "--", ...cmd], { encoding: "utf8", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    // the control: without the drop, the namespace holds a copy of the foreign tmpfs
    const plain = run(["sh", "-c", 'cat "$0/proc/self/mounts"', root]);
    assert.is(plain.status, 0, plain.stderr);
    assert.ok(plain.stdout.includes(` ${foreign} `), "the control sees the copy");
    const r = run(chrootShell(root, 'cat "$0/proc/self/mounts"'));
    assert.is(r.status, 0, r.stderr);
    assert.not.ok(r.stdout.includes(` ${foreign} `), r.stdout);
    assert.ok(r.stdout.includes(` ${join(root, "proc")} `), "the chroot's own /proc stays");
    assert.ok(readFileSync("/proc/self/mounts", "utf8").includes(` ${foreign} `), "the host keeps its mount");
  } finally {
    spawnSync("umount", [foreign]);
  }
});

test.run();
