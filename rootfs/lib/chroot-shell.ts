// A chroot in fresh namespaces (`unshare --mount … --`) starts with a copy of every mount of the host, including the
// pool mounts of a node that another process is stopping at that moment: the copy holds that node's loop devices
// until the chroot's process ends (a node's stop then finds its loops still attached). The shell below first
// unmounts, lazily and inside the new namespace only (unshare makes its mounts private), every mount that is not
// the chroot's root, below it, or above it; then runs the given snippet.
const DROP_FOREIGN_MOUNTS =
  `r=$0; awk '{print $2}' /proc/self/mounts | sort -r | while read -r m; do ` +
  `case "$m" in /|"$r"|"$r"/*) continue;; esac; case "$r/" in "$m"/*) continue;; esac; umount -l "$m" 2>/dev/null; done`;

/** The command after `unshare … --`: drop the host's other mounts, then `then` (a shell snippet: `$0` is `root`,
 * `"$@"` is `args`), e.g. `exec chroot "$0" "$@"`. */
export function chrootShell(root: string, then: string, args: string[] = []): string[] {
  return ["sh", "-c", `${DROP_FOREIGN_MOUNTS}; ${then}`, root, ...args];
}
