// zos's SSD/HDD rule (its `seektime` tool): the mean time of a 512-byte read after a random seek, over 128
// reads with the device's cached pages dropped first; ≥ 500 µs is a spinning disk. The kernel's rotational
// flag is only a hint (reported beside it): loop devices and many VMs set it to whatever their backing says.
import { timedReads } from "./syscalls.ts";

export const SEEK_READS = 128;
export const HDD_THRESHOLD_US = 500;

export interface SeekTime {
  type: "ssd" | "hdd";
  /** mean microseconds per random 512-byte read */
  elapsedUs: number;
}

/** Classifies a mean read time as zos does. Pure. */
export function classify(elapsedUs: number): SeekTime["type"] {
  return elapsedUs >= HDD_THRESHOLD_US ? "hdd" : "ssd";
}

/** Random 512-byte-aligned offsets across a device of `size` bytes (the whole device, as seektime). */
export function randomOffsets(size: number, n = SEEK_READS): number[] {
  const sectors = Math.max(1, Math.floor(size / 512) - 1);
  return Array.from({ length: n }, () => Math.floor(Math.random() * sectors) * 512);
}

/** Measures `device` (an absolute path the driver owns; opened read-only). */
export function measureSeekTime(device: string, size: number): SeekTime {
  const times = timedReads(device, randomOffsets(size));
  const elapsedUs = Math.round((times.reduce((a, b) => a + b, 0) / times.length) * 1000);
  return { type: classify(elapsedUs), elapsedUs };
}
