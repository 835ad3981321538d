// PID 1's pure parts on the host: command line, DHCP codec, rtnetlink encoding, module index,
// listening-socket parser, filesystem detection, trace. The syscalls themselves run in the VM tests.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseCmdline, relayUrls, shellSplit, substrateUrls } from "./cmdline.ts";
import { DHCP_ACK, DHCP_DISCOVER, DHCP_OFFER, DHCP_REQUEST, decodeDhcp, encodeDhcp, ipToBytes, maskToPrefix } from "./dhcp.ts";
import { addAddress4 as addAddress, addRoute, createLink, parseReplies, setLink } from "../../capabilities/lib/netlink/codec.ts";
import { globToRegExp, isNetworkAlias, loadOrder, modulesForAliases, parseModulesAlias, parseModulesDep, parseModulesSoftdep, readModaliases } from "./modprobe.ts";
import { parseProcNet } from "./listening.ts";
import { countBoot, detectFs } from "./state-disk.ts";
import { parseUptime, Tracer } from "./trace.ts";
import { kernelVars } from "./init.ts";
import { tempDir } from "../../tools/test-tmp.ts";

// --- command line ---------------------------------------------------------------------------------

test("cmdline: shell split with quotes and escapes", () => {
  assert.equal(shellSplit(`a=1  b="two words" c='x y' d\\ e f`), ["a=1", "b=two words", "c=x y", "d e", "f"]);
  assert.equal(shellSplit("   "), []);
});

test("cmdline: Zero-OS parameters, repeated keys accumulate, last wins", () => {
  const p = parseCmdline(
    "console=ttyS0 farmer_id=7 farmer_id=42 runmode=dev substrate=ws://10.0.2.2:9944 substrate=ws://b:1 relay=ws://10.0.2.2:8080 zos-debug secret=s1 secret=s2 vlan:priv=100 pub:mac=swap version=v3light",
  );
  assert.is(p.farmerId, 42);
  assert.is(p.runmode, "dev");
  assert.equal(p.substrate, ["ws://10.0.2.2:9944", "ws://b:1"]);
  assert.equal(relayUrls(p), ["ws://10.0.2.2:8080"]);
  assert.is(p.debug, true);
  assert.is(p.secret, "s2");
  assert.is(p.vlanPriv, "100");
  assert.is(p.pubMac, "swap");
  assert.is(p.version, "v3light");
  assert.equal(p.warnings, []);
});

test("cmdline: defaults per run mode, long mode names, orphan node", () => {
  const p = parseCmdline("console=ttyS0");
  assert.is(p.farmerId, null);
  assert.is(p.runmode, "prod");
  assert.equal(substrateUrls(p)[0], "wss://tfchain.grid.tf/");
  assert.is(parseCmdline("runmode=testing").runmode, "test");
  assert.is(parseCmdline("runmode=development").runmode, "dev");
  assert.is(parseCmdline("", { ZOS_RUNMODE: "qa" }).runmode, "qa");
  assert.equal(substrateUrls(parseCmdline("runmode=qa"))[0], "wss://tfchain.qa.grid.tf/");
});

test("cmdline: bad values become warnings, never exceptions", () => {
  const p = parseCmdline("farmer_id=abc runmode=moon version=v9 substrate=nonsense pub:mac=x");
  assert.is(p.farmerId, null);
  assert.is(p.runmode, "prod");
  assert.is(p.version, "v3");
  assert.is(p.warnings.length, 5);
  assert.match(p.warnings.join("\n"), /farmer_id="abc"/);
  assert.is(parseCmdline("farmer_id=4294967296").farmerId, null);
});

// --- DHCP -------------------------------------------------------------------------------------------

const mac = Uint8Array.from([0x52, 0x54, 0, 0x12, 0x34, 0x56]);

function serverReply(type: number, xid: number): Uint8Array {
  // A reply as a DHCP server (QEMU's slirp) builds it: BOOTREPLY, yiaddr, options.
  const b = new Uint8Array(300);
  const v = new DataView(b.buffer);
  b[0] = 2, b[1] = 1, b[2] = 6;
  v.setUint32(4, xid);
  b.set([10, 0, 2, 15], 16);
  b.set([10, 0, 2, 2], 20);
  b.set(mac, 28);
  v.setUint32(236, 0x63825363);
  b.set([53, 1, type, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 2, 2, 6, 8, 10, 0, 2, 3, 8, 8, 8, 8, 51, 4, 0, 1, 81, 128, 54, 4, 10, 0, 2, 2, 0, 0, 255], 240);
  return b;
}

