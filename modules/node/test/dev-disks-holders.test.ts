// A node's loop devices go when the node stops, even when a process of the node outlived it in another mount
// namespace holding a copy of the pool mounts (reproduced with a real node: the netlink driver killed at its
// shutdown deadline before its teardown left its wireguard-go in the pinned mount namespace, and the pool loops
// stayed attached — `losetup -d` only marked them autoclear). Here the holder is a process in a private mount
// namespace made with unshare, over a real btrfs on a real loop device.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { attachDevDisks, canAttachLoops, foreignHolders } from "../dev-disks.ts";
import { needs } from "../../../tools/test-env.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import { alive } from "../../../tools/test-proc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function attachedTo(file: string): string {
  return execFileSync("losetup", ["-j", file], { encoding: "utf8" }).trim();
}

test("detach frees a loop whose mount another mount namespace still holds: the holder is killed, the loop goes", async () => {
  if (!needs("loop devices held from another mount namespace", canAttachLoops(), "root and /dev/loop-control")) return;
  const dir = tempDir("zt-load-holders-");
  const disks = await attachDevDisks({ dir: join(dir, "disks"), count: 1, hdd: 0, sizeGiB: 1 });
  const dev = disks.devices[0];
  const mnt = join(dir, "pool");
  let holder: ReturnType<typeof spawn> | null = null;
  try {
    mkdirSync(mnt);
    execFileSync("mkfs.btrfs", ["-q", "-f", dev], { stdio: "ignore" });
    execFileSync("mount", [dev, mnt]);
    // a process in its own mount namespace: it holds a copy of the pool mount, as wireguard-go does in the
    // netlink driver's pinned namespace
    holder = spawn("unshare", ["-m", "--propagation", "private", "sleep", "600"], { stdio: "ignore" });
    const pid = holder.pid!;
    for (let i = 0; i < 200 && !foreignHolders([dev]).includes(pid); i++) await sleep(10);
    assert.ok(foreignHolders([dev]).includes(pid), "the holder sees the pool mount in its namespace");
    await disks.detach();
    assert.is(attachedTo(disks.files[0]), "", "no loop device left on the disk file");
    assert.not.match(readFileSync("/proc/self/mountinfo", "utf8"), mnt, "no mount left");
    assert.ok(!alive(pid) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8")), "the holder was ended");
  } finally {
    if (holder?.exitCode === null) holder.kill("SIGKILL");
    disks.detachSync();
  }
});

test.run();
