// Opens either flist format by its first bytes: an rfs v2 `.fl` is a SQLite file, a legacy `.flist` a
// (gzipped) tar. Both come back as the same checked tree for the materialiser.
import { closeSync, openSync, readSync } from "node:fs";
import { isLegacyFlist, readLegacyFlist } from "./legacy/reader.ts";
import { type Flist, FlistError, readFlist, type ReadLimits } from "./reader.ts";

export function openFlist(file: string, scratch: string, limits: ReadLimits = {}): Flist {
  const head = new Uint8Array(512);
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new FlistError(`${file}: cannot open (${(e as Error).message})`);
  }
  try {
    readSync(fd, head, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  return isLegacyFlist(head) ? readLegacyFlist(file, scratch, limits) : readFlist(file, limits);
}
