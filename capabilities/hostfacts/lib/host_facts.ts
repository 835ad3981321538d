// Facts about the machine the node runs on, read from /proc, /sys and node:os. This is the system
// helper `zos dev` uses on a host; in the image the same answers come from the system driver. Reads
// only — nothing here changes the machine.
import { readFileSync, statfsSync } from "node:fs";
import os from "node:os";

export interface Capacity {
  cru: number;
  sru: number;
  hru: number;
  mru: number;
}

export interface HostInterface {
  name: string;
  mac: string;
  ips: string[];
}

function readTrim(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/** CRU = logical CPUs, MRU = RAM bytes; SRU = the size of the filesystem holding `stateDir` (the dev
 * node's only "SSD"), HRU = 0 (no HDD pool on a host). */
export function hostCapacity(stateDir: string): Capacity {
  let sru = 0;
  try {
    const s = statfsSync(stateDir);
    sru = Number(s.blocks) * Number(s.bsize);
  } catch { /* no such dir: report no storage */ }
  return { cru: os.cpus().length, mru: os.totalmem(), sru, hru: 0 };
}

/** Reserved for the system (ZOS-REFERENCE §5.3): MRU max(10 % of RAM, 2 GiB); SRU the cache size. */
export function reservedCapacity(cacheBytes: number): Capacity & { ipv4u: number } {
  const mem = os.totalmem();
  return { cru: 0, sru: cacheBytes, hru: 0, mru: Math.max(Math.floor(mem / 10), 2 * 1024 ** 3), ipv4u: 0 };
}

/** The management interface, registered on chain as "zos" (Zero-OS registers its `zos` bridge): on a
 * host, the first non-internal interface with an IPv4 address. */
export function managementInterface(): HostInterface[] {
  const all = os.networkInterfaces();
  for (const [, addrs] of Object.entries(all)) {
    const list = addrs ?? [];
    const v4 = list.filter((a) => a.family === "IPv4" && !a.internal);
    if (!v4.length) continue;
    return [{ name: "zos", mac: list[0].mac, ips: list.filter((a) => !a.internal).map((a) => a.address) }];
  }
  return [{ name: "zos", mac: "00:00:00:00:00:00", ips: [] }];
}

/** Like `virt-what`: "" on bare metal, otherwise a hypervisor name. */
export function hypervisor(): string {
  const vendor = readTrim("/sys/class/dmi/id/sys_vendor")?.toLowerCase() ?? "";
  const product = readTrim("/sys/class/dmi/id/product_name")?.toLowerCase() ?? "";
  if (vendor.includes("qemu") || product.includes("kvm")) return "kvm";
  if (vendor.includes("vmware")) return "vmware";
  if (vendor.includes("microsoft")) return "hyperv";
  if (vendor.includes("xen")) return "xen";
  if (vendor.includes("amazon")) return "aws";
  if (vendor.includes("google")) return "google_cloud";
  const cpuinfo = readTrim("/proc/cpuinfo") ?? "";
  return /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo) ? "kvm" : "";
}

export function secureBoot(): boolean {
  try {
    const dir = "/sys/firmware/efi/efivars";
    const name = "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
    const b = readFileSync(`${dir}/${name}`);
    return b[b.length - 1] === 1; // 4 attribute bytes then the value
  } catch {
    return false;
  }
}

export function serialNumber(): string | null {
  const s = readTrim("/sys/class/dmi/id/product_serial") ?? readTrim("/sys/class/dmi/id/board_serial");
  return s && s !== "Not Specified" ? s : null;
}

const dmiSections: { type: number; title: string; files: [string, string][] }[] = [
  { type: 0, title: "BIOS Information", files: [["Vendor", "bios_vendor"], ["Version", "bios_version"], ["Release Date", "bios_date"]] },
  { type: 1, title: "System Information", files: [["Manufacturer", "sys_vendor"], ["Product Name", "product_name"],
    ["Version", "product_version"], ["Serial Number", "product_serial"], ["UUID", "product_uuid"], ["Family", "product_family"]] },
  { type: 2, title: "Base Board Information", files: [["Manufacturer", "board_vendor"], ["Product Name", "board_name"],
    ["Version", "board_version"], ["Serial Number", "board_serial"]] },
  { type: 3, title: "Chassis Information", files: [["Manufacturer", "chassis_vendor"], ["Version", "chassis_version"]] },
];

/** DMI in the shape zos returns (tooling + sections), built from /sys/class/dmi/id (no dmidecode). */
export function dmi(): unknown {
  const sections = [];
  for (const s of dmiSections) {
    const properties: Record<string, { value: string }> = {};
    for (const [label, file] of s.files) {
      const v = readTrim(`/sys/class/dmi/id/${file}`);
      if (v !== null) properties[label] = { value: v };
    }
    if (Object.keys(properties).length) {
      sections.push({ handleline: "", typestr: s.title, typenum: s.type, subsections: [{ title: s.title, properties }] });
    }
  }
  return { tooling: { aggregator: "zos-ts", decoder: "sysfs" }, sections };
}
