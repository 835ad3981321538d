// What goes into the node image besides the runtime and the code: the kernel package and the kernel
// modules the node needs. Reviewed like code: every module here is attack surface loaded as root.

export const KERNEL_PACKAGE = "auto"; // newest linux-image-<abi>-amd64 apt knows; pin with --kernel-package

/** Drivers for the devices a node meets (loaded by PID 1 when a matching device is present). */
export const DEVICE_MODULES = [
  // buses and disks
  "virtio_pci", "virtio_blk", "virtio_scsi", "nvme", "ahci", "sd_mod",
  // network cards (virtio for VMs, the common Intel/Realtek/Broadcom ones for hardware)
  "virtio_net", "e1000", "e1000e", "igb", "ixgbe", "i40e", "r8169", "tg3",
  // entropy for a headless VM
  "virtio_rng",
];

/** Subsystems the node's modules use on demand (bridges, tunnels, pools, VMs). */
export const FEATURE_MODULES = [
  "bridge", "veth", "tun", "macvlan", "macvtap", "8021q", "wireguard", "vhost_net", "vhost_vsock",
  "btrfs", "ext4", "overlay", "fuse", "loop", "kvm_intel", "kvm_amd", "nf_tables", "br_netfilter",
  // crypto the filesystems ask for through softdep (the kernel would call a modprobe we do not ship)
  "crc32c_generic", "crc32c_intel", "blake2b_generic", "xxhash_generic", "sha256_ssse3",
];

/** Source folders whose code may go into the image (checked for escaping `file:` imports). */
export const CODE_FOLDERS = ["kernel", "capabilities", "modules"];

/** Runtime files the image must never contain: the no-shell promise, checked on the listing. */
export const FORBIDDEN_BASENAMES = [
  "sh", "bash", "dash", "ash", "zsh", "ksh", "csh", "tcsh", "fish", "busybox", "toybox",
  "python", "python3", "perl", "ruby", "lua", "node", "php", "tclsh", "awk", "gawk", "mawk",
  "apt", "apt-get", "dpkg", "rpm", "yum", "apk", "sudo", "su", "login", "getty", "agetty", "sshd", "dropbear",
];