test("dhcp: DISCOVER and REQUEST carry the fields servers need", () => {
  const d = encodeDhcp({ type: DHCP_DISCOVER, xid: 0xdeadbeef, mac, hostname: "zos" });
  assert.ok(d.length >= 300);
  const v = new DataView(d.buffer);
  assert.is(d[0], 1);
  assert.is(v.getUint32(4), 0xdeadbeef);
  assert.is(v.getUint16(10), 0x8000, "broadcast flag");
  assert.equal([...d.subarray(28, 34)], [...mac]);
  assert.is(v.getUint32(236), 0x63825363);
  assert.equal([...d.subarray(240, 243)], [53, 1, DHCP_DISCOVER]);
  const r = encodeDhcp({ type: DHCP_REQUEST, xid: 1, mac, requestedIp: "10.0.2.15", serverId: "10.0.2.2" });
  const opts = [...r.subarray(240)];
  const at = (code: number) => opts.indexOf(code);
  assert.equal(opts.slice(at(50), at(50) + 6), [50, 4, 10, 0, 2, 15]);
  assert.equal(opts.slice(at(54), at(54) + 6), [54, 4, 10, 0, 2, 2]);
  assert.throws(() => encodeDhcp({ type: DHCP_DISCOVER, xid: 1, mac: new Uint8Array(5) }));
});

test("dhcp: decodes an OFFER/ACK with mask, router, DNS, lease", () => {
  const r = decodeDhcp(serverReply(DHCP_ACK, 77));
  assert.is(r.type, DHCP_ACK);
  assert.is(r.xid, 77);
  assert.is(r.yiaddr, "10.0.2.15");
  assert.is(r.prefixLength, 24);
  assert.equal(r.routers, ["10.0.2.2"]);
  assert.equal(r.dns, ["10.0.2.3", "8.8.8.8"]);
  assert.is(r.leaseSeconds, 86400);
  assert.is(r.serverId, "10.0.2.2");
  assert.is(decodeDhcp(serverReply(DHCP_OFFER, 1)).type, DHCP_OFFER);
});

test("dhcp: rejects malformed and client messages", () => {
  assert.throws(() => decodeDhcp(new Uint8Array(100)), /too short/);
  const noMagic = serverReply(DHCP_ACK, 1);
  noMagic[236] = 0;
  assert.throws(() => decodeDhcp(noMagic), /magic/);
  assert.throws(() => decodeDhcp(encodeDhcp({ type: DHCP_DISCOVER, xid: 1, mac })), /BOOTREPLY/);
  const overrun = serverReply(DHCP_ACK, 1);
  overrun.set([3, 200], 240);
  assert.throws(() => decodeDhcp(overrun), /overruns/);
});

test("dhcp: netmask → prefix length", () => {
  assert.is(maskToPrefix("255.255.255.0"), 24);
  assert.is(maskToPrefix("255.255.240.0"), 20);
  assert.is(maskToPrefix("0.0.0.0"), 0);
  assert.is(maskToPrefix("255.255.255.255"), 32);
  assert.throws(() => maskToPrefix("255.0.255.0"), /contiguous/);
  assert.throws(() => ipToBytes("10.0.0.256"));
});

// --- rtnetlink --------------------------------------------------------------------------------------

function attrs(msg: Uint8Array, offset: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const v = new DataView(msg.buffer, msg.byteOffset);
  let o = offset;
  while (o + 4 <= v.getUint32(0, true)) {
    const len = v.getUint16(o, true);
    out.set(v.getUint16(o + 2, true) & 0x3fff, msg.subarray(o + 4, o + len));
    o += (len + 3) & ~3;
  }
  return out;
}

test("rtnetlink: create bridge message layout", () => {
  const m = createLink(9, "zos", "bridge", mac);
  const v = new DataView(m.buffer);
  assert.is(v.getUint32(0, true), m.length - ((4 - (m.length % 4)) % 4));
  assert.is(v.getUint16(4, true), 16, "RTM_NEWLINK");
  assert.is(v.getUint16(6, true), 0x1 | 0x4 | 0x400 | 0x200);
  assert.is(v.getUint32(8, true), 9);
  const a = attrs(m, 32);
  assert.equal(new TextDecoder().decode(a.get(3)!), "zos\0");
  assert.equal([...a.get(1)!], [...mac]);
  const info = a.get(18)!;
  assert.equal(new TextDecoder().decode(info.subarray(4, 10)), "bridge");
});

