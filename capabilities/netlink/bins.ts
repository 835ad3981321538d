// Absolute paths of the few programs the driver runs (its manifest's `sandbox.run` lists the same), so
// nothing depends on a PATH in its (empty) environment.
import { existsSync } from "node:fs";

export function bin(name: string): string {
  for (const d of ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    try {
      if (existsSync(`${d}/${name}`)) return `${d}/${name}`;
    } catch { /* outside the sandbox's read list: not this one */ }
  }
  throw new Error(`${name} is not installed (the netlink driver needs iproute2, nftables, util-linux and wireguard-go)`);
}
