// A TUN device node (char 10:200) in the netlink driver's state dir, made by the root caller of the kernel
// (startNode, tests) and handed to the driver's uid by the kernel with the rest of that dir. wireguard-go
// uses it in place of /dev/net/tun, which without udev (this host, the image) is root-only — so the driver
// needs no CAP_DAC_OVERRIDE or CAP_MKNOD, and the host's device node is left alone.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

export function ensureTunNode(stateDir: string, driver = "netlink"): void {
  if (process.getuid?.() !== 0) return;
  const dir = join(stateDir, driver);
  const node = join(dir, "tun");
  if (existsSync(node)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  execFileSync("mknod", ["-m", "0600", node, "c", "10", "200"]);
}
