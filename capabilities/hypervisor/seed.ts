// The cloud-init NoCloud seed Zero-OS gives every VM (zosbase pkg/vm/cloudinit): a 2 MB FAT image labelled
// CIDATA holding meta-data, network-config (v2) and user-data. Built without mounting: mkfs.vfat on a
// sparse file, then mcopy (WORKLOADS.md §3: 17 ms). Strings are written as JSON strings, which YAML reads
// as double-quoted scalars, so no value can break out of its field.
import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SeedSpec } from "./spec.ts";

export const MKFS_VFAT = "/usr/sbin/mkfs.vfat";
export const MCOPY = "/usr/bin/mcopy";

const q = (s: string) => JSON.stringify(s);

export function metaData(id: string, s: SeedSpec): string {
  return `instance-id: ${q(id)}\nlocal-hostname: ${q(s.hostname)}\n`;
}

export function networkConfig(s: SeedSpec): string {
  const out = ["version: 2", "ethernets:"];
  s.network.forEach((n, i) => {
    out.push(`  eth${i}:`, "    match:", `      macaddress: ${q(n.mac)}`, "    dhcp4: false");
    if (n.addresses.length) out.push("    addresses:", ...n.addresses.map((a) => `      - ${q(a)}`));
    if (n.gateway4) out.push(`    gateway4: ${q(n.gateway4)}`);
    if (n.routes?.length) out.push("    routes:", ...n.routes.flatMap((r) => [`      - to: ${q(r.to)}`, `        via: ${q(r.via)}`]));
    if (n.nameservers?.length) out.push("    nameservers:", "      addresses:", ...n.nameservers.map((a) => `        - ${q(a)}`));
  });
  return out.join("\n") + "\n";
}

/** The zosrc Zero-OS writes: the env and the entrypoint, sourced by the guest's init. */
export function zosrc(s: SeedSpec): string {
  const sh = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const lines = Object.entries(s.env ?? {}).map(([k, v]) => `export ${k}=${sh(v)}`);
  if (s.entrypoint) lines.push(`export ZOS_ENTRYPOINT=${sh(s.entrypoint)}`);
  return lines.join("\n") + "\n";
}

export function userData(s: SeedSpec): string {
  const out = ["#cloud-config"];
  if (s.marker) out.push(`# zt-marker=${s.marker.replace(/[^a-z0-9-]/g, "")}`);
  if (s.sshKeys?.length) out.push("users:", "  - name: root", "    ssh_authorized_keys:", ...s.sshKeys.map((k) => `      - ${q(k)}`));
  if (s.mounts?.length) out.push("mounts:", ...s.mounts.map((m) => `  - [${q(m.source)}, ${q(m.target)}, ${q(m.type)}, "defaults", "0", "0"]`));
  const rc = zosrc(s);
  if (rc.trim()) out.push("write_files:", "  - path: /etc/zosrc", "    permissions: \"0644\"", `    content: ${q(rc)}`);
  return out.join("\n") + "\n";
}

/** Writes `<dir>/seed.vfat` (replacing it atomically). */
export function buildSeed(dir: string, id: string, s: SeedSpec): string {
  const work = join(dir, "seed.d");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    writeFileSync(join(work, "meta-data"), metaData(id, s));
    writeFileSync(join(work, "network-config"), networkConfig(s));
    writeFileSync(join(work, "user-data"), userData(s));
    writeFileSync(join(work, "zosrc"), zosrc(s));
    const img = join(work, "seed.vfat");
    writeFileSync(img, "");
    truncateSync(img, 2 * 1024 * 1024);
    // a fixed environment: the driver's sandbox grants no env access (inheriting would read it)
    const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" };
    execFileSync(MKFS_VFAT, ["-n", "CIDATA", img], { stdio: ["ignore", "ignore", "pipe"], env });
    execFileSync(MCOPY, ["-i", img, ...["meta-data", "network-config", "user-data", "zosrc"].map((f) => join(work, f)), "::/"], { stdio: ["ignore", "ignore", "pipe"], env });
    const out = join(dir, "seed.vfat");
    renameSync(img, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
