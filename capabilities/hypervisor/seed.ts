// The cloud-init NoCloud seed Zero-OS gives every VM (zosbase pkg/vm/cloudinit): a 2 MB FAT image labelled
// CIDATA holding meta-data, network-config (v2) and user-data. Built without mounting: mkfs.vfat on a
// sparse file, then mcopy (WORKLOADS.md §3: 17 ms) in the first versions; now written in memory (fat.ts), as
// the netbooted image carries neither tool. Strings are written as JSON strings, which YAML reads
// as double-quoted scalars, so no value can break out of its field.
import { join } from "node:path";
import { writeFileAtomic } from "../lib/fs/atomic.ts";
import { fatImage } from "./fat.ts";
import type { SeedSpec } from "./spec.ts";

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

/** Writes `<dir>/seed.vfat` (replacing it atomically): a FAT image labelled CIDATA, written in TypeScript (fat.ts). */
export function buildSeed(dir: string, id: string, s: SeedSpec): string {
  const enc = new TextEncoder();
  const files = [
    ["meta-data", metaData(id, s)],
    ["network-config", networkConfig(s)],
    ["user-data", userData(s)],
    ["zosrc", zosrc(s)],
  ].map(([name, text]) => ({ name, data: enc.encode(text) }));
  const out = join(dir, "seed.vfat");
  writeFileAtomic(out, fatImage("CIDATA", files), { mode: 0o600 });
  return out;
}