test("rtnetlink: set master/up, address with broadcast, default route", () => {
  const s = setLink(2, 3, { up: true, master: 5 });
  const sv = new DataView(s.buffer);
  assert.is(sv.getInt32(20, true), 3, "ifi_index");
  assert.is(sv.getUint32(24, true), 1, "IFF_UP");
  assert.is(sv.getUint32(28, true), 1, "change mask");
  assert.is(new DataView(attrs(s, 32).get(10)!.slice().buffer).getUint32(0, true), 5);
  const a = addAddress(3, 4, "10.0.2.15", 24);
  assert.is(a[16], 2, "AF_INET");
  assert.is(a[17], 24);
  const aa = attrs(a, 24);
  assert.equal([...aa.get(2)!], [10, 0, 2, 15]);
  assert.equal([...aa.get(4)!], [10, 0, 2, 255]);
  assert.throws(() => addAddress(3, 4, "10.0.2.15", 33));
  const r = addRoute(4, 4, "10.0.2.2");
  assert.is(r[16 + 1], 0, "dst_len 0 = default");
  assert.is(r[16 + 4], 254, "main table");
  const ra = attrs(r, 28);
  assert.equal([...ra.get(5)!], [10, 0, 2, 2]);
  assert.is(ra.has(1), false);
});

test("rtnetlink: acks and errors", () => {
  const msg = (seq: number, err: number) => {
    const b = new Uint8Array(36);
    const v = new DataView(b.buffer);
    v.setUint32(0, 36, true);
    v.setUint16(4, 2, true);
    v.setUint32(8, seq, true);
    v.setInt32(16, err, true);
    return b;
  };
  const both = new Uint8Array(72);
  both.set(msg(1, 0), 0);
  both.set(msg(2, -17), 36);
  assert.equal(parseReplies(both), [{ type: 2, seq: 1, errno: 0 }, { type: 2, seq: 2, errno: 17 }]);
  const bad = msg(1, 0);
  new DataView(bad.buffer).setUint32(0, 400, true);
  assert.throws(() => parseReplies(bad), /malformed/);
});

// --- modules ----------------------------------------------------------------------------------------

const DEP = `kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/net/core/failover.ko:
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko
kernel/arch/x86/kvm/kvm-intel.ko:
`;
const ALIAS = `alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci
alias virtio:d00000001v* virtio_net
alias cpu:type:x86,ven*fam*mod*:feature:*0085* kvm_intel
`;

test("modprobe: modules.dep, load order, names with dashes", () => {
  const { paths, deps } = parseModulesDep(DEP);
  const index = { paths, deps, aliases: parseModulesAlias(ALIAS), softdeps: new Map() };
  const order = loadOrder(index, "virtio_net");
  assert.is(order.at(-1), "virtio_net");
  assert.ok(order.indexOf("failover") < order.indexOf("net_failover"));
  assert.equal(new Set(order), new Set(["virtio_net", "net_failover", "failover", "virtio"]));
  assert.equal(loadOrder(index, "kvm-intel"), ["kvm_intel"]);
  assert.throws(() => loadOrder(index, "btrfs"), /not in this image/);
});

test("modprobe: glob aliases match device modaliases; NIC filter", () => {
  assert.ok(globToRegExp("pci:v00001AF4d*sv*").test("pci:v00001AF4d00001000sv00001AF4"));
  assert.not.ok(globToRegExp("pci:v00001AF4d*").test("pci:v00008086d00001000"));
  assert.ok(globToRegExp("a[0-9]?").test("a5x"));
  assert.ok(globToRegExp("a.b").test("a.b") && !globToRegExp("a.b").test("axb"));
  const index = { ...parseModulesDep(DEP), aliases: parseModulesAlias(ALIAS), softdeps: new Map() };
  const net = "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00";
  const blk = "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00";
  assert.equal(modulesForAliases(index, [net, "virtio:d00000001v00001AF4"]), ["virtio_net", "virtio_pci"]);
  assert.ok(isNetworkAlias(net) && isNetworkAlias("virtio:d00000001v00001AF4"));
  assert.not.ok(isNetworkAlias(blk) || isNetworkAlias("virtio:d00000002v00001AF4"));
});

test("modprobe: modules.softdep", () => {
  const m = parseModulesSoftdep("softdep btrfs pre: blake2b_generic crc32c-generic\nsoftdep x pre:\ngarbage\n");
  assert.equal(m.get("btrfs"), ["blake2b_generic", "crc32c_generic"]);
  assert.equal(m.get("x"), []);
  assert.is(m.size, 2);
});

