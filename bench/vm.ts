// VM benchmark (root, QEMU under TCG): the smallest Debian guest (capabilities/hypervisor/test/guest.ts)
// booted bare (qemu-system-x86_64 by hand on a tap in a zt- namespace, as WORKLOADS.md §3 measured) vs
// deployed as a zmachine through the zmachine manager, the network module's vm-tap verb and the hypervisor
// (in-process: no RPC hops), both until the guest answers ping — alternated in one run so the machine's load
// hits both alike. Also idle memory per VM (QEMU RSS after boot) and how many such VMs the engine's memory
// admission admits on this host.
// usage: node_modules/deno/deno run -A bench/vm.ts [--n 3]
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Hypervisor } from "../capabilities/hypervisor/hypervisor.ts";
import { parseSpec, type Scope } from "../capabilities/hypervisor/spec.ts";
import { buildGuest, GUEST_CMDLINE } from "../capabilities/hypervisor/test/guest.ts";
import { buildSeed } from "../capabilities/hypervisor/seed.ts";
import { macFor, tapName } from "../capabilities/lib/vm-names.ts";
import { Lab, inNs, wgKeys } from "../modules/network/test/lab.ts";
import { names } from "../modules/network/nr.ts";
import { networkId } from "../modules/lib/gridtypes/names.ts";
import { parseDeployment } from "../modules/lib/gridtypes/mod.ts";
import { usableMemory } from "../modules/provision/capacity.ts";
import { zmachineManager } from "../modules/provision/managers/zmachine.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "3" } } });
const N = Number(values.n);
const MEM = 256 * 1024 * 1024;
const TWIN = 51;
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const lab = new Lab(1, "vm-bench");
const node = lab.nodes[0];
const k = wgKeys();
await node.service.provision({
  twin: TWIN, workloadId: `${TWIN}-1-net`, name: "net", type: "network",
  data: { ip_range: "10.50.0.0/16", subnet: "10.50.1.0/24", wireguard_private_key: k.priv, wireguard_listen_port: 3951, peers: [] },
});
const nrPin = node.pin(names(networkId(TWIN, "net")).ns);
const flistRoot = join(lab.dir, "flist");
mkdirSync(join(flistRoot, "tree"), { recursive: true });
const g = buildGuest();
copyFileSync(g.kernel, join(flistRoot, "vmlinux"));
copyFileSync(g.initrd, join(flistRoot, "initrd"));
const pools = join(lab.dir, "pools");
mkdirSync(pools, { recursive: true });
const scope: Scope = { roots: new Map([["pools", pools], ["flist", flistRoot]]), tapPrefix: "t-", owners: null };
const hv = new Hypervisor({ stateDir: join(lab.dir, "hv"), netns: node.pin("host"), stopGraceMs: 500 });
await hv.open();

function pingUntil(ip: string, t0: number, limitMs = 240_000): number {
  while (performance.now() - t0 < limitMs) {
    try {
      inNs(nrPin, ["ping", "-c", "1", "-W", "1", ip]);
      return performance.now() - t0;
    } catch { /* not yet */ }
  }
  throw new Error(`${ip} never answered`);
}

const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;

async function bare(i: number): Promise<number> {
  // the same guest, seed and tap shape, QEMU started by hand
  const id = `bare-${i}`;
  const tap = tapName("t-", id, 0);
  const mac = macFor(tap);
  await node.service.provision({ twin: TWIN, workloadId: id, name: "net", type: "vm-tap", data: { user: 0 } });
  const dir = join(lab.dir, id);
  mkdirSync(dir, { recursive: true });
  const seed = buildSeed(dir, id, { hostname: "bare", network: [{ mac, addresses: ["10.50.1.100/24"], gateway4: "10.50.1.1" }] });
  const t0 = performance.now();
  const q = spawn("nsenter", [`--net=${node.pin("host")}`, "--", "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "256", "-smp", "1",
    "-nodefaults", "-no-reboot", "-display", "none", "-monitor", "none", "-serial", `file:${join(dir, "console.log")}`,
    "-kernel", join(flistRoot, "vmlinux"), "-initrd", join(flistRoot, "initrd"), "-append", GUEST_CMDLINE,
    "-netdev", `tap,id=n0,ifname=${tap},script=no,downscript=no`, "-device", `virtio-net-pci,netdev=n0,mac=${mac}`,
    "-drive", `file=${seed},format=raw,if=none,id=seed,readonly=on`, "-device", "virtio-blk-pci,drive=seed,serial=cidata"], { stdio: "ignore" });
  try {
    return pingUntil("10.50.1.100", t0);
  } finally {
    q.kill("SIGKILL");
    await new Promise((r) => q.once("exit", r));
    await node.service.deprovision({ twin: TWIN, workloadId: id, name: "net", type: "vm-tap", data: {} });
  }
}

