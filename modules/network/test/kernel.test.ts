// The network module and the netlink driver under the real kernel (root), as manifests/node.json wires
// them: the driver runs under its own uid with exactly CAP_NET_ADMIN + CAP_SYS_ADMIN (read from /proc),
// an NR provisioned through the NetworkManager grant comes up with wireguard-go, kill -9 of the network
// module right after a provision leaves an NR that the restarted module converges, and delete removes all.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { repoRoot } from "../../../kernel/sandbox.ts";
import { stripComments, validateManifest } from "../../../kernel/manifest.ts";
import { capabilityMask } from "../../../kernel/linux.ts";
import { startKernel } from "../../../kernel/mod.ts";
import { NetworkManager$Client } from "../../../capabilities/schema/gen/network.ts";
import { tempDir } from "../../../tools/test-tmp.ts";
import { networkId } from "../../lib/gridtypes/names.ts";
import { names } from "../nr.ts";
import { ensureTunNode } from "../../node/tun-node.ts";
import { inNs, wgKeys, wireguardPids } from "./lab.ts";
import { rootOnly } from "../../../tools/test-env.ts";


test("under the kernel: exact capabilities, NR up, kill -9 converges, restart restores, delete leaves nothing", async () => {
  if (!rootOnly("the network module and netlink driver under a root kernel")) return;
  const tmp = tempDir("zt-network-kernel-");
  const node = JSON.parse(stripComments(readFileSync(join(repoRoot, "manifests", "node.json"), "utf8")));
  const p = node.processes;
  const probe = { kind: "module", entry: "kernel/test/fixtures/caveat/main.ts", grants: { network: { from: "network", cap: "network" } } };
  // without the chain: the module then reads no public config (public.test.ts and two-node.test.ts cover that)
  const network = { ...p.network, grants: { netlink: p.network.grants.netlink, kv: p.network.grants.kv } };
  const r = validateManifest({ version: 1, root: repoRoot, uidBase: 62300, processes: { kv: p.kv, netlink: p.netlink, network, probe } }, { path: join(tmp, "m.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const state = join(tmp, "state");
  ensureTunNode(state);
  let h = await startKernel({ manifest: r.manifest, stateDir: state, bootTimeoutMs: 30_000 });
  const pins = join(state, "netlink", "ns");
  const wg = join(state, "netlink", "wg");
  try {
    assert.equal(h.notReady, []);
    const st = Object.fromEntries(readFileSync(`/proc/${h.kernel.pid("netlink")}/status`, "utf8").split("\n").map((l) => [l.split(":")[0], (l.split(":")[1] ?? "").trim()]));
    const mask = capabilityMask(["CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_SYS_CHROOT"]);
    for (const set of ["CapPrm", "CapEff", "CapAmb", "CapBnd"]) assert.is(st[set], mask, `netlink ${set} is exactly NET_ADMIN+SYS_ADMIN+SYS_CHROOT`);
    assert.is.not(st.Uid.split(/\s+/)[0], "0");
    assert.is(st.NoNewPrivs, "1");
    const net = new NetworkManager$Client(await h.kernel.grantFor("probe", "network"));
    const k = wgKeys();
    // one peer: its allowed range is routed through the WireGuard device, so a rebuilt device must bring the route back
    const peer = { subnet: "10.40.5.0/24", wireguard_public_key: wgKeys().pub, allowed_ips: ["10.40.5.0/24", "100.64.40.5/32"], endpoint: "" };
    const data = { ip_range: "10.40.0.0/16", subnet: "10.40.3.0/24", wireguard_private_key: k.priv, wireguard_listen_port: 4300, peers: [peer] };
    const req = { twin: 9, workloadId: "9-1-knet", name: "knet", type: "network", data };
    const n = names(networkId(9, "knet"));
    // wireguard-go uses the driver's own TUN node (ensureTunNode); without it, a root-only /dev/net/tun fails clearly
    if (!existsSync(join(state, "netlink", "tun")) && (statSync("/dev/net/tun").mode & 0o006) !== 0o006) {
      const err = await net.provision((x) => (x.json = JSON.stringify(req))).promise().then(() => null, (e: Error) => e);
      assert.match(err?.message ?? "", /\/dev\/net\/tun is not open to the driver's uid/);
      await net.deprovision((x) => (x.json = JSON.stringify(req))).promise();
      assert.not.ok(existsSync(join(pins, n.ns)), "the half-built NR was removed");
      console.log("  (/dev/net/tun is root-only here: the WireGuard part under the own-uid driver is covered by nr.test.ts as root)");
      return;
    }
    await net.provision((x) => (x.json = JSON.stringify(req))).promise();
    assert.match(inNs(join(pins, n.ns), ["ip", "-br", "addr"]), /10\.40\.3\.1\/24/);
    assert.equal(wireguardPids(wg).length, 1, "wireguard-go runs for the NR");
    // wireguard-go runs under the driver's uid with the same capabilities, not as root
    const wst = readFileSync(`/proc/${wireguardPids(wg)[0]}/status`, "utf8");
    assert.match(wst, new RegExp(`CapEff:\\s+${mask}`));
    // its mount namespace (the driver's pinned one) holds its binds but no copy of the node's namespace pins, nor of
    // any other mount below this test's folder: such copies outlive their owner (capabilities/lib/fs/drop-mounts.ts)
    const wgMounts = readFileSync(`/proc/${wireguardPids(wg)[0]}/mounts`, "utf8").split("\n").map((l) => l.split(" ")[1] ?? "");
    assert.ok(wgMounts.includes("/run/wireguard") && wgMounts.includes("/dev/net/tun"), wgMounts.join(" "));
    assert.equal(wgMounts.filter((m) => m.startsWith(tmp)), [], "no copy of a mount below the node's state");
    assert.ok(readFileSync("/proc/self/mounts", "utf8").includes(` ${pins}/`), "the control: the host does hold the pins");
    // kill -9 of wireguard-go alone (module and driver stay up): the module's watch asks the driver (wg.alive: its
    // child exited) and rebuilds the NR — device, address, peer route, configuration — with no restart of anyone
    const pidsBefore = { network: h.kernel.pid("network"), netlink: h.kernel.pid("netlink") };
    await killWireguardAndWaitHealed(wg, join(pins, n.ns), n.wg, "its child exited");
    assert.equal({ network: h.kernel.pid("network"), netlink: h.kernel.pid("netlink") }, pidsBefore, "no module or driver restart");
    // the driver killed (its wireguard-go lives on, orphaned), then that wireguard-go: the restarted driver did not
    // start it, so it finds it dead by its UAPI socket going silent
    process.kill(h.kernel.pid("netlink")!, "SIGKILL");
    for (let i = 0; i < 300 && !(h.kernel.pid("netlink") !== pidsBefore.netlink && h.kernel.states().netlink === "ready"); i++) await new Promise((res) => setTimeout(res, 100));
    assert.is(h.kernel.states().netlink, "ready", "the driver is back");
    assert.equal(wireguardPids(wg).length, 1, "the orphaned wireguard-go still runs the NR");
    await killWireguardAndWaitHealed(wg, join(pins, n.ns), n.wg, "its socket went silent");
    assert.is(h.kernel.pid("network"), pidsBefore.network, "the network module was not restarted");
    // kill -9 the module, break the NR behind its back (as a crash mid-setup would leave it), restart converges
    process.kill(h.kernel.pid("network")!, "SIGKILL");
    inNs(join(pins, n.ns), ["ip", "addr", "flush", "dev", n.macvlan]);
    let healed = false;
    for (let i = 0; i < 100 && !healed; i++) {
      await new Promise((res) => setTimeout(res, 100));
      try {
        healed = /10\.40\.3\.1\/24/.test(inNs(join(pins, n.ns), ["ip", "-br", "addr"]));
      } catch { /* not yet */ }
    }
    assert.ok(healed, "the restarted network module restored the NR from its records");
    const net2 = new NetworkManager$Client(await h.kernel.grantFor("probe", "network"));
    const ports = JSON.parse((await net2.query((x) => { x.what = "wg_ports"; x.args = "null"; }).promise()).json);
    assert.equal(ports, [4300]);
    // kill -9 of wireguard-go leaves its UAPI socket file behind; the next restore must not take that file for a
    // running device (the fault suite's finding: the NR stayed without its wireguard-go)
    for (const pid of wireguardPids(wg)) process.kill(pid, "SIGKILL");
    for (let i = 0; i < 60 && wireguardPids(wg).length; i++) await new Promise((res) => setTimeout(res, 50));
    const socks = readdirSync(wg).filter((f) => f.endsWith(".sock"));
    assert.is(socks.length, 1, "the killed wireguard-go left its socket file (the case under test)");
    process.kill(h.kernel.pid("network")!, "SIGKILL");
    const { denoSys: sysOf } = await import("../../../capabilities/netlink/sys.ts");
    let answer = "";
    // the new wireguard-go answers before the driver has configured it: poll until the configuration is there
    for (let i = 0; i < 150 && !/listen_port=4300/.test(answer); i++) {
      await new Promise((res) => setTimeout(res, 100));
      try {
        answer = sysOf().unixExchange(join(wg, socks[0]), "get=1\n\n", 1000);
      } catch { /* not yet */ }
    }
    assert.match(answer, /listen_port=4300/, "a new wireguard-go runs the NR's device, configured");
    assert.equal(wireguardPids(wg).length, 1, "exactly one wireguard-go for the NR");
    // node restart: an orderly stop removes every namespace and wireguard-go; the next start rebuilds the NR
    await h.stop();
    assert.equal(existsSync(pins) ? readdirSync(pins) : [], [], "nothing left after stop");
    assert.equal(wireguardPids(wg), []);
    h = await startKernel({ manifest: r.manifest, stateDir: state, bootTimeoutMs: 30_000 });
    assert.equal(h.notReady, []);
    assert.match(inNs(join(pins, n.ns), ["ip", "-br", "addr"]), /10\.40\.3\.1\/24/, "NR restored after restart");
    assert.equal(wireguardPids(wg).length, 1);
    const net3 = new NetworkManager$Client(await h.kernel.grantFor("probe", "network"));
    await net3.deprovision((x) => (x.json = JSON.stringify(req))).promise();
    assert.not.ok(existsSync(join(pins, n.ns)));
    for (let i = 0; i < 40 && wireguardPids(wg).length; i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(wireguardPids(wg), []);
  } finally {
    await h.stop();
    for (const pid of wireguardPids(wg)) process.kill(pid, "SIGKILL");
    const { denoSys } = await import("../../../capabilities/netlink/sys.ts");
    for (const f of existsSync(pins) ? readdirSync(pins) : []) denoSys().removePin(join(pins, f));
  }
});

/** kill -9 of the NR's wireguard-go, then polls for the state asserted: one new wireguard-go, configured, the device with its address and peer route. */
async function killWireguardAndWaitHealed(wg: string, pin: string, dev: string, why: string): Promise<void> {
  const old = wireguardPids(wg);
  assert.is(old.length, 1);
  process.kill(old[0], "SIGKILL");
  const { denoSys } = await import("../../../capabilities/netlink/sys.ts");
  const sock = join(wg, `${dev}.sock`);
  let seen = "";
  for (let i = 0; i < 300; i++) {
    await new Promise((res) => setTimeout(res, 100));
    try {
      const pids = wireguardPids(wg);
      const conf = denoSys().unixExchange(sock, "get=1\n\n", 1000);
      const addr = inNs(pin, ["ip", "-br", "addr", "show", "dev", dev]);
      const routes = inNs(pin, ["ip", "route", "show", "dev", dev]);
      seen = `pids ${pids}; ${addr.trim()}; routes ${routes.trim().replace(/\n/g, " | ")}; ${/listen_port=4300/.test(conf) ? "configured" : "not configured"}`;
      if (pids.length === 1 && pids[0] !== old[0] && /listen_port=4300/.test(conf) && /public_key=/.test(conf) && /100\.64\.40\.3\/16/.test(addr) && /10\.40\.5\.0\/24/.test(routes)) return;
    } catch (e) {
      seen = (e as Error).message;
    }
  }
  assert.unreachable(`after kill -9 of wireguard-go (${why}) the NR's device did not come back configured within 30 s: ${seen}`);
}

test.run();