test("modprobe: reads modaliases from a sysfs tree", () => {
  const sys = tempDir("zt-sys-");
  for (const [bus, dev, alias] of [["pci", "0000:00:03.0", "pci:v00001AF4d00001000bc02"], ["virtio", "virtio0", "virtio:d00000001v00001AF4"], ["pci", "0000:00:04.0", "pci:v00001AF4d00001001bc01"]]) {
    mkdirSync(join(sys, "bus", bus, "devices", dev), { recursive: true });
    writeFileSync(join(sys, "bus", bus, "devices", dev, "modalias"), alias + "\n");
  }
  assert.equal(readModaliases(sys, isNetworkAlias), ["pci:v00001AF4d00001000bc02", "virtio:d00000001v00001AF4"]);
  assert.is(readModaliases(sys).length, 3);
});

// --- sockets, disks, trace --------------------------------------------------------------------------

test("listening: /proc/net parser finds LISTEN sockets and unconnected UDP", () => {
  const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0F02000A:C350 0202000A:26AC 01 00000000:00000000 00:00000000 00000000     0        0 2 1`;
  assert.equal(parseProcNet(tcp, "tcp"), [{ proto: "tcp", local: "0100007F", port: 8080 }]);
  const udp = `  sl  local_address rem_address   st
  5: 00000000:0044 00000000:0000 07 0`;
  assert.equal(parseProcNet(udp, "udp")[0].port, 68);
  assert.equal(parseProcNet(tcp.split("\n")[0], "tcp"), []);
});

test("state disk: btrfs and ext4 signatures; boot counter survives re-reads", () => {
  const head = new Uint8Array(0x11000);
  assert.is(detectFs(head), null);
  head.set(new TextEncoder().encode("_BHRfS_M"), 0x10040);
  assert.is(detectFs(head), "btrfs");
  const ext = new Uint8Array(0x11000);
  ext[0x438] = 0x53, ext[0x439] = 0xef;
  assert.is(detectFs(ext), "ext4");
  const dir = tempDir("zt-state-");
  assert.is(countBoot(dir), 1);
  assert.is(countBoot(dir), 2);
  assert.is(readFileSync(join(dir, "zos", "boots"), "utf8"), "2\n");
});

test("real disk images: detectFs agrees with mkfs.btrfs output", () => {
  const dir = tempDir("zt-fs-");
  const img = join(dir, "disk.img");
  writeFileSync(img, new Uint8Array(0));
  spawnSync("truncate", ["-s", "128M", img]);
  const r = spawnSync("mkfs.btrfs", ["-q", "-f", img], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  assert.is(detectFs(new Uint8Array(readFileSync(img).subarray(0, 0x11000))), "btrfs");
});

test("trace: phases are timed, failures recorded and rethrown, JSON saved", async () => {
  const lines: string[] = [];
  const file = join(tempDir("zt-trace-"), "run", "trace.json");
  const t = new Tracer(2.5, (l) => lines.push(l), file);
  const v = await t.phase("one", async () => {
    await new Promise((r) => setTimeout(r, 30));
    return 5;
  }, (n) => `n=${n}`);
  assert.is(v, 5);
  await t.phase("two", () => {
    throw new Error("boom");
  }).then(() => assert.unreachable(), (e) => assert.is(e.message, "boom"));
  const saved = JSON.parse(readFileSync(file, "utf8"));
  assert.is(saved.phases.length, 2);
  assert.ok(saved.phases[0].ms >= 25, `phase took ${saved.phases[0].ms} ms`);
  assert.ok(saved.phases[0].start >= 2.5);
  assert.is(saved.phases[1].ok, false);
  assert.match(lines.join("\n"), /phase one ok \d+ms .* n=5/);
  assert.match(t.summary(), /two .*FAILED {2}boom/);
  // kernel events: the verified sandbox and start times of each process land in the trace file
  const sandbox = { argv: ["/usr/bin/deno", "run", "/lib/zos/capabilities/kv/main.ts"], uid: 20000, noNewPrivs: true };
  t.event({ t: 1, event: "spawned", process: "kv", pid: 9, sandbox });
  t.event({ t: 2, event: "ready", process: "kv", ms: 812, sandbox: { ...sandbox, uid: 20001 } });
  t.event({ t: 3, event: "output", process: "kv", line: "hello" });
  const withEvents = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(withEvents.sandbox, { kv: { ...sandbox, uid: 20001 } });
  assert.is(withEvents.processes.kv.readyMs, 812);
  assert.ok(withEvents.processes.kv.spawned >= 2.5 && withEvents.processes.kv.ready >= withEvents.processes.kv.spawned);
  assert.match(lines.join("\n"), /zos-kernel: \{"t":3,"event":"output"/);
  assert.is(parseUptime("12.34 40.00\n"), 12.34);
  assert.is(parseUptime("x"), null);
});

test("kernel variables from the command line", () => {
  const v = kernelVars(parseCmdline("runmode=dev farmer_id=9 substrate=ws://a:1 substrate=ws://b:2 relay=ws://r:3 activation=http://10.0.2.2:8099/activation/activate"));
  assert.equal(v, {
    chainurl: "ws://a:1", chainhost: "a:1", relayurl: "ws://r:3", relayhost: "r:3", farm: "9",
    activationurl: "http://10.0.2.2:8099/activation/activate", activationhost: "10.0.2.2:8099",
    substrate_url: "ws://a:1", substrate_urls: "ws://a:1 ws://b:2", relay_url: "ws://r:3", farmer_id: "9", runmode: "dev", flavour: "v3",
    hubhosts: "hub.threefold.me:443,v4.hub.threefold.me:443,hub.threefold.me:9900", hubstore: "zdb://hub.threefold.me:9900",
    zdblisten: "[::]:9900", gatewaylisten: "0.0.0.0:443", gatewayns: "public", qemu: "/usr/bin/qemu-system-x86_64",
  });
  // hub= → the flist driver's hub and block store; the image's QEMU extension pin → ${qemu} on that hub
  const pin = { name: "extensions/qemu.fl", tree_sha256: "ab".repeat(32) };
  const h = kernelVars(parseCmdline("hub=http://10.0.2.2:8080/"), { qemu: pin });
  assert.equal([h.hubhosts, h.hubstore, h.qemu], ["10.0.2.2:8080", "http://10.0.2.2:8080/blocks", `http://10.0.2.2:8080/extensions/qemu.fl#tree-sha256=${"ab".repeat(32)}`]);
  assert.is(kernelVars(parseCmdline(""), { qemu: pin }).qemu, `https://hub.grid.tf/extensions/qemu.fl#tree-sha256=${"ab".repeat(32)}`);
  const d = kernelVars(parseCmdline(""));
  assert.is(d.relayhost, "relay.grid.tf:443");
  assert.is(d.chainhost, "tfchain.grid.tf:443");
  assert.is(d.farm, "0");
  // no activation= → the run mode's public service (prod by default)
  assert.is(d.activationurl, "https://activation.grid.tf/activation/activate");
  assert.is(d.activationhost, "activation.grid.tf:443");
  assert.is(kernelVars(parseCmdline("runmode=dev")).activationhost, "activation.dev.grid.tf:443");
});

