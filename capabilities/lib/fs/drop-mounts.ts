// A fresh mount namespace (`unshare --mount`) starts with a copy of every mount of the namespace that made it,
// including the pool mounts of a node that is being stopped at that moment, or the namespace pins of another. The
// copy holds them for as long as the new namespace lives: a pinned one (the netlink driver's wireguard-go namespace)
// lives as long as its node, so a node beside it on the same host could not detach its loop devices after its stop.
// The snippet below, run first inside the new namespace, unmounts (lazily, there only: unshare makes the copies
// private) every mount the namespace's programs do not need.

/** A path as one shell word. */
function word(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * A POSIX shell snippet that unmounts, inside the current mount namespace, every mount except `/`, /proc (umount
 * itself reads /proc/self/mountinfo; procfs holds no block device), the mounts at or below a `trees` entry (and
 * their ancestors), and the mounts holding a `paths` entry (each ancestor of it). Reads a snapshot of
 * /proc/self/mounts first, so its own unmounts do not move the list under it.
 */
export function dropMountsSnippet(o: { trees: string[]; paths: string[] }): string {
  const trees = ["/proc", ...o.trees].filter((t) => t && t !== "/").map((t) => t.replace(/\/+$/, ""));
  const keep = [...trees, ...o.paths.filter((p) => p)].map(word).join(" ");
  const below = trees.map((t) => `${word(t)}|${word(t)}/*`).join("|");
  return `_zm=$(cat /proc/self/mounts) && printf '%s\\n' "$_zm" | while read -r _ m _; do ` +
    `case "$m" in /${below ? `|${below}` : ""}) continue;; esac; ` +
    `for k in ${keep || "''"}; do case "$k/" in "$m"/*) continue 2;; esac; done; ` +
    `umount -l "$m" 2>/dev/null; done; true`;
}
