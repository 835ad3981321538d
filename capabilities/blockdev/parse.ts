// Pure parsers for what blkid and btrfs-progs 6.2 print (shared/spec WORKLOADS.md §1 "Usage parsing").
// No I/O here, so they are unit-tested on recorded outputs.

/** `blkid -p -o export DEV` → {TYPE, LABEL, UUID, …}; empty for an empty disk. */
export function parseBlkidExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export interface FsUsage {
  size: number;
  used: number;
  free: number;
}

/** `btrfs filesystem usage -b MNT`: Device size, Used, Free (estimated). */
export function parseFsUsage(text: string): FsUsage {
  const num = (key: string): number => {
    const m = new RegExp(`^\\s*${key.replace(/[()]/g, "\\$&")}:\\s+(\\d+)`, "m").exec(text);
    if (!m) throw new Error(`btrfs filesystem usage: no "${key}" line`);
    return Number(m[1]);
  };
  return { size: num("Device size"), used: num("Used"), free: num("Free (estimated)") };
}

export interface Qgroup {
  /** subvolume id (the 0/ID level-0 qgroup) */
  id: number;
  referenced: number;
  exclusive: number;
  /** 0 = no limit */
  limit: number;
}

/** `btrfs qgroup show -re --raw MNT`: qgroupid rfer excl max_rfer max_excl [path]. */
export function parseQgroups(text: string): Map<number, Qgroup> {
  const out = new Map<number, Qgroup>();
  for (const line of text.split("\n")) {
    const m = /^0\/(\d+)\s+(\d+)\s+(\d+)\s+(\d+|none)\s+(\d+|none)/.exec(line.trim());
    if (!m) continue;
    out.set(Number(m[1]), { id: Number(m[1]), referenced: Number(m[2]), exclusive: Number(m[3]), limit: m[4] === "none" ? 0 : Number(m[4]) });
  }
  return out;
}

/** `btrfs subvolume list -o MNT` lines "ID 256 gen 9 top level 5 path NAME" (top level 5 only). */
export function parseSubvolumes(text: string): { id: number; name: string }[] {
  const out: { id: number; name: string }[] = [];
  for (const line of text.split("\n")) {
    const m = /^ID (\d+) gen \d+ top level (\d+) path (.+)$/.exec(line.trim());
    if (m && m[2] === "5" && !m[3].includes("/")) out.push({ id: Number(m[1]), name: m[3] });
  }
  return out;
}
