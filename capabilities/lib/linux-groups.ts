// The supplementary groups a manifest may give a driver (`linux.groups`): a fixed name → gid table, the same
// on every host and in the image's /etc/group (rootfs/build.ts IMAGE_GROUPS), so a node never depends on what
// a host's /etc/group happens to say. Drivers import the gids they hand files to (chgrp to a group the
// driver's uid is in needs no capability).
//   disk: the data disks (the node gives them root:disk 0660); Debian's static gid.
//   vm:   the files a VM's QEMU opens across driver uids: flist roots (group-readable), vdisks and volumes
//         (group-read-write). The hypervisor, flist and blockdev drivers are in it, nobody else.
export const KERNEL_GROUPS: Readonly<Record<string, number>> = Object.freeze({
  disk: 6,
  vm: 60990,
});

/** gid of the `vm` group. */
export const VM_GID = KERNEL_GROUPS.vm;
