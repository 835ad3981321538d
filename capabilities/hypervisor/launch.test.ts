// How QEMU is started, as the netbooted image needs it (no shell, no util-linux but setpriv, no mtools): the
// manifest lets the hypervisor run QEMU, setpriv and Deno only, and calls libc for the rest (ffi names only
// libc); taps reach QEMU as inherited fds (`-netdev tap,fd=N`), never by a name QEMU opens itself; and the
// driver's tap opener attaches a real tap in a `zt-` namespace from outside it (root), refusing a bad name.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import process from "node:process";
import { loadManifest } from "../../kernel/manifest.ts";
import { NODE_MANIFEST } from "../../modules/node.ts";
import { qemuArgs, vmFiles } from "./cmdline.ts";
import type { VmSpec } from "./spec.ts";
import { closeFd, openTap, procCmdline } from "./sys.ts";
import { rootOnly } from "../../tools/test-env.ts";

const loaded = loadManifest(NODE_MANIFEST);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));

test("the hypervisor's manifest runs QEMU, setpriv and Deno only: nothing the image does not carry", () => {
  const hv = loaded.manifest.processes.find((p) => p.name === "hypervisor")!;
  assert.equal(hv.sandbox.run, ["/usr/bin/qemu-system-x86_64", "/usr/bin/setpriv", "${root}/node_modules/deno/deno"]);
  assert.equal(hv.sandbox.ffi, ["/lib/x86_64-linux-gnu/libc.so.6"]);
});

test("taps reach QEMU as the fds the driver opened, in nic order", () => {
  const spec: VmSpec = {
    id: "7-1-a", owner: 7, cpu: 1, memory: 256 * 1024 * 1024, kernel: "/r/k", disks: [], shares: [],
    nics: [{ tap: "t-a0", mac: "52:54:00:00:00:01" }, { tap: "t-a1", mac: "52:54:00:00:00:02" }],
  };
  const files = { ...vmFiles("/x/vm"), tapFds: [21, 22] };
  const args = qemuArgs(spec, files, { kind: "tcg" });
  const netdevs = args.filter((_, i) => args[i - 1] === "-netdev");
  assert.equal(netdevs, ["tap,id=net0,fd=21", "tap,id=net1,fd=22"]);
  assert.not.ok(args.some((a) => a.includes("ifname=")));
});

const root = rootOnly("the tap opener (namespaces, taps)");
const NS = `zt-pi-tap-${process.pid}`;

test("openTap attaches the named tap inside its namespace; a bad name or a missing namespace is an error", () => {
  assert.throws(() => openTap("/dev/net/tun", "", "t-a;rm"), /invalid: tap name/);
  if (!root) return console.log("  (tap part skipped: needs root)");
  execFileSync("ip", ["netns", "add", NS]);
  try {
    execFileSync("ip", ["-n", NS, "tuntap", "add", "name", "zt-tap0", "mode", "tap"]);
    const fd = openTap("/dev/net/tun", `/run/netns/${NS}`, "zt-tap0");
    try {
      assert.is(readlinkSync(`/proc/self/fd/${fd}`), "/dev/net/tun");
      // attached: the tap shows the carrier of an open queue only while a file holds it
      const link = execFileSync("ip", ["-n", NS, "-d", "link", "show", "zt-tap0"], { encoding: "utf8" });
      assert.match(link, /tun type tap/);
      assert.not.match(link, /NO-CARRIER/);
      // and it is not in this namespace
      assert.is(spawnSync("ip", ["link", "show", "zt-tap0"], { stdio: "ignore" }).status !== 0, true);
    } finally {
      closeFd(fd);
    }
    assert.throws(() => openTap("/dev/net/tun", `/run/netns/${NS}-missing`, "zt-tap0"), /open .*missing/);
  } finally {
    spawnSync("ip", ["netns", "del", NS]);
  }
});

test("procCmdline reads another process's argv; a gone pid reads as empty", () => {
  assert.ok(procCmdline(process.pid).length > 0);
  assert.is(procCmdline(2 ** 22 + 1), "");
});

test.run();
