// The zos seek-time probe (zos `seektime -j DEV`): the average time of a 512-byte read after a random
// seek, over 128 reads; >= 500 µs means a spinning disk. zos drops the page cache first (fadvise
// DONTNEED); random offsets over the whole device rarely hit it, and loop devices over sparse files read
// as SSD whatever we do (WORKLOADS.md §1), which is why the storage module takes an HDD override.
import { closeSync, openSync, readSync, fstatSync, readFileSync } from "node:fs";
import { basename } from "node:path";

export const HDD_SEEK_US = 500;
const READS = 128;

export function seekTimeUs(device: string): number {
  const sectors = Number(readFileSync(`/sys/block/${basename(device)}/size`, "utf8").trim());
  const size = sectors * 512;
  if (!(size > 4096)) return 0;
  const fd = openSync(device, "r");
  try {
    fstatSync(fd);
    const buf = new Uint8Array(512);
    const start = performance.now();
    for (let i = 0; i < READS; i++) {
      const pos = Math.floor(Math.random() * (size / 4096 - 1)) * 4096;
      readSync(fd, buf, 0, 512, pos);
    }
    return Math.round(((performance.now() - start) * 1000) / READS);
  } finally {
    closeSync(fd);
  }
}
