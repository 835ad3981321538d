// Test helper: try one file operation as another uid, from outside any driver (root test runs only) — how
// the escape tests show what a uid with or without the vm group can open. setpriv drops every capability
// (uid 0 → non-zero clears them; the bounding set too), so only the file modes and groups decide.
import { spawnSync } from "node:child_process";

const OPS = {
  read: 'head -c 1 -- "$1" >/dev/null',
  /** open read-write without writing a byte */
  write: ': 1<>"$1"',
  list: 'ls -- "$1" >/dev/null',
  create: ': >"$1"',
} as const;

export function canAs(uid: number, groups: number[], op: keyof typeof OPS, path: string): boolean {
  const r = spawnSync("setpriv", [
    `--reuid=${uid}`, `--regid=${uid}`, groups.length ? `--groups=${groups.join(",")}` : "--clear-groups",
    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
    "/bin/sh", "-c", OPS[op], "sh", path,
  ], { stdio: ["ignore", "ignore", "ignore"] });
  return r.status === 0;
}
