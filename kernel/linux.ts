// Linux identity facts a process may be given beyond its own uid: capabilities (raised as ambient so they
// survive exec into Deno) and supplementary groups, both named in the manifest's `linux` key. Kept apart
// from the launcher because the verifier (sandbox-check.ts), the audit and the diff read the same names.
import { KERNEL_GROUPS } from "../capabilities/lib/linux-groups.ts";

export { KERNEL_GROUPS };

/** Bit numbers from <linux/capability.h>. */
export const LINUX_CAPABILITIES: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5,
  CAP_SETGID: 6, CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18, CAP_SYS_PTRACE: 19, CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24, CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31, CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36, CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
};

/** The capability set as /proc/PID/status prints it (16 hex digits). */
export function capabilityMask(names: readonly string[]): string {
  let mask = 0n;
  for (const n of names) mask |= 1n << BigInt(LINUX_CAPABILITIES[n]);
  return mask.toString(16).padStart(16, "0");
}

/** Names of the capabilities set in a /proc/PID/status mask (for readable differences). */
export function capabilityNames(hex: string): string[] {
  const mask = BigInt(`0x${hex || "0"}`);
  return Object.entries(LINUX_CAPABILITIES).filter(([, bit]) => (mask >> BigInt(bit)) & 1n).map(([n]) => n);
}

/** setpriv's spelling: `net_admin` for CAP_NET_ADMIN. */
export function setprivCapName(name: string): string {
  return name.replace(/^CAP_/, "").toLowerCase();
}

/** Group name → gid from the kernel's fixed table (capabilities/lib/linux-groups.ts); null for any other name. */
export function groupId(name: string): number | null {
  return Object.hasOwn(KERNEL_GROUPS, name) ? KERNEL_GROUPS[name] : null;
}
