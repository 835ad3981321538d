// The few system calls the hypervisor makes itself, through Deno's FFI on libc (the manifest's `sandbox.ffi`
// names libc's path), so the netbooted image — no shell, no util-linux beyond setpriv — can run VMs:
//   - a VM's tap, opened here and handed to QEMU as an inherited fd (`-netdev tap,fd=N`): the TUN device is
//     opened inside the namespace where the network module put the tap (setns on this thread, open, setns
//     back: the namespace of a TUN file is fixed when it is opened) and attached with TUNSETIFF. QEMU then
//     needs neither /dev/net/tun nor the host namespace — no unshare + `sh -c "mount --bind …"`, no nsenter;
//   - children born in a VM's NR namespace (zlogs streamers): spawned from this thread while it is there;
//   - kill(2) and reading /proc/<pid>/cmdline, which Deno allows only with unscoped --allow-run/--allow-all.
// Every call is synchronous on the JS thread, which is what makes "setns, open, setns back" safe: no other JS
// runs in between, and Deno's async I/O threads never change namespace.
import { cstr, inNetNamespace, openLibc, type Libc } from "../lib/netlink/libc.ts";

const O_RDONLY = 0, O_RDWR = 2, O_CLOEXEC = 0x80000;
const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;

let cached: Libc | null = null;

function libc(): Libc {
  cached ??= openLibc({
    open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    setns: { parameters: ["i32", "i32"], result: "i32" },
    ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
    kill: { parameters: ["i32", "i32"], result: "i32" },
  }, "the hypervisor driver");
  return cached;
}

function open(path: string, flags: number): number {
  const c = libc();
  return c.check(`open ${path}`, c.s.open(cstr(path), flags, 0));
}

/**
 * Runs `fn` with this thread in the network namespace pinned at `nsPath` ("" = where it is): a socket or
 * TUN file opened, or a child spawned (forked from this thread), in `fn` belongs to that namespace.
 */
export function inNamespace<T>(nsPath: string, fn: () => T): T {
  // every later socket of this driver would be in the VM network if it could not return: it stops instead
  return inNetNamespace(libc(), nsPath, "hypervisor", fn);
}

/**
 * An fd attached to the existing tap `name` in the namespace at `nsPath`, through the TUN device node `tun`
 * (/dev/net/tun, or the driver's own node where that one is root-only). Not close-on-exec: the next child
 * inherits it, so open it right before spawning QEMU and close it right after (`closeFd`). Fails with the
 * kernel's reason (EPERM: the tap is not owned by this uid or group; ENOENT/EINVAL: no such tap).
 */
export function openTap(tun: string, nsPath: string, name: string): number {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`invalid: tap name "${name}"`);
  const { s, check } = libc();
  const fd = inNamespace(nsPath, () => open(tun, O_RDWR));
  try {
    const ifr = new Uint8Array(40);
    ifr.set(new TextEncoder().encode(name), 0);
    new DataView(ifr.buffer).setUint16(16, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, true);
    check(`attach tap ${name} (TUNSETIFF)`, s.ioctl(fd, BigInt(TUNSETIFF), ifr));
  } catch (e) {
    s.close(fd);
    throw e;
  }
  return fd;
}

export function closeFd(fd: number): void {
  libc().s.close(fd);
}

/** kill(2); false when the process is gone (ESRCH) or not ours (EPERM). */
export function killPid(pid: number, signal = 9): boolean {
  return Number(libc().s.kill(pid, signal)) === 0;
}

/** /proc/<pid>/cmdline (NUL-separated argv), "" when the process is gone. */
export function procCmdline(pid: number): string {
  const { s } = libc();
  let fd: number;
  try {
    fd = open(`/proc/${pid}/cmdline`, O_RDONLY | O_CLOEXEC);
  } catch {
    return "";
  }
  try {
    let out = "";
    const dec = new TextDecoder();
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = Number(s.read(fd, buf, BigInt(buf.length)));
      if (n <= 0) break;
      out += dec.decode(buf.subarray(0, n), { stream: true });
    }
    return out + dec.decode();
  } finally {
    s.close(fd);
  }
}
