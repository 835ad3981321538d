// zmachine end to end below the kernel (root, QEMU under TCG): a real NR built by the network module's code
// (netlink ops in pinned `zt-` namespaces), the vm-tap verb putting the VM's tap on the NR bridge, the real
// hypervisor (QEMU) and the zmachine manager turning a Zero-OS workload into a VM: the guest gets its
// seed (hostname, IP, gateway), answers ping from inside its NR, writes to its zmount disk (found by
// serial), sees its root over 9p; update (memory) restarts it with the new size; pause/resume; delete
// removes the VM and the tap. Test doubles (named so): the flist port (until capabilities/flist lands it
// hands out the Debian guest from capabilities/hypervisor/test/guest.ts) and the storage port's path
// lookup (a file named as the storage module names disks, under the pools root).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, truncateSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { Lab, inNs, wgKeys } from "../../network/test/lab.ts";
import { names } from "../../network/nr.ts";
import { networkId } from "../../lib/gridtypes/names.ts";
import { parseDeployment } from "../../lib/gridtypes/mod.ts";
import { Hypervisor } from "../../../capabilities/hypervisor/hypervisor.ts";
import { parseSpec, type Scope } from "../../../capabilities/hypervisor/spec.ts";
import { buildGuest, GUEST_CMDLINE } from "../../../capabilities/hypervisor/test/guest.ts";
import type { WorkloadContext } from "../interfaces.ts";
import { spawn } from "node:child_process";
import { Buffer } from "node:buffer";
import { zlogsManager } from "./zlogs.ts";
import { type FlistPort, type HypervisorPort, zmachineLightManager, zmachineManager } from "./zmachine.ts";
import { rootOnly } from "../../../tools/test-env.ts";

const root = rootOnly("zmachine end to end (namespaces, taps, QEMU)");
const TWIN = 41;
const CONTRACT = 9n;
const WLID = `${TWIN}-${CONTRACT}-vm1`;

let lab: Lab | null = null;
let hv: Hypervisor | null = null;

test.after(async () => {
  await hv?.stopAll().catch(() => {});
  await lab?.close();
});

function deployment(memoryMiB: number) {
  const raw = {
    version: 0, twin_id: TWIN, contract_id: Number(CONTRACT), metadata: "", description: "", expiration: 0,
    signature_requirement: { requests: [{ twin_id: TWIN, required: false, weight: 1 }], weight_required: 1, signatures: [], signature_style: "" },
    workloads: [
      { version: 0, name: "ztdata", type: "zmount", data: { size: 64 * 1024 * 1024 }, metadata: "", description: "", result: { created: 0, state: "ok", message: "", data: null } },
      { version: 0, name: "logs1", type: "zlogs", data: { zmachine: "vm1", output: "redis://10.40.1.1:6399/zt-logs" }, metadata: "", description: "", result: { created: 0, state: "", message: "", data: null } },
      {
        version: 0, name: "vm1", type: "zmachine", metadata: "", description: "", result: { created: 0, state: "", message: "", data: null },
        data: {
          flist: "https://hub.example/zt/test-guest.fl",
          network: { public_ip: "", planetary: false, interfaces: [{ network: "net1", ip: "10.40.1.5" }] },
          size: 0, compute_capacity: { cpu: 1, memory: memoryMiB * 1024 * 1024 },
          mounts: [{ name: "ztdata", mountpoint: "/data" }],
          entrypoint: "/sbin/zinit init", env: { SSH_KEY: "ssh-ed25519 AAAAC3Nza zt@test" }, corex: false,
        },
      },
    ],
  };
  return parseDeployment(JSON.stringify(raw));
}

