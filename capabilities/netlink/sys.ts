// The system calls the netlink driver needs that node: built-ins do not offer: AF_NETLINK sockets,
// setns(2)/unshare(2) for network namespaces, bind mounts that pin a namespace to a file, and
// open/write on /proc/sys inside a namespace. Reached through Deno's FFI on libc; this is the only
// Deno-specific file of the driver. Every call is synchronous and runs on the JS thread, which is
// what makes "setns, open a socket, setns back" safe: no other JS runs in between, and Deno's async
// I/O threads never change namespace. Opening libc, errno and the AF_NETLINK socket are shared with PID 1
// (capabilities/lib/netlink/libc.ts).
import { cstr, EAGAIN, inNetNamespace, type NetlinkFd, NETLINK_SYMBOLS, netlinkSocket, openLibc, SysError } from "../lib/netlink/libc.ts";

export { errnoName, LIBC, type NetlinkFd, SysError } from "../lib/netlink/libc.ts";

export interface Sys {
  /** A NETLINK_<protocol> socket opened inside the namespace pinned at `nsPath` ("" = the caller's). */
  netlink(nsPath: string, protocol?: number): NetlinkFd;
  /** Creates a fresh network namespace and bind-mounts it on `pinPath` (which must not exist). */
  createNamespace(pinPath: string): void;
  /** Pins the namespace pinned at `srcPath` again at `pinPath` (which must not exist): a bind mount. */
  bindPin(srcPath: string, pinPath: string): void;
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

const SOL_SOCKET = 1, SO_RCVTIMEO = 20, SOCK_CLOEXEC = 0x80000;
const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_CLOEXEC = 0x80000;
const CLONE_NEWNET = 0x40000000, MS_BIND = 4096, MNT_DETACH = 2;
const SELF_NS = "/proc/thread-self/ns/net";
let cached: Sys | null = null;

export function denoSys(): Sys {
  if (cached) return cached;
  // an absolute path (libc.ts), so the manifest's `sandbox.ffi` can name exactly this file
  const libc = openLibc({
    ...NETLINK_SYMBOLS,
    open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    setns: { parameters: ["i32", "i32"], result: "i32" },
    unshare: { parameters: ["i32"], result: "i32" },
    mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
    umount2: { parameters: ["buffer", "i32"], result: "i32" },
    unlink: { parameters: ["buffer"], result: "i32" },
    connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  }, "the netlink driver");
  const { s, errno, check } = libc;
  const open = (path: string, flags: number, mode = 0): number => check(`open ${path}`, s.open(cstr(path), flags | O_CLOEXEC, mode));

  /** Runs `fn` with the JS thread inside the namespace pinned at nsPath, then returns to the original one. */
  const inNamespace = <T>(nsPath: string, fn: () => T): T => inNetNamespace(libc, nsPath, "netlink", fn);

  cached = {
    netlink(nsPath, protocol = 0) {
      return netlinkSocket(libc, protocol, (make) => inNamespace(nsPath, make));
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
    bindPin(srcPath, pinPath) {
      const pin = open(pinPath, O_WRONLY | O_CREAT | O_EXCL, 0o444);
      s.close(pin);
      try {
        check(`mount --bind ${srcPath} ${pinPath}`, s.mount(cstr(srcPath), cstr(pinPath), cstr("none"), BigInt(MS_BIND), cstr("")));
      } catch (err) {
        s.unlink(cstr(pinPath));
        throw err;
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
