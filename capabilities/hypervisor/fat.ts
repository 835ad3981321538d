// A FAT12 image with a volume label and files in its root folder, written in memory: the cloud-init
// NoCloud seed (seed.ts) without mkfs.vfat and mcopy, which the netbooted image does not carry. Just what
// a seed needs: one root folder, long (VFAT) names, no subfolders, a fixed 2 MiB geometry — the layout
// mkfs.vfat gives a 2 MiB file (512-byte sectors, 2 FATs, 512 root entries), so a guest's vfat driver,
// blkid/findfs and cloud-init read it as they read Zero-OS's seeds. Times are fixed (2000-01-01), so the
// same files give the same bytes.

const SECTOR = 512;
const TOTAL_SECTORS = 4096; // 2 MiB
const SECTORS_PER_CLUSTER = 4;
const RESERVED = 1;
const FATS = 2;
const ROOT_ENTRIES = 512;
const ROOT_SECTORS = (ROOT_ENTRIES * 32) / SECTOR;
const FAT_SECTORS = 3; // 1014 clusters × 12 bits (+ 2 reserved entries) = 1524 bytes
const DATA_START = RESERVED + FATS * FAT_SECTORS + ROOT_SECTORS;
const CLUSTERS = Math.floor((TOTAL_SECTORS - DATA_START) / SECTORS_PER_CLUSTER); // < 4085: FAT12 by definition
const CLUSTER_BYTES = SECTOR * SECTORS_PER_CLUSTER;
const FAT_DATE = ((2000 - 1980) << 9) | (1 << 5) | 1;

export interface FatFile {
  name: string;
  data: Uint8Array;
}

/** The most the image holds (clusters × cluster size), for callers that check before writing. */
export const FAT_CAPACITY = CLUSTERS * CLUSTER_BYTES;

