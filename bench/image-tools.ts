// What the drivers' tools (rootfs/image-config.ts NODE_TOOLS) cost in the image: for each group, the tools
// and the shared libraries they add beyond the runtime's and setpriv's, raw and compressed with zstd -19 as
// the image is (one tar per group, so zstd sees them together as in the initramfs). Prints a markdown table.
// Run: node_modules/deno/deno run -A bench/image-tools.ts
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtimeLibs } from "../rootfs/build.ts";
import { NODE_TOOLS } from "../rootfs/image-config.ts";

const GROUPS: Record<string, string[]> = {
  "storage (btrfs-progs, blkid, lsblk, chattr, fallocate)": ["/usr/sbin/mkfs.btrfs", "/usr/bin/btrfs", "/usr/sbin/blkid", "/usr/bin/lsblk", "/usr/bin/chattr", "/usr/bin/fallocate"],
  "networks (nft, ip, nsenter, unshare)": ["/usr/sbin/nft", "/usr/sbin/ip", "/usr/bin/nsenter", "/usr/bin/unshare"],
  "WireGuard (wireguard-go)": ["/usr/bin/wireguard-go"],
  "ip alone (iproute2: taps)": ["/usr/sbin/ip"],
  "lsblk alone": ["/usr/bin/lsblk"],
  "all tools": NODE_TOOLS,
};

const deno = join(new URL("..", import.meta.url).pathname, "node_modules/deno/deno");
const base = new Set([...runtimeLibs(deno), ...runtimeLibs("/usr/bin/setpriv")].map(([p]) => "/" + p));
const work = mkdtempSync(join(tmpdir(), "zt-image-tools-bench-"));
const MB = (b: number) => (b / 1e6).toFixed(2);
try {
  const rows: string[] = [];
  for (const [name, tools] of Object.entries(GROUPS)) {
    const files = new Set<string>(tools);
    // libraries only some other group also needs are counted in each group that needs them
    for (const t of tools) for (const [p] of runtimeLibs(t)) if (!base.has("/" + p)) files.add("/" + p);
    const tar = join(work, "g.tar");
    execFileSync("tar", ["-chf", tar, ...files], { stdio: ["ignore", "ignore", "ignore"] });
    execFileSync("zstd", ["-19", "-q", "-f", tar, "-o", `${tar}.zst`]);
    rows.push(`| ${name} | ${files.size} | ${MB(statSync(tar).size)} MB | ${MB(statSync(`${tar}.zst`).size)} MB |`);
  }
  console.log("| group | files | raw (tar) | zstd -19 |\n|---|---|---|---|\n" + rows.join("\n"));
} finally {
  rmSync(work, { recursive: true, force: true });
}
