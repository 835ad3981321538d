// What goes into the node image besides the runtime and the code: the kernel package and the kernel
// modules the node needs. Reviewed like code: every module here is attack surface loaded as root.
import { NODE_MODULES } from "../kernel/pid1/node-devices.ts";

/**
 * The Debian kernel the image boots, pinned by package, version and the .deb's sha256 (apt-cache show
 * gives all three). Unpinned builds picked whatever apt called newest (6.1.0-50 one day, 6.1.0-56 the
 * next). Changing it is a reviewed change like any other code in the image: update all three fields.
 * 6.1.0-50 is the kernel of the bookworm point release (pool/main), which stays in the archive longer
 * than the security updates' builds.
 */
export const KERNEL = {
  package: "linux-image-6.1.0-50-amd64",
  version: "6.1.176-1",
  sha256: "7b5597492a0a65aee61985a492e6bcc3f2cde830072a0e3b3d8c7e1b90279bd3",
} as const;

/** Drivers for the devices a node meets (loaded by PID 1 when a matching device is present). */
export const DEVICE_MODULES = [
  // buses and disks
  "virtio_pci", "virtio_blk", "virtio_scsi", "nvme", "ahci", "sd_mod",
  // network cards (virtio for VMs, the common Intel/Realtek/Broadcom ones for hardware)
  "virtio_net", "e1000", "e1000e", "igb", "ixgbe", "i40e", "r8169", "tg3",
  // entropy for a headless VM
  "virtio_rng",
];

/** Subsystems the node's modules use on demand (bridges, tunnels, pools, VMs); PID 1 loads NODE_MODULES up front. */
export const FEATURE_MODULES = [
  ...NODE_MODULES,
  "bridge", "veth", "tun", "macvlan", "macvtap", "8021q", "wireguard", "vhost_net", "vhost_vsock",
  "btrfs", "ext4", "overlay", "fuse", "loop", "kvm_intel", "kvm_amd", "nf_tables", "br_netfilter",
  // crypto the filesystems ask for through softdep (the kernel would call a modprobe we do not ship)
  "crc32c_generic", "crc32c_intel", "blake2b_generic", "xxhash_generic", "sha256_ssse3",
];

/**
 * The programs the node's drivers run (their manifests' `sandbox.run`, by these absolute paths), each with the
 * libraries it links (ldd on the build host). What each costs in the image is in docs/image.md.
 */
export const NODE_TOOLS = [
  // capabilities/blockdev/tools.ts: pools, subvolumes with quotas, NOCOW vdisks; blkid/lsblk read the disks
  "/usr/sbin/mkfs.btrfs", "/usr/bin/btrfs", "/usr/sbin/blkid", "/usr/bin/lsblk", "/usr/bin/chattr", "/usr/bin/fallocate",
  // capabilities/netlink: nft rulesets and taps inside a namespace (nsenter), WireGuard through wireguard-go
  // (started in the listening namespace by nsenter; the kernel's WireGuard module is not driven yet)
  "/usr/sbin/nft", "/usr/sbin/ip", "/usr/bin/nsenter", "/usr/bin/unshare", "/usr/bin/wireguard-go",
  // capabilities/flist: tar -x makes a materialised root's symlinks, cp --reflink makes a VM's writable root
  // (without them every zmachine on the image failed: "spawn /usr/bin/tar ENOENT", the vm-test's vm scenario)
  "/usr/bin/tar", "/usr/bin/cp",
];

/**
 * Deno programs a driver starts itself (by this path next to its own entry, with `${root}/node_modules/deno/deno`
 * from its `sandbox.run`), bundled like the manifest's entries: the gateway's :443 proxy and the hypervisor's
 * zlogs streamer. Without them in the image the gateway driver crash-loops and every process holding a
 * gateway grant waits for it.
 */
export const HELPER_ENTRIES = ["capabilities/gateway/proxy.ts", "capabilities/hypervisor/zlogs-stream.ts"];

/**
 * Worker scripts the code starts only as an optimisation and does without: left out of the image on purpose.
 * The flist materialiser's decode pool (capabilities/lib/flist/decode-pool.ts) falls back to one thread when
 * its worker cannot start; in the image it would bundle block.ts's WASM again for a driver that has no
 * libcrypto there and decodes through WebCrypto anyway.
 */
export const OPTIONAL_HELPERS = ["capabilities/lib/flist/decode-worker.ts"];

/** Source folders whose code may go into the image (checked for escaping `file:` imports). */
export const CODE_FOLDERS = ["kernel", "capabilities", "modules"];

/** Runtime files the image must never contain: the no-shell promise, checked on the listing. */
export const FORBIDDEN_BASENAMES = [
  "sh", "bash", "dash", "ash", "zsh", "ksh", "csh", "tcsh", "fish", "busybox", "toybox",
  "python", "python3", "perl", "ruby", "lua", "node", "php", "tclsh", "awk", "gawk", "mawk",
  "apt", "apt-get", "dpkg", "rpm", "yum", "apk", "sudo", "su", "login", "getty", "agetty", "sshd", "dropbear",
];
