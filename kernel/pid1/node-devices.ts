// What the node's drivers need from PID 1 before the capability kernel starts, because the image has no
// udev and no modprobe: the kernel modules their tools ask the kernel for (nft's expressions, tun, veth,
// macvlan, btrfs — the kernel's own request_module() would exec a /sbin/modprobe the image does not ship),
// the data disks handed to the block-device driver (group disk, as udev would), /dev/net/tun open to the
// netlink driver's uid (udev's 0666) and wireguard-go's UAPI folder (/run/wireguard) pointing at that
// driver's own state folder, so it starts without a shell wrapper.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import type { DiskInfo } from "./state-disk.ts";

/**
 * Modules the node's processes use, loaded up front (with their dependencies and softdeps). Each is in the
 * image through rootfs/image-config.ts (FEATURE_MODULES includes this list).
 */
export const NODE_MODULES = [
  // storage: pools are btrfs
  "btrfs",
  // networks: the NR shape (bridge is loaded with the NIC), WireGuard's TUN, the nft rulesets of modules/network
  "tun", "veth", "macvlan", "nf_tables", "nft_chain_nat", "nft_masq", "nft_ct", "nft_nat", "nft_reject_inet", "nft_fib_inet",
] as const;

/** gid of group disk in the image's /etc/group (Debian's static gid, rootfs/build.ts IMAGE_GROUPS). */
export const DISK_GID = 6;

/** Zero-OS's `zos-debug-vm`: every disk is SSD except these two (ZOS-REFERENCE §2.2, storage). */
export const DEBUG_VM_HDD = ["vdd", "vde"];

/** The disks that become pools: every whole disk but the one holding the node's state. */
export function dataDisks(disks: DiskInfo[], stateDisk: string | null): DiskInfo[] {
  return disks.filter((d) => d.name !== stateDisk);
}

/** The manifest's ${disks} ${hdd} ${requiressd} for these data disks (modules/node.ts does the same on a host). */
export function diskVars(data: DiskInfo[], debugVm: boolean): { disks: string; hdd: string; requiressd: string } {
  return {
    disks: data.map((d) => `/dev/${d.name}`).join(",") || "-",
    hdd: debugVm ? (data.map((d) => d.name).filter((n) => DEBUG_VM_HDD.includes(n)).join(",") || "-") : "auto",
    requiressd: "yes",
  };
}

/** root:disk 0660 on each data disk, as udev's rules give them: the block-device driver opens them through group disk. */
export function shareDataDisks(data: DiskInfo[], devRoot = "/dev"): string[] {
  const done: string[] = [];
  for (const d of data) {
    const path = `${devRoot}/${d.name}`;
    chownSync(path, 0, DISK_GID);
    chmodSync(path, 0o660);
    done.push(d.name);
  }
  return done;
}

/**
 * /dev/net/tun 0666 (udev's rule on every distribution: opening it creates nothing without CAP_NET_ADMIN) and
 * /run/wireguard → `uapiDir`, where wireguard-go puts its control sockets and the netlink driver looks for them.
 */
export function prepareWireguard(uapiDir: string, runDir = "/run/wireguard", tun = "/dev/net/tun"): void {
  if (existsSync(tun)) chmodSync(tun, 0o666);
  mkdirSync(uapiDir, { recursive: true, mode: 0o700 });
  try {
    if (lstatSync(runDir).isSymbolicLink() || lstatSync(runDir).isDirectory()) rmSync(runDir, { recursive: true, force: true });
  } catch { /* absent */ }
  symlinkSync(uapiDir, runDir);
}
