// The system calls the netlink driver needs that node: built-ins do not offer: AF_NETLINK sockets,
// setns(2)/unshare(2) for network namespaces, bind mounts that pin a namespace to a file, and
// open/write on /proc/sys inside a namespace. Reached through Deno's FFI on libc; this is the only
// Deno-specific file of the driver. Every call is synchronous and runs on the JS thread, which is
// what makes "setns, open a socket, setns back" safe: no other JS runs in between, and Deno's async
// I/O threads never change namespace.

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
  22: "EINVAL", 95: "EOPNOTSUPP", 98: "EADDRINUSE", 101: "ENETUNREACH", 110: "ETIMEDOUT",
};
export function errnoName(n: number): string {
  return ERRNO[n] ?? `errno ${n}`;
}

export interface NetlinkFd {
  /** Sends one message. */
  send(msg: Uint8Array): void;
  /** One datagram, or null after the receive timeout. */
  recv(): Uint8Array | null;
  close(): void;
}

export interface Sys {
  /** A NETLINK_<protocol> socket opened inside the namespace pinned at `nsPath` ("" = the caller's). */
  netlink(nsPath: string, protocol?: number): NetlinkFd;
  /** Creates a fresh network namespace and bind-mounts it on `pinPath` (which must not exist). */
  createNamespace(pinPath: string): void;
  /** Unmounts (lazily) and removes a pin file. */
  removePin(pinPath: string): void;
  /** An O_RDONLY fd on a file (a namespace pin for IFLA_NET_NS_FD); close it with closeFd. */
  openFd(path: string): number;
  closeFd(fd: number): void;
  /** Writes `value` to a /proc/sys path as seen from inside the namespace pinned at `nsPath`. */
  writeInNamespace(nsPath: string, file: string, value: string): void;
  /**
   * One request/answer on a unix stream socket (WireGuard UAPI): answers the text read until a blank line.
   * Done through libc because Deno's permission for a unix socket must name each socket path exactly.
   */
  unixExchange(path: string, request: string, timeoutMs: number): string;
}

interface FfiLib {
  symbols: Record<string, (...args: unknown[]) => unknown>;
}
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): FfiLib;
  UnsafePointerView: new (p: unknown) => { getInt32(off?: number): number };
}

const AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000;
const SOL_SOCKET = 1, SO_RCVTIMEO = 20, SO_RCVBUF = 8, SOL_NETLINK = 270, NETLINK_EXT_ACK = 11;
const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_CLOEXEC = 0x80000;
const CLONE_NEWNET = 0x40000000, MS_BIND = 4096, MNT_DETACH = 2, EAGAIN = 11;
const SELF_NS = "/proc/thread-self/ns/net";
export const LIBC = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/lib/libc.so.6"];

const cstr = (s: string): Uint8Array => new TextEncoder().encode(s + "\0");

let cached: Sys | null = null;

