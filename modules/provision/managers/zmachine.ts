// The `zmachine` workload manager (zosbase pkg/primitives/vm), bound to ports so it runs under the kernel
// (granted capabilities, modules/provision/main.ts) and in tests (in-process drivers). What it does, as
// Zero-OS does it: the flist decides the mode — with an image ⇒ full VM (the image goes onto the first
// mount, which must be a zmount), else container mode (kernel + initrd from the flist or the base flist,
// root = the flist's tree over 9p, writable per VM when the flist side offers it); mounts are zmount
// disks (by serial = mount name) and volumes (9p tag = mount name); the one private interface is a tap on
// the NR's bridge (the network module's vm-tap verb) with the workload's IP, routes to the network's range
// and 100.64.0.0/16 via <subnet>.1; the cloud-init seed carries hostname (= workload name), network
// config, env, SSH keys (env SSH_KEY) and mounts; result {id, ip, planetary_ip, mycelium_ip, console_url}.
// Not supported, with the reason: public IPs, planetary (yggdrasil), mycelium, GPUs, zmachine-light.
import { type Workload, workloadData } from "../../lib/gridtypes/mod.ts";
import { minRootSize, type ZMachineData } from "../../lib/gridtypes/workloads/zmachine.ts";
import { goIPString } from "../../lib/gridtypes/ip.ts";
import { macFor } from "../../../capabilities/lib/vm-names.ts";
import { type WorkloadContext, type WorkloadManager } from "../interfaces.ts";
import { zmachineSeedIdentity } from "./zmachine-seed.ts";
import type { FlistRoot } from "../../../capabilities/flist/client.ts";
import type { TapInfo } from "../../network/taps.ts";

export interface VmInfo {
  id: string;
  state: string;
  reason: string;
  pid: number;
  cpu: number;
  memory: number;
}

export interface HypervisorPort {
  create(json: string): Promise<VmInfo>;
  destroy(id: string): Promise<boolean>;
  info(id: string): Promise<VmInfo | null>;
  pause(id: string): Promise<VmInfo>;
  resume(id: string): Promise<VmInfo>;
  uid(): Promise<number>;
  stream(id: string, url: string, netns: string): Promise<void>;
  unstream(id: string, url: string): Promise<boolean>;
}

export type { TapInfo };

export interface NetworkPort {
  tap(twin: number, network: string, vmId: string, user: number): Promise<TapInfo>;
  untap(twin: number, network: string, vmId: string): Promise<void>;
}

/** Where a disk or volume is: its path (CONTRACTS), or its pool and name for the driver to resolve. */
export type StorageRef = string | { pool: string; name: string };

export interface StoragePort {
  /** the zmount disk, null when absent */
  diskPath(owner: number, id: string): Promise<StorageRef | null>;
  /** the volume, null when absent */
  volumePath(owner: number, id: string): Promise<StorageRef | null>;
  /** a quota-limited volume (btrfs subvolume + qgroup) for a VM's writable root, Zero-OS's `rootfs:<wlid>`;
   * idempotent, a new size sets the new limit. Absent: the flist driver keeps the copy in its own folder. */
  rootfsCreate?(owner: number, id: string, size: bigint): Promise<{ pool: string }>;
  rootfsDelete?(owner: number, id: string): Promise<void>;
}

/** The storage volume id of a VM's writable root (the owner's prefix, as storage ids need). */
export function rootfsVolumeId(workloadId: string): string {
  return `${workloadId}.rootfs`;
}

const ref = (r: StorageRef) => (typeof r === "string" ? { path: r } : { pool: r.pool, name: r.name });

/** CONTRACTS "Flist": the part of the flist driver's answer the manager uses. */
export type FlistInfo = Pick<FlistRoot, "hash" | "root" | "kind" | "kernel" | "initrd" | "image">;

export interface FlistPort {
  prepare(url: string): Promise<FlistInfo>;
  /** `volume` "<pool>/<id>": fill that quota-limited storage volume instead of a folder of the driver's */
  writable?(owner: number, vm: string, url: string, size: bigint, volume?: string): Promise<{ path: string }>;
  dropWritable?(owner: number, vm: string): Promise<void>;
}

