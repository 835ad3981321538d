// A chroot in fresh namespaces (`unshare --mount … --`) starts with a copy of every mount of the host, including the
// pool mounts of a node that another process is stopping at that moment: the copy holds that node's loop devices
// until the chroot's process ends (a node's stop then finds its loops still attached). The shell below first
// unmounts, inside the new namespace only, every mount that is not the chroot's root, below it, or above it; then
// runs the given snippet.
import { dropMountsSnippet } from "../../capabilities/lib/fs/drop-mounts.ts";

/** The command after `unshare … --`: drop the host's other mounts, then `then` (a shell snippet: `$0` is `root`,
 * `"$@"` is `args`), e.g. `exec chroot "$0" "$@"`. */
export function chrootShell(root: string, then: string, args: string[] = []): string[] {
  return ["sh", "-c", `${dropMountsSnippet({ trees: [root], paths: [] })}; ${then}`, root, ...args];
}