export function denoSys(): Sys {
  if (cached) return cached;
  const deno = (globalThis as unknown as { Deno?: DenoFfi }).Deno;
  if (!deno?.dlopen) throw new Error("the netlink driver needs Deno's FFI (run it under Deno with --allow-ffi)");
  // an absolute path, so the manifest's `sandbox.ffi` can name exactly this file
  const libc = LIBC.find((p) => {
    try {
      return existsSync(p);
    } catch {
      return false;
    }
  });
  if (!libc) throw new Error(`netlink: libc not found (looked at ${LIBC.join(", ")})`);
  const lib = deno.dlopen(libc, {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
    sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
    recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
    open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" },
    setns: { parameters: ["i32", "i32"], result: "i32" },
    unshare: { parameters: ["i32"], result: "i32" },
    mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
    umount2: { parameters: ["buffer", "i32"], result: "i32" },
    unlink: { parameters: ["buffer"], result: "i32" },
    connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
    // errno is copied out by libc: reading a raw pointer (UnsafePointerView) needs unrestricted --allow-ffi,
    // which the driver's sandbox (ffi limited to libc's path) does not have
    memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer" },
  });
  const s = lib.symbols;
  const errno = (): number => {
    const b = new Int32Array(1);
    s.memcpy(b, s.__errno_location(), 4n);
    return b[0];
  };
  const check = (call: string, r: unknown): number => {
    const n = Number(r);
    if (n < 0) throw new SysError(call, errno());
    return n;
  };
  const open = (path: string, flags: number, mode = 0): number => check(`open ${path}`, s.open(cstr(path), flags | O_CLOEXEC, mode));

  /** Runs `fn` with the JS thread inside the namespace pinned at nsPath, then returns to the original one. */
  const inNamespace = <T>(nsPath: string, fn: () => T): T => {
    if (!nsPath) return fn();
    const self = open(SELF_NS, O_RDONLY);
    try {
      const target = open(nsPath, O_RDONLY);
      try {
        check(`setns ${nsPath}`, s.setns(target, CLONE_NEWNET));
      } finally {
        s.close(target);
      }
      try {
        return fn();
      } finally {
        // Failing to return would leave every later call in the wrong namespace: stop the process.
        if (Number(s.setns(self, CLONE_NEWNET)) < 0) {
          console.error(`netlink: cannot return to the original network namespace (errno ${errno()}); exiting`);
          (globalThis as unknown as { Deno: { exit(c: number): never } }).Deno.exit(70);
        }
      }
    } finally {
      s.close(self);
    }
  };

  const setInt = (fd: number, level: number, opt: number, val: number): void => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, val, true);
    s.setsockopt(fd, level, opt, b, 4);
  };

  cached = {
    netlink(nsPath, protocol = 0) {
      const fd = inNamespace(nsPath, () => check("socket(AF_NETLINK)", s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)));
      const sa = new Uint8Array(12);
      new DataView(sa.buffer).setUint16(0, AF_NETLINK, true);
      try {
        check("bind netlink", s.bind(fd, sa, sa.length));
        const tv = new Uint8Array(16);
        new DataView(tv.buffer).setBigInt64(0, 5n, true);
        check("setsockopt(SO_RCVTIMEO)", s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16));
        setInt(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20);
        setInt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
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
    },
    createNamespace(pinPath) {
      const pin = open(pinPath, O_WRONLY | O_CREAT | O_EXCL, 0o444);
      s.close(pin);
      const self = open(SELF_NS, O_RDONLY);
      try {
        check("unshare(CLONE_NEWNET)", s.unshare(CLONE_NEWNET));
        try {
          check(`mount --bind ${SELF_NS} ${pinPath}`, s.mount(cstr(SELF_NS), cstr(pinPath), cstr("none"), BigInt(MS_BIND), cstr("")));
        } finally {
          if (Number(s.setns(self, CLONE_NEWNET)) < 0) {
            console.error(`netlink: cannot return to the original network namespace (errno ${errno()}); exiting`);
            (globalThis as unknown as { Deno: { exit(c: number): never } }).Deno.exit(70);
          }
        }
      } catch (err) {
        s.unlink(cstr(pinPath));
        throw err;
      } finally {
        s.close(self);
      }
    },
    removePin(pinPath) {
      s.umount2(cstr(pinPath), MNT_DETACH); // not mounted (half-made pin): unlink is all that is left
      if (Number(s.unlink(cstr(pinPath))) < 0 && errno() !== 2) throw new SysError(`unlink ${pinPath}`, errno());
    },
    openFd(path) {
      return open(path, O_RDONLY);
    },
    closeFd(fd) {
      s.close(fd);
    },
    unixExchange(path, request, timeoutMs) {
      const fd = check("socket(AF_UNIX)", s.socket(1, 1 | SOCK_CLOEXEC, 0));
      try {
        const tv = new Uint8Array(16);
        const v = new DataView(tv.buffer);
        v.setBigInt64(0, BigInt(Math.floor(timeoutMs / 1000)), true);
        v.setBigInt64(8, BigInt((timeoutMs % 1000) * 1000), true);
        check("setsockopt(SO_RCVTIMEO)", s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16));
        const p = new TextEncoder().encode(path);
        if (p.length > 107) throw new Error(`unix socket path too long: ${path}`);
        const sa = new Uint8Array(110);
        new DataView(sa.buffer).setUint16(0, 1, true);
        sa.set(p, 2);
        check(`connect ${path}`, s.connect(fd, sa, 2 + p.length + 1));
        const req = new TextEncoder().encode(request);
        for (let off = 0; off < req.length;) off += check("write", s.write(fd, req.subarray(off), BigInt(req.length - off)));
        let text = "";
        const buf = new Uint8Array(8192);
        const dec = new TextDecoder();
        while (!text.includes("\n\n")) {
          const n = Number(s.recv(fd, buf, BigInt(buf.length), 0));
          if (n < 0) {
            const e = errno();
            throw e === EAGAIN ? new Error(`${path}: no answer within ${timeoutMs} ms`) : new SysError(`recv ${path}`, e);
          }
          if (n === 0) break;
          text += dec.decode(buf.subarray(0, n));
        }
        return text;
      } finally {
        s.close(fd);
      }
    },
    writeInNamespace(nsPath, file, value) {
      inNamespace(nsPath, () => {
        const fd = open(file, O_WRONLY);
        try {
          const b = new TextEncoder().encode(value);
          check(`write ${file}`, s.write(fd, b, BigInt(b.length)));
        } finally {
          s.close(fd);
        }
      });
    },
  };
  return cached;
}