const m = zmachineManager({
  hypervisor: {
    create: (json) => hv.create(parseSpec(json, scope), "provision"),
    destroy: (id) => hv.destroy(id, "provision"),
    info: (id) => Promise.resolve(hv.info(id, "provision")),
    pause: (id) => hv.pause(id, "provision"),
    resume: (id) => hv.resume(id, "provision"),
    uid: () => Promise.resolve(0),
    stream: () => Promise.resolve(),
    unstream: () => Promise.resolve(false),
  },
  network: {
    tap: async (twin, network, vmId, user) => await node.service.provision({ twin, workloadId: vmId, name: network, type: "vm-tap", data: { user } }) as never,
    untap: (twin, network, vmId) => node.service.deprovision({ twin, workloadId: vmId, name: network, type: "vm-tap", data: {} }),
  },
  storage: { diskPath: () => Promise.resolve(null), volumePath: () => Promise.resolve(null) },
  // bench double for the flist driver: the guest as a container flist with its kernel
  flist: { prepare: () => Promise.resolve({ hash: "b", root: join(flistRoot, "tree"), kind: "container", kernel: join(flistRoot, "vmlinux"), initrd: join(flistRoot, "initrd") }) },
  containerCmdline: GUEST_CMDLINE,
});

async function deployed(i: number): Promise<{ ms: number; rss: number }> {
  const name = `vm${i}`;
  const d = parseDeployment(JSON.stringify({
    version: 0, twin_id: TWIN, contract_id: 100 + i, metadata: "", description: "", expiration: 0,
    signature_requirement: { requests: [{ twin_id: TWIN, required: false, weight: 1 }], weight_required: 1, signatures: [], signature_style: "" },
    workloads: [{ version: 0, name, type: "zmachine", metadata: "", description: "", result: { created: 0, state: "", message: "", data: null },
      data: { flist: "https://hub.example/b.fl", network: { public_ip: "", planetary: false, interfaces: [{ network: "net", ip: "10.50.1.101" }] },
        size: 0, compute_capacity: { cpu: 1, memory: MEM }, mounts: [], entrypoint: "", env: {}, corex: false } }],
  }));
  const wl = d.workloads[0];
  const ctx = { twin: TWIN, contract: BigInt(100 + i), workloadId: `${TWIN}-${100 + i}-${name}`, deployment: d, rented: false, replay: false };
  const t0 = performance.now();
  await m.provision(ctx, wl);
  const ms = pingUntil("10.50.1.101", t0);
  await new Promise((r) => setTimeout(r, 5000)); // idle after boot
  const pid = hv.info(ctx.workloadId, "provision")!.pid;
  const mem = rss(pid);
  await m.deprovision(ctx, wl);
  return { ms, rss: mem };
}

const out = { bare: [] as number[], deployed: [] as number[], rss: [] as number[] };
try {
  for (let i = 0; i < N; i++) {
    out.bare.push(await bare(i));
    const r = await deployed(i);
    out.deployed.push(r.ms);
    out.rss.push(r.rss);
    console.error(`round ${i + 1}: bare ${out.bare[i].toFixed(0)} ms, deployed ${r.ms.toFixed(0)} ms, QEMU RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB`);
  }
} finally {
  await hv.stopAll();
  await lab.close();
}
const mem = readFileSync("/proc/meminfo", "utf8");
const avail = BigInt(Number(/MemAvailable:\s+(\d+)/.exec(mem)![1]) * 1024);
const total = BigInt(totalmem());
const zero = { cru: 0n, sru: 0n, hru: 0n, mru: 0n, ipv4u: 0n };
const usable = usableMemory({ total: () => ({ ...zero, mru: total }), reserved: () => ({ ...zero, mru: total / 10n > 2n ** 31n ? total / 10n : 2n ** 31n }), availableMemory: () => avail }, zero);
const result = {
  runs: N,
  bare_boot_to_ping_ms: Math.round(med(out.bare)),
  deploy_to_ping_ms: Math.round(med(out.deployed)),
  ratio: +(med(out.deployed) / med(out.bare)).toFixed(2),
  idle_qemu_rss_mib: Math.round(med(out.rss) / 2 ** 20),
  vms_admitted_by_memory: Number(usable / BigInt(MEM)),
  vms_fitting_by_rss: Number(avail / BigInt(Math.round(med(out.rss)))),
};
console.log(JSON.stringify(result, null, 2));
