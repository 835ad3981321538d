// Handing a VM's files to the `vm` group (capabilities/lib/linux-groups.ts): QEMU runs under the hypervisor
// driver's uid with no capabilities, so it opens another driver's files only through that group. The owner
// (the flist or blockdev driver, itself in the group: chgrp needs no capability then) keeps its uid and
// gives the group what it has itself, read-only or read-write; others get nothing more than before.
import { chmodSync, chownSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { VM_GID } from "../linux-groups.ts";

/** chgrp `path` to the vm group when this process may (root, or a member); false when it may not. */
export function joinVmGroup(path: string): boolean {
  try {
    chownSync(path, -1, VM_GID);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EPERM") return false;
    throw e;
  }
}

/**
 * Every file and directory of the tree at `root` (symlinks are left alone, never followed) goes to the vm
 * group with the owner's bits copied to the group: r → r, x → x, and w → w only when `write`. Writable
 * trees get set-gid directories, so what QEMU creates there stays in the group.
 */
export function shareTreeWithVmGroup(root: string, write: boolean): void {
  const walk = (path: string): void => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if (!st.isDirectory() && !st.isFile()) return;
    if (st.gid !== VM_GID) chownSync(path, -1, VM_GID);
    const mode = vmGroupMode(st.mode & 0o7777, st.isDirectory(), write);
    if ((st.mode & 0o7777) !== mode) chmodSync(path, mode); // after chown: chown clears set-id bits of files
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(root);
}

/** The permission bits a file or directory gets in a tree shared with the vm group. */
export function vmGroupMode(perm: number, isDir: boolean, write: boolean): number {
  const user = (perm >> 6) & 0o7;
  const group = (user & 0o5) | (write ? user & 0o2 : 0);
  return (perm & 0o7707) | (group << 3) | (isDir && write ? 0o2000 : 0);
}
