// The shared libraries a binary links, as the build host's ldd resolves them: what the image (and the QEMU
// extension) must carry for a Debian binary to run without the rest of Debian.
import { spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";

/** The shared libraries a binary needs, as [path in image, file on host], the loader included. */
export function runtimeLibs(binary: string): [string, string][] {
  const r = spawnSync("ldd", [binary], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", LC_ALL: "C" } });
  if (r.error || r.status !== 0) throw new Error(`ldd ${binary} failed: ${r.error?.message ?? (r.stderr || r.stdout).trim()}`);
  const out: [string, string][] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) out.push([m[1].replace(/^\/+/, ""), realpathSync(m[1])]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