test("a zmachine on an NR: seed, ping from the NR, zmount disk, 9p root; update; pause/resume; delete", async () => {
  if (!root) return console.log("skipped: needs root (namespaces, taps, QEMU)");
  lab = new Lab(1, "vm");
  const node = lab.nodes[0];
  const k = wgKeys();
  await node.service.provision({
    twin: TWIN, workloadId: `${TWIN}-${CONTRACT}-net1`, name: "net1", type: "network",
    data: { ip_range: "10.40.0.0/16", subnet: "10.40.1.0/24", wireguard_private_key: k.priv, wireguard_listen_port: 3901, peers: [] },
  });

  // the node's roots: pools (the storage module's disks) and flist (materialised flists)
  const pools = join(lab.dir, "pools");
  const flistRoot = join(lab.dir, "flist");
  mkdirSync(join(pools, "p1", "vdisks"), { recursive: true });
  mkdirSync(join(flistRoot, "tree", "etc"), { recursive: true });
  writeFileSync(join(flistRoot, "tree", "etc", "zt-flist-file"), "from the flist\n");
  const g = buildGuest();
  copyFileSync(g.kernel, join(flistRoot, "vmlinux"));
  copyFileSync(g.initrd, join(flistRoot, "initrd"));
  const disk = join(pools, "p1", "vdisks", `${TWIN}-${CONTRACT}-ztdata`);
  writeFileSync(disk, "");
  truncateSync(disk, 64 * 1024 * 1024);

  const scope: Scope = { roots: new Map([["pools", pools], ["flist", flistRoot]]), tapPrefix: "t-", owners: null };
  hv = new Hypervisor({ stateDir: join(lab.dir, "hv"), netns: node.pin("host"), stopGraceMs: 1500 });
  await hv.open();
  const h = hv;
  const hvPort: HypervisorPort = {
    create: (json) => h.create(parseSpec(json, scope), "provision"),
    destroy: (id) => h.destroy(id, "provision"),
    info: (id) => Promise.resolve(h.info(id, "provision")),
    pause: (id) => h.pause(id, "provision"),
    resume: (id) => h.resume(id, "provision"),
    uid: () => Promise.resolve(process.getuid!()),
    stream: (id, url, netns) => Promise.resolve(h.stream(id, "provision", url, netns)),
    unstream: (id, url) => Promise.resolve(h.unstream(id, "provision", url)),
  };
  // test double: the flist driver's prepare() (CONTRACTS) for a container flist carrying its kernel
  const flist: FlistPort = {
    prepare: (url) => Promise.resolve({ hash: "zt", root: join(flistRoot, "tree"), kind: "container", kernel: join(flistRoot, "vmlinux"), initrd: join(flistRoot, "initrd"), ...(url ? {} : {}) }),
  };
  const m = zmachineManager({
    hypervisor: hvPort,
    network: {
      tap: async (twin, network, vmId, user) => await node.service.provision({ twin, workloadId: vmId, name: network, type: "vm-tap", data: { user } }) as never,
      untap: (twin, network, vmId) => node.service.deprovision({ twin, workloadId: vmId, name: network, type: "vm-tap" }),
    },
    // test double: the storage module's diskInfo path (CONTRACTS) for the file above
    // (the storage module reports the pool; the driver resolves <pool>/vdisks/<id> under its pools root)
    storage: { diskPath: (_o, id) => Promise.resolve(id === `${TWIN}-${CONTRACT}-ztdata` ? { pool: "p1", name: id } : null), volumePath: () => Promise.resolve(null) },
    flist,
    containerCmdline: GUEST_CMDLINE,
  });

  const d = deployment(256);
  const wl = d.workloads.find((w) => w.name === "vm1")!;
  const ctx: WorkloadContext = { twin: TWIN, contract: CONTRACT, workloadId: WLID, deployment: d, rented: false, replay: false };
  const result = await m.provision(ctx, wl);
  assert.equal(result, { id: WLID, ip: "10.40.1.5", planetary_ip: "", mycelium_ip: "", console_url: "" });

  const n = names(networkId(TWIN, "net1"));
  const nrPin = node.pin(n.ns);
  const consoleText = () => new TextDecoder().decode(h.console(WLID, "provision", 0, 1 << 20).data);
  const until = async (what: string, fn: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!fn()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; console:\n${consoleText()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await until("the guest", () => consoleText().includes("zt-guest: ready"), 150_000);
  const ping = () => {
    try {
      inNs(nrPin, ["ping", "-c", "1", "-W", "2", "10.40.1.5"]);
      return true;
    } catch {
      return false;
    }
  };
  let ok = false;
  for (let i = 0; i < 15 && !ok; i++) ok = ping();
  assert.ok(ok, "the guest answers ping from its NR namespace");
  assert.match(consoleText(), /eth0 [0-9a-f:]+ 10\.40\.1\.5\/24 via 10\.40\.1\.1/);
  assert.match(consoleText(), "zt-guest: 9p root etc");
  assert.match(readFileSync(disk).subarray(0, 64).toString(), /^written by the guest to ztdata/, "the guest wrote its zmount disk (found by serial)");
  // the tap is on the NR's bridge, owned by the hypervisor's uid
  const tap = inNs(node.pin("host"), ["ip", "-d", "link", "show", "master", n.bridge]);
  assert.match(tap, /t-[0-9a-f]{12}/);

  // zlogs: the console streamed to a redis server reachable from the VM's network (it runs in the NR)
  const redis = spawn("nsenter", [`--net=${nrPin}`, "--", "redis-server", "--bind", "10.40.1.1", "--port", "6399", "--save", "", "--appendonly", "no", "--protected-mode", "no"], { stdio: "ignore" });
  let sub: ReturnType<typeof spawn> | null = null;
  try {
    let got = "";
    for (let i = 0; i < 40 && !got.includes("subscribe"); i++) {
      await new Promise((r) => setTimeout(r, 250));
      sub?.kill("SIGKILL");
      sub = spawn("nsenter", [`--net=${nrPin}`, "--", "redis-cli", "-h", "10.40.1.1", "-p", "6399", "SUBSCRIBE", "zt-logs"], { stdio: ["ignore", "pipe", "ignore"] });
      got = "";
      sub.stdout!.on("data", (b: Buffer) => (got += b.toString()));
      await new Promise((r) => setTimeout(r, 300));
    }
    const logs = zlogsManager(hvPort);
    const zl = d.workloads.find((w) => w.name === "logs1")!;
    assert.is(await logs.provision(ctx, zl), null);
    const end = Date.now() + 30_000;
    while (!got.includes("zt-guest: ready") && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    const err = (() => {
      try {
        return readFileSync(join(lab!.dir, "hv", "vms", WLID, "zlogs.err"), "utf8");
      } catch (e) {
        return String(e);
      }
    })();
    assert.match(got, "zt-guest: ready", `the console reached the zlogs target through the NR (subscriber: ${got.slice(0, 200)}; streamer: ${err})`);
    await logs.deprovision(ctx, zl);
  } finally {
    sub?.kill("SIGKILL");
    redis.kill("SIGKILL");
  }

  // replay: the same workload again is a no-op (same QEMU)
  const pid = h.info(WLID, "provision")!.pid;
  await m.provision({ ...ctx, replay: true }, wl);
  assert.is(h.info(WLID, "provision")!.pid, pid);

  // update: more memory → the VM restarts with it
  const d2 = deployment(320);
  await m.update!({ ...ctx, deployment: d2 }, d2.workloads.find((w) => w.name === "vm1")!);
  const after = h.info(WLID, "provision")!;
  assert.is(after.memory, 320 * 1024 * 1024);
  assert.is.not(after.pid, pid);

  await m.pause!(ctx, wl);
  assert.is(h.info(WLID, "provision")!.state, "paused");
  await m.resume!(ctx, wl);
  assert.is(h.info(WLID, "provision")!.state, "running");

  await m.deprovision(ctx, wl);
  assert.is(h.info(WLID, "provision"), null);
  assert.not.match(inNs(node.pin("host"), ["ip", "link", "show"]), /t-[0-9a-f]{12}/, "the tap is gone");
});

test("refusals name the reason: another twin's network, an IP outside the subnet, unsupported features", async () => {
  if (!root) return;
  const node = lab!.nodes[0];
  // vm-tap for a network this twin does not have (another twin's NR of the same name is not found)
  try {
    await node.service.provision({ twin: TWIN + 1, workloadId: `${TWIN + 1}-1-vm`, name: "net1", type: "vm-tap", data: { user: 0 } });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /network "net1" of twin 42 does not exist on this node/);
  }
  const light = await zmachineLightManager.provision({} as WorkloadContext, {} as never).catch((e: Error) => e.message);
  assert.match(String(light), /zmachine-light is not supported on this node/);
});

test.run();