export interface ZmachineOptions {
  hypervisor: HypervisorPort;
  network: NetworkPort;
  storage: StoragePort;
  flist: FlistPort | null;
  /** the flist whose /boot/vmlinuz + /boot/initrd.img boot container-mode flists without their own kernel */
  baseFlist?: string;
  /** kernel command line for container mode; the base kernel's initramfs mounts 9p tag `root` */
  containerCmdline?: string;
}

const MiB = 1024n * 1024n;
const NAMESERVERS = ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"];

function notSupported(what: string, why: string): never {
  throw new Error(`${what} is not supported on this node: ${why}`);
}

function v4InSubnet(ip: string, subnet: string): boolean {
  const [net, bits] = subnet.split("/");
  const n = (s: string) => s.split(".").reduce((a, b) => (a << 8) + Number(b), 0) >>> 0;
  const m = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (n(ip) & m) === (n(net) & m);
}

/** Mount names become disk serials and 9p tags: keep what QEMU and the guest accept. */
export function mountTag(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 20) || "mount";
}

export function zmachineManager(o: ZmachineOptions): WorkloadManager {
  async function spec(ctx: WorkloadContext, wl: Workload): Promise<{ json: string; ip: string; network: string }> {
    const d = workloadData(wl) as ZMachineData;
    if (d.network.public_ip) notSupported("a public IP for a VM", "this node has no public IP workloads yet (`ip`/`ipv4` are not built); deploy without public_ip");
    if (d.network.planetary) notSupported("planetary (yggdrasil)", "no yggdrasil daemon runs on this node; set planetary to false");
    if (d.network.mycelium) notSupported("mycelium", "no mycelium daemon runs on this node; remove network.mycelium");
    if (d.gpu.length) notSupported("GPU passthrough", "VFIO devices are not available to VMs on this node");
    if (!o.flist) notSupported("zmachine", "the flist capability is not granted to provision on this node");
    const ifc = d.network.interfaces[0];
    const ip = goIPString(ifc.ip);
    const flist = await o.flist.prepare(d.flist);
    const uid = await o.hypervisor.uid();
    const tap = await o.network.tap(ctx.twin, ifc.network, ctx.workloadId, uid);
    if (ip.includes(":") || !v4InSubnet(ip, tap.subnet)) throw new Error(`network.interfaces[0].ip: ${ip} is not an IPv4 address inside the network's subnet ${tap.subnet} on this node`);
    if (ip === tap.gateway) throw new Error(`network.interfaces[0].ip: ${ip} is the network's gateway; pick another address of ${tap.subnet}`);
    const mac = macFor(tap.tap);

    // mounts: other workloads of the same deployment, by name
    const disks: ({ serial: string } & ReturnType<typeof ref>)[] = [];
    const shares: ({ tag: string } & ReturnType<typeof ref>)[] = [];
    const seedMounts: { source: string; target: string; type: string }[] = [];
    for (const [i, m] of d.mounts.entries()) {
      const target = ctx.deployment.workloads.find((w) => w.name === m.name);
      const wlid = `${ctx.twin}-${ctx.contract}-${m.name}`;
      if (target?.type === "zmount") {
        const path = await o.storage.diskPath(ctx.twin, wlid);
        if (!path) throw new Error(`mounts[${i}]: zmount "${m.name}" has no disk on this node (did it fail?)`);
        disks.push({ ...ref(path), serial: mountTag(m.name) });
        // the first zmount of a full VM is its boot disk, not a mount
        if (!(flist.kind === "vm" && disks.length === 1)) seedMounts.push({ source: mountTag(m.name), target: m.mountpoint, type: "auto" });
      } else if (target?.type === "volume") {
        const path = await o.storage.volumePath(ctx.twin, wlid);
        if (!path) throw new Error(`mounts[${i}]: volume "${m.name}" has no subvolume on this node (did it fail?)`);
        shares.push({ tag: mountTag(m.name), ...ref(path) });
        seedMounts.push({ source: mountTag(m.name), target: m.mountpoint, type: "9p" });
      } else {
        throw new Error(`mounts[${i}]: "${m.name}" is not a zmount or volume workload of this deployment`);
      }
    }

    const id = zmachineSeedIdentity(wl);
    const seed = {
      hostname: id.hostname,
      network: [{
        mac,
        addresses: [`${ip}/${tap.subnet.split("/")[1]}`],
        gateway4: tap.gateway,
        routes: [{ to: tap.ip_range, via: tap.gateway }, { to: "100.64.0.0/16", via: tap.gateway }],
        nameservers: NAMESERVERS,
      }],
      sshKeys: id.sshKeys,
      env: id.env,
      entrypoint: id.entrypoint,
      mounts: seedMounts,
    };
    const memory = Number(((d.compute_capacity.memory + MiB - 1n) / MiB) * MiB);
    const req: Record<string, unknown> = {
      id: ctx.workloadId,
      owner: ctx.twin,
      cpu: d.compute_capacity.cpu,
      memory,
      disks,
      shares,
      nics: [{ tap: tap.tap, mac }],
      seed,
    };
    if (flist.kind === "vm") {
      if (!flist.image) throw new Error(`flist ${d.flist} is a VM flist without /image.raw`);
      if (!disks.length) throw new Error("mounts: a full VM (an flist with /image.raw) needs a zmount as its first mount to receive the image");
      req.image = flist.image;
    } else {
      let kernel = flist.kernel, initrd = flist.initrd;
      if (!kernel && o.baseFlist) {
        const base = await o.flist.prepare(o.baseFlist);
        kernel = base.kernel;
        initrd = base.initrd;
      }
      if (!kernel) throw new Error(`flist ${d.flist} has no /boot/vmlinuz and this node has no base kernel flist for container mode`);
      req.kernel = kernel;
      if (initrd) req.initrd = initrd;
      req.cmdline = o.containerCmdline ?? "console=ttyS0 panic=-1 quiet";
      // the writable root has the rootfs size the workload pays for (SRU): `size`, or the minimum when 0/below
      const min = minRootSize(d);
      const rootSize = d.size > min ? d.size : min;
      // in a volume of that size when storage offers one: writing past it fails in the guest (EDQUOT), and
      // deleting the subvolume removes what the guest wrote, whoever owns it
      let volume: string | undefined;
      if (o.flist.writable && o.storage.rootfsCreate) {
        const id = rootfsVolumeId(ctx.workloadId);
        volume = `${(await o.storage.rootfsCreate(ctx.twin, id, rootSize)).pool}/${id}`;
      }
      const root = o.flist.writable ? (await o.flist.writable(ctx.twin, ctx.workloadId, d.flist, rootSize, volume)).path : flist.root;
      req.root = { path: root, readOnly: !o.flist.writable };
    }
    return { json: JSON.stringify(req), ip, network: ifc.network };
  }

  const result = (ctx: WorkloadContext, ip: string) => ({ id: ctx.workloadId, ip, planetary_ip: "", mycelium_ip: "", console_url: "" });

  async function run(ctx: WorkloadContext, wl: Workload): Promise<unknown> {
    const s = await spec(ctx, wl);
    const info = await o.hypervisor.create(s.json);
    if (info.state === "failed") throw new Error(`vm failed: ${info.reason}`);
    return result(ctx, s.ip);
  }

  return {
    // the driver answers the running VM for the same spec, so a replayed job is a no-op (Zero-OS)
    provision: run,
    // resources (cpu, memory), mounts or env changed: the same id with another spec restarts the VM
    update: (ctx, wl) => run(ctx, wl),
    async deprovision(ctx, wl) {
      const d = workloadData(wl) as ZMachineData;
      await o.hypervisor.destroy(ctx.workloadId);
      const net = d.network.interfaces[0]?.network;
      if (net) await o.network.untap(ctx.twin, net, ctx.workloadId);
      await o.flist?.dropWritable?.(ctx.twin, ctx.workloadId);
      await o.storage.rootfsDelete?.(ctx.twin, rootfsVolumeId(ctx.workloadId));
    },
    async pause(ctx) {
      await o.hypervisor.pause(ctx.workloadId);
    },
    async resume(ctx) {
      await o.hypervisor.resume(ctx.workloadId);
    },
  };
}

/** zmachine-light is the v3light/v4 flavour (mycelium-only networks): the honest refusal. */
export const zmachineLightManager: WorkloadManager = {
  provision() {
    return Promise.reject(new Error("zmachine-light is not supported on this node: it needs network-light (mycelium-only networks), and this node runs the full v3 stack; deploy a zmachine on a network workload instead"));
  },
  deprovision: () => Promise.resolve(),
};
