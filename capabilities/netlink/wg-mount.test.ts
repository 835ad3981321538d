// The wireguard-go mount namespace the netlink driver pins for its life must not keep copies of the host's other
// mounts: a copy of another node's pool mount there held that node's loop devices after its stop (CI, two nodes at
// once). Root: a tmpfs of this test's own stands for the other node's pool; the pinned namespace is read through
// nsenter, with a plain pinned namespace as the control.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { pinWgMountNamespace } from "./wireguard.ts";
import { tempDir } from "../../tools/test-tmp.ts";
import { needs } from "../../tools/test-env.ts";

const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8", env: ENV });
const mountsIn = (pin: string) => sh("nsenter", [`--mount=${pin}`, "--", "cat", "/proc/self/mounts"]);

test("the pinned wireguard-go namespace drops the host's other mounts and keeps its own", async () => {
  if (!needs("the wireguard-go mount namespace test", process.getuid?.() === 0, "root")) return;
  const dir = tempDir("zt-wg-mount-");
  const foreign = join(dir, "other-node-pool");
  const uapi = join(dir, "uapi");
  const tun = join(dir, "tun");
  mkdirSync(foreign);
  mkdirSync(uapi);
  writeFileSync(tun, "");
  const pins = [join(dir, "control-mnt"), join(dir, "wg-mnt")];
  for (const p of pins) writeFileSync(p, "");
  assert.is(sh("mount", ["-t", "tmpfs", "-o", "size=1m", "zt-wg-foreign", foreign]).status, 0);
  try {
    // the control: a namespace pinned without the drop holds a copy of the foreign tmpfs
    const c = sh("unshare", [`--mount=${pins[0]}`, "--propagation", "private", "true"]);
    assert.is(c.status, 0, c.stderr);
    assert.ok(mountsIn(pins[0]).stdout.includes(` ${foreign} `), "the control sees the copy");

    assert.ok(await pinWgMountNamespace(pins[1], uapi, tun), "pinned");
    const r = mountsIn(pins[1]);
    assert.is(r.status, 0, r.stderr);
    assert.not.ok(r.stdout.includes(` ${foreign} `), r.stdout);
    assert.ok(/ \/run\/wireguard /.test(r.stdout), "the UAPI folder is bound on /run/wireguard");
    assert.ok(/ \/dev\/net\/tun /.test(r.stdout), "the driver's TUN node is bound on /dev/net/tun");
    assert.ok(/ \/proc /.test(r.stdout), "/proc stays");
    // what wireguard-go does there still works: the UAPI folder is the driver's
    const w = sh("nsenter", [`--mount=${pins[1]}`, "--", "sh", "-c", "echo x > /run/wireguard/probe"]);
    assert.is(w.status, 0, w.stderr);
    assert.is(readFileSync(join(uapi, "probe"), "utf8"), "x\n");
    assert.ok(readFileSync("/proc/self/mounts", "utf8").includes(` ${foreign} `), "the host keeps its mount");
  } finally {
    for (const p of pins) sh("umount", ["-l", p]);
    sh("umount", ["-l", foreign]);
  }
});

test.run();
