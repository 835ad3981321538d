// libc through Deno's FFI, shared by the netlink driver (capabilities/netlink/sys.ts) and PID 1
// (kernel/pid1/libc.ts): finding and opening libc by an absolute path (so a manifest's `sandbox.ffi` can name
// exactly that file), errno as a readable error, and an AF_NETLINK socket. Each user declares the symbols it
// calls; these are the only Deno-specific lines they share. Calls are synchronous.
import { existsSync } from "node:fs";

export class SysError extends Error {
  readonly errno: number;
  constructor(call: string, errno: number) {
    super(`${call}: ${errnoName(errno)} (errno ${errno})`);
    this.errno = errno;
  }
}

const ERRNO: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 11: "EAGAIN", 13: "EACCES", 16: "EBUSY", 17: "EEXIST", 19: "ENODEV",
  22: "EINVAL", 95: "EOPNOTSUPP", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 101: "ENETUNREACH", 110: "ETIMEDOUT",
};
export const EPERM = 1, ENOENT = 2, EAGAIN = 11, EBUSY = 16, EEXIST = 17;
export function errnoName(n: number): string {
  return ERRNO[n] ?? `errno ${n}`;
}

export const cstr = (s: string): Uint8Array => new TextEncoder().encode(s + "\0");

// Minimal structural types for the parts of Deno's FFI used here, so the code type-checks without Deno's
// lib (tsc with @types/node) and nothing else names `Deno`.
type Symbols = Record<string, { parameters: string[]; result: string }>;
interface DenoFfi {
  dlopen(path: string, symbols: Symbols): { symbols: Record<string, (...args: unknown[]) => unknown> };
}

/** Where libc is on Debian-like systems and in the image (the first that exists is opened). */
export const LIBC = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/lib/libc.so.6"];

export interface Libc {
  /** the symbols asked for, plus the ones errno needs */
  s: Record<string, (...args: unknown[]) => unknown>;
  errno(): number;
  /** a negative result becomes a SysError naming `call`; else the result as a number */
  check(call: string, r: unknown): number;
}

/** Opens libc with `symbols`; `who` names the caller in the error when Deno's FFI is not there. */
export function openLibc(symbols: Symbols, who: string): Libc {
  const deno = (globalThis as unknown as { Deno?: DenoFfi }).Deno;
  if (!deno?.dlopen) throw new Error(`${who} needs Deno's FFI (run it under Deno with --allow-ffi)`);
  const path = LIBC.find((p) => {
    try {
      return existsSync(p);
    } catch {
      return false; // outside the sandbox's read list: not this one
    }
  }) ?? "libc.so.6";
  const s = deno.dlopen(path, {
    ...symbols,
    __errno_location: { parameters: [], result: "pointer" },
    // errno is copied out by libc: reading a raw pointer (UnsafePointerView) needs unrestricted --allow-ffi,
    // which a driver whose `sandbox.ffi` names libc's path does not have
    memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer" },
  }).symbols;
  const errno = (): number => {
    const b = new Int32Array(1);
    s.memcpy(b, s.__errno_location(), 4n);
    return b[0];
  };
  return {
    s,
    errno,
    check(call, r) {
      const n = Number(r);
      if (n < 0) throw new SysError(call, errno());
      return n;
    },
  };
}

/**
 * Runs `fn` with the JS thread inside the network namespace pinned at `nsPath` ("" = where it is), then returns to
 * the original one: a socket or TUN file opened, or a child forked, in `fn` belongs to that namespace. Needs
 * `open`, `close` and `setns` among `c`'s symbols. Every call is synchronous on the JS thread, which is what makes
 * it safe: no other JS runs in between, and Deno's async I/O threads never change namespace. Failing to return
 * would leave every later call of `who` in the wrong namespace: the process stops instead.
 */
export function inNetNamespace<T>(c: Libc, nsPath: string, who: string, fn: () => T): T {
  if (!nsPath) return fn();
  const { s, check, errno } = c;
  const open = (path: string): number => check(`open ${path}`, s.open(cstr(path), O_RDONLY | O_CLOEXEC, 0));
  const self = open("/proc/thread-self/ns/net");
  try {
    const target = open(nsPath);
    try {
      check(`setns ${nsPath}`, s.setns(target, CLONE_NEWNET));
    } finally {
      s.close(target);
    }
    try {
      return fn();
    } finally {
      if (Number(s.setns(self, CLONE_NEWNET)) < 0) {
        console.error(`${who}: cannot return to the original network namespace (errno ${errno()}); exiting`);
        (globalThis as unknown as { Deno: { exit(c: number): never } }).Deno.exit(70);
      }
    }
  } finally {
    s.close(self);
  }
}
const O_RDONLY = 0, O_CLOEXEC = 0x80000, CLONE_NEWNET = 0x40000000;

/** The libc symbols netlinkSocket uses (merge them into openLibc's). */
export const NETLINK_SYMBOLS: Symbols = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
};

export interface NetlinkFd {
  /** Sends one message to the kernel. */
  send(msg: Uint8Array): void;
  /** One datagram, or null after the receive timeout. */
  recv(): Uint8Array | null;
  close(): void;
}

const AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000;
const SOL_SOCKET = 1, SO_RCVTIMEO = 20, SO_RCVBUF = 8, SOL_NETLINK = 270, NETLINK_EXT_ACK = 11;

/**
 * An AF_NETLINK socket (NETLINK_ROUTE unless `protocol`), bound, with a 5 s receive timeout, a 1 MiB receive
 * buffer and extended acks (the kernel's error text). `open` makes the socket (a caller that needs it inside
 * another network namespace opens it there: the namespace is fixed at socket creation).
 */
export function netlinkSocket(c: Libc, protocol = 0, open?: (make: () => number) => number): NetlinkFd {
  const { s, check, errno } = c;
  const make = () => check("socket(AF_NETLINK)", s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
  const fd = open ? open(make) : make();
  const setInt = (level: number, opt: number, val: number): void => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, val, true);
    s.setsockopt(fd, level, opt, b, 4); // best effort: older kernels lack extended acks
  };
  try {
    const sa = new Uint8Array(12);
    new DataView(sa.buffer).setUint16(0, AF_NETLINK, true);
    check("bind netlink", s.bind(fd, sa, sa.length));
    const tv = new Uint8Array(16);
    new DataView(tv.buffer).setBigInt64(0, 5n, true);
    check("setsockopt(SO_RCVTIMEO)", s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16));
    setInt(SOL_SOCKET, SO_RCVBUF, 1 << 20);
    setInt(SOL_NETLINK, NETLINK_EXT_ACK, 1);
  } catch (err) {
    s.close(fd);
    throw err;
  }
  const kernel = new Uint8Array(12);
  new DataView(kernel.buffer).setUint16(0, AF_NETLINK, true);
  const buf = new Uint8Array(1 << 16);
  return {
    send(msg) {
      check("sendto netlink", s.sendto(fd, msg, BigInt(msg.length), 0, kernel, kernel.length));
    },
    recv() {
      const n = Number(s.recv(fd, buf, BigInt(buf.length), 0));
      if (n < 0) {
        const e = errno();
        if (e === EAGAIN) return null;
        throw new SysError("recv netlink", e);
      }
      return buf.slice(0, n);
    },
    close() {
      s.close(fd);
    },
  };
}