/** `label`: up to 11 characters A-Z 0-9 _ -; names: 1–255 characters, no `/`, NUL or control characters. */
export function fatImage(label: string, files: FatFile[]): Uint8Array {
  if (!/^[A-Z0-9_-]{1,11}$/.test(label)) throw new Error(`invalid: FAT label "${label}": 1–11 of A-Z 0-9 _ -`);
  const names = new Set<string>();
  for (const f of files) {
    if (!f.name || f.name.length > 255 || /[\/\\\x00-\x1f:*?"<>|]/.test(f.name) || f.name === "." || f.name === "..") {
      throw new Error(`invalid: FAT file name ${JSON.stringify(f.name)}`);
    }
    if (names.has(f.name.toUpperCase())) throw new Error(`invalid: FAT file name ${JSON.stringify(f.name)} given twice`);
    names.add(f.name.toUpperCase());
  }
  const img = new Uint8Array(TOTAL_SECTORS * SECTOR);
  const view = new DataView(img.buffer);
  bootSector(img, view, label);

  const fat = new Uint16Array(CLUSTERS + 2);
  fat[0] = 0xff8; // media descriptor
  fat[1] = 0xfff;
  const root: Uint8Array[] = [dirEntry(padLabel(label), 0x08, 0, 0)];
  let next = 2;
  files.forEach((f, i) => {
    const clusters = Math.ceil(f.data.length / CLUSTER_BYTES);
    if (next + clusters > CLUSTERS + 2) throw new Error(`invalid: the seed's files (${files.reduce((n, x) => n + x.data.length, 0)} bytes) do not fit in its ${FAT_CAPACITY} bytes`);
    const first = clusters ? next : 0;
    for (let c = 0; c < clusters; c++) {
      fat[next + c] = c === clusters - 1 ? 0xfff : next + c + 1;
      img.set(f.data.subarray(c * CLUSTER_BYTES, (c + 1) * CLUSTER_BYTES), (DATA_START + (next + c - 2) * SECTORS_PER_CLUSTER) * SECTOR);
    }
    next += clusters;
    const short = shortName(i);
    root.push(...longNameEntries(f.name, checksum(short)), dirEntry(short, 0x20, first, f.data.length));
  });
  if (root.length > ROOT_ENTRIES) throw new Error(`invalid: too many seed files for the root folder (${root.length} entries > ${ROOT_ENTRIES})`);

  const fatBytes = packFat12(fat);
  for (let n = 0; n < FATS; n++) img.set(fatBytes, (RESERVED + n * FAT_SECTORS) * SECTOR);
  const rootAt = (RESERVED + FATS * FAT_SECTORS) * SECTOR;
  root.forEach((e, i) => img.set(e, rootAt + i * 32));
  return img;
}

function bootSector(img: Uint8Array, v: DataView, label: string): void {
  img.set([0xeb, 0x3c, 0x90], 0);
  ascii(img, 3, "mkfs.fat"); // what mkfs.vfat writes; some tools look at it
  v.setUint16(11, SECTOR, true);
  img[13] = SECTORS_PER_CLUSTER;
  v.setUint16(14, RESERVED, true);
  img[16] = FATS;
  v.setUint16(17, ROOT_ENTRIES, true);
  v.setUint16(19, TOTAL_SECTORS, true);
  img[21] = 0xf8;
  v.setUint16(22, FAT_SECTORS, true);
  v.setUint16(24, 32, true); // sectors per track
  v.setUint16(26, 64, true); // heads
  img[36] = 0x80; // drive number
  img[38] = 0x29; // extended boot signature: serial, label and type follow
  v.setUint32(39, 0x5eed0001, true); // volume serial (fixed: reproducible)
  ascii(img, 43, padLabel(label));
  ascii(img, 54, "FAT12   ");
  img[510] = 0x55;
  img[511] = 0xaa;
}

function packFat12(fat: Uint16Array): Uint8Array {
  const out = new Uint8Array(FAT_SECTORS * SECTOR);
  for (let i = 0; i < fat.length; i += 2) {
    const a = fat[i], b = i + 1 < fat.length ? fat[i + 1] : 0;
    const at = (i / 2) * 3;
    out[at] = a & 0xff;
    out[at + 1] = ((a >> 8) & 0x0f) | ((b & 0x0f) << 4);
    out[at + 2] = (b >> 4) & 0xff;
  }
  return out;
}

const padLabel = (s: string) => s.padEnd(11, " ");

/** `SEED~N` with no extension: unique per file, never shown (every file carries its long name). */
function shortName(i: number): string {
  return `SEED~${i + 1}`.padEnd(11, " ");
}

function ascii(img: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) img[at + i] = s.charCodeAt(i);
}

function dirEntry(name11: string, attr: number, cluster: number, size: number): Uint8Array {
  const e = new Uint8Array(32);
  const v = new DataView(e.buffer);
  ascii(e, 0, name11);
  e[11] = attr;
  v.setUint16(16, FAT_DATE, true); // created
  v.setUint16(18, FAT_DATE, true); // accessed
  v.setUint16(24, FAT_DATE, true); // modified
  v.setUint16(26, cluster, true);
  v.setUint32(28, size, true);
  return e;
}

function checksum(name11: string): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >> 1)) + name11.charCodeAt(i)) & 0xff;
  return sum;
}

/** The VFAT long-name entries for `name`, in on-disk order (last part first), 13 UCS-2 units each. */
function longNameEntries(name: string, sum: number): Uint8Array[] {
  const units = [...name].flatMap((ch) => {
    const cp = ch.codePointAt(0)!;
    if (cp <= 0xffff) return [cp];
    const c = cp - 0x10000;
    return [0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff)];
  });
  const parts = Math.ceil(units.length / 13);
  const padded = [...units];
  if (padded.length < parts * 13) padded.push(0x0000);
  while (padded.length < parts * 13) padded.push(0xffff);
  const out: Uint8Array[] = [];
  for (let p = parts; p >= 1; p--) {
    const e = new Uint8Array(32);
    const v = new DataView(e.buffer);
    e[0] = p | (p === parts ? 0x40 : 0);
    e[11] = 0x0f;
    e[13] = sum;
    const chunk = padded.slice((p - 1) * 13, p * 13);
    const offsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
    chunk.forEach((u, i) => v.setUint16(offsets[i], u, true));
    out.push(e);
  }
  return out;
}