test("init refuses to run when it is not PID 1", () => {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const deno = join(here, "..", "..", "node_modules", "deno", "deno");
  for (const f of ["init.ts", "hello.ts"]) {
    const r = spawnSync(deno, ["run", "-A", "--quiet", "--no-lock", join(here, f)], { encoding: "utf8" });
    assert.is(r.status, 2, f);
    assert.match(r.stderr, /not PID 1/);
  }
});

test("reboot unmounts what is below the state disk deepest first, and only that", async () => {
  const { mountsBelow } = await import("./boot.ts");
  const info = [
    "22 1 0:20 / / rw - rootfs rootfs rw",
    "30 22 254:0 / /var/cache rw - btrfs /dev/vda rw",
    "31 30 254:16 / /var/cache/zos/kernel/blockdev/mnt/pool-a rw - btrfs /dev/vdb rw",
    "32 30 0:4 net:[4026532] /var/cache/zos/kernel/netlink/ns/host rw - nsfs nsfs rw",
    "33 31 254:16 /sub /var/cache/zos/kernel/blockdev/mnt/pool-a/vol\\040one rw - btrfs /dev/vdb rw",
    "34 22 0:21 / /var/cachex rw - tmpfs tmpfs rw",
  ].join("\n");
  assert.equal(mountsBelow(info, "/var/cache"), [
    "/var/cache/zos/kernel/blockdev/mnt/pool-a/vol one",
    "/var/cache/zos/kernel/netlink/ns/host",
    "/var/cache/zos/kernel/blockdev/mnt/pool-a",
  ]);
});

test.run();
