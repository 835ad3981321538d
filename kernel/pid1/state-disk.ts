// The node's only state: a disk (the "cache" disk of Zero-OS) holding the seed and deployments.
// PID 1 finds a disk carrying a filesystem it can mount (btrfs, as Zero-OS formats them, or ext4),
// loads the driver lazily and mounts it on /var/cache. Without one the node still boots and says why
// it will not register. Formatting blank disks is the storage module's job, not PID 1's.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { writeAtomic } from "./trace.ts";

export const STATE_MOUNT = "/var/cache";

export type FsType = "btrfs" | "ext4" | null;

/** Detects btrfs (magic at 64 KiB + 0x40) or ext2/3/4 (0xEF53 at 0x438) from the first 68 KiB. */
export function detectFs(head: Uint8Array): FsType {
  const ascii = (off: number, n: number) => new TextDecoder().decode(head.subarray(off, off + n));
  if (head.length >= 0x10048 && ascii(0x10040, 8) === "_BHRfS_M") return "btrfs";
  if (head.length >= 0x43a && head[0x438] === 0x53 && head[0x439] === 0xef) return "ext4";
  return null;
}

export interface DiskInfo {
  name: string;
  sizeBytes: number;
  rotational: boolean;
  fs: FsType;
}

/** Whole disks from /sys/block (virtio, SCSI/SATA, NVMe), with the filesystem found on each. */
export function listDisks(sysRoot = "/sys", devRoot = "/dev"): DiskInfo[] {
  let names: string[] = [];
  try {
    names = readdirSync(join(sysRoot, "block")).filter((n) => /^(vd|sd|xvd)[a-z]+$|^nvme\d+n\d+$/.test(n)).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const rd = (f: string) => {
      try {
        return readFileSync(join(sysRoot, "block", name, f), "utf8").trim();
      } catch {
        return "";
      }
    };
    let fs: FsType = null;
    try {
      const fd = openSync(join(devRoot, name), "r");
      try {
        const head = new Uint8Array(0x11000);
        readSync(fd, head, 0, head.length, 0);
        fs = detectFs(head);
      } finally {
        closeSync(fd);
      }
    } catch { /* unreadable: treat as blank */ }
    return { name, sizeBytes: Number(rd("size") || 0) * 512, rotational: rd("queue/rotational") === "1", fs };
  });
}

/** Increments the boot counter on the state disk (atomic write) and returns the new value. */
export function countBoot(mount = STATE_MOUNT): number {
  const file = join(mount, "zos", "boots");
  let n = 0;
  try {
    n = Number(readFileSync(file, "utf8").trim()) || 0;
  } catch { /* first boot */ }
  n += 1;
  writeAtomic(file, `${n}\n`);
  return n;
}
