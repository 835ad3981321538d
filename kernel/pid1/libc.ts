// The few system calls PID 1 needs that neither node: built-ins nor web APIs offer: mount(2),
// finit_module(2), reboot(2), and sockets with SO_BINDTODEVICE / AF_NETLINK. Deno reaches them
// through FFI on libc; this file is the only Deno-specific one in kernel/pid1 (everything else talks
// to the `Sys` interface). Calls are synchronous: PID 1 runs them during boot, one at a time.

export interface UdpSocket {
  send(data: Uint8Array, ip: string, port: number): void;
  /** Waits up to the socket's receive timeout; null when nothing arrived. */
  recv(): Uint8Array | null;
  close(): void;
}

export interface NetlinkSocket {
  /** Sends one request and returns the datagrams received until its ack (or error). */
  request(msg: Uint8Array): Uint8Array[];
  close(): void;
}

export interface Sys {
  mount(source: string, target: string, fstype: string, flags: number, data?: string): void;
  umount(target: string): void;
  finitModule(path: string, params?: string): void;
  sync(): void;
  /** reboot(2): power off, restart, or "cad-off" (Ctrl-Alt-Del then sends SIGINT to PID 1 instead of resetting). */
  reboot(cmd: "poweroff" | "restart" | "cad-off"): void;
  ifIndex(name: string): number;
  /** UDP socket bound to `port` on `ifname` (SO_BINDTODEVICE), broadcast allowed, `timeoutMs` receive timeout. */
  udpOnDevice(ifname: string, port: number, timeoutMs: number): UdpSocket;
  netlink(): NetlinkSocket;
}

export class SysError extends Error {
  readonly errno: number;
  constructor(call: string, errno: number) {
    super(`${call}: ${errnoName(errno)} (errno ${errno})`);
    this.errno = errno;
  }
}

const ERRNO: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 11: "EAGAIN", 13: "EACCES", 16: "EBUSY", 17: "EEXIST", 19: "ENODEV", 22: "EINVAL",
  95: "EOPNOTSUPP", 98: "EADDRINUSE", 101: "ENETUNREACH", 110: "ETIMEDOUT",
};
export const EEXIST = 17, EBUSY = 16, EAGAIN = 11;
export function errnoName(n: number): string {
  return ERRNO[n] ?? `errno ${n}`;
}

// --- Deno FFI binding -------------------------------------------------------------------------

// Minimal structural types for the parts of Deno's FFI used here, so this file type-checks without
// Deno's lib (tsc with @types/node) and the rest of the code never names `Deno`.
interface FfiLib {
  symbols: Record<string, (...args: unknown[]) => unknown>;
}
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): FfiLib;
  UnsafePointerView: new (p: unknown) => { getInt32(off?: number): number };
}

const SYS_finit_module = 313;
const SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_BROADCAST = 6, SO_RCVTIMEO = 20, SO_BINDTODEVICE = 25;
const AF_INET = 2, AF_NETLINK = 16, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, NETLINK_ROUTE = 0;
const O_RDONLY = 0, O_CLOEXEC = 0x80000;
const REBOOT = { poweroff: 0x4321fedc, restart: 0x01234567, "cad-off": 0 };

const cstr = (s: string): Uint8Array => new TextEncoder().encode(s + "\0");

function sockaddrIn(ip: string, port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set(ip.split(".").map(Number), 4);
  return b;
}

export function denoSys(): Sys {
  const deno = (globalThis as unknown as { Deno?: DenoFfi }).Deno;
  if (!deno?.dlopen) throw new Error("PID 1 duties need Deno's FFI (run the image's init under Deno)");
  const lib = deno.dlopen("libc.so.6", {
    mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
    umount2: { parameters: ["buffer", "i32"], result: "i32" },
    syscall: { parameters: ["i64", "i64", "buffer", "i64"], result: "i64" },
    open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    sync: { parameters: [], result: "void" },
    reboot: { parameters: ["i32"], result: "i32" },
    if_nametoindex: { parameters: ["buffer"], result: "u32" },
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
    bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
    recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
    __errno_location: { parameters: [], result: "pointer" },
  });
  const s = lib.symbols;
  const errno = (): number => new deno.UnsafePointerView(s.__errno_location()).getInt32();
  const check = (call: string, r: unknown): number => {
    const n = Number(r);
    if (n < 0) throw new SysError(call, errno());
    return n;
  };
  const setInt = (fd: number, opt: number, val: number, name: string): void => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, val, true);
    check(`setsockopt(${name})`, s.setsockopt(fd, SOL_SOCKET, opt, b, 4));
  };
  const setTimeout_ = (fd: number, ms: number): void => {
    const tv = new Uint8Array(16);
    const v = new DataView(tv.buffer);
    v.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
    v.setBigInt64(8, BigInt((ms % 1000) * 1000), true);
    check("setsockopt(SO_RCVTIMEO)", s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16));
  };
  const recvOne = (fd: number, size: number): Uint8Array | null => {
    const buf = new Uint8Array(size);
    const n = Number(s.recv(fd, buf, BigInt(size), 0));
    if (n < 0) {
      const e = errno();
      if (e === EAGAIN) return null;
      throw new SysError("recv", e);
    }
    return buf.slice(0, n);
  };
  return {
    mount(source, target, fstype, flags, data = "") {
      check(`mount ${fstype} on ${target}`, s.mount(cstr(source), cstr(target), cstr(fstype), BigInt(flags), cstr(data)));
    },
    umount(target) {
      check(`umount ${target}`, s.umount2(cstr(target), 0));
    },
    finitModule(path, params = "") {
      const fd = check(`open ${path}`, s.open(cstr(path), O_RDONLY | O_CLOEXEC, 0));
      try {
        check(`finit_module ${path}`, s.syscall(BigInt(SYS_finit_module), BigInt(fd), cstr(params), 0n));
      } finally {
        s.close(fd);
      }
    },
    sync() {
      s.sync();
    },
    reboot(cmd) {
      check(`reboot(${cmd})`, s.reboot(REBOOT[cmd] | 0));
    },
    ifIndex(name) {
      const i = Number(s.if_nametoindex(cstr(name)));
      if (!i) throw new SysError(`if_nametoindex ${name}`, errno());
      return i;
    },
    udpOnDevice(ifname, port, timeoutMs) {
      const fd = check("socket(AF_INET)", s.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      try {
        setInt(fd, SO_REUSEADDR, 1, "SO_REUSEADDR");
        setInt(fd, SO_BROADCAST, 1, "SO_BROADCAST");
        // Without SO_BINDTODEVICE a broadcast from an address-less host fails with ENETUNREACH.
        const dev = cstr(ifname);
        check("setsockopt(SO_BINDTODEVICE)", s.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length));
        setTimeout_(fd, timeoutMs);
        const sa = sockaddrIn("0.0.0.0", port);
        check(`bind udp ${port}`, s.bind(fd, sa, sa.length));
      } catch (err) {
        s.close(fd);
        throw err;
      }
      return {
        send(data, ip, dport) {
          const to = sockaddrIn(ip, dport);
          check("sendto", s.sendto(fd, data, BigInt(data.length), 0, to, to.length));
        },
        recv: () => recvOne(fd, 1500),
        close() {
          s.close(fd);
        },
      };
    },
    netlink() {
      const fd = check("socket(AF_NETLINK)", s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
      const sa = new Uint8Array(12);
      new DataView(sa.buffer).setUint16(0, AF_NETLINK, true);
      check("bind netlink", s.bind(fd, sa, sa.length));
      setTimeout_(fd, 5000);
      const kernel = new Uint8Array(12);
      new DataView(kernel.buffer).setUint16(0, AF_NETLINK, true);
      return {
        request(msg) {
          check("sendto netlink", s.sendto(fd, msg, BigInt(msg.length), 0, kernel, kernel.length));
          const seq = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
          const out: Uint8Array[] = [];
          for (;;) {
            const d = recvOne(fd, 65536);
            if (!d) throw new Error(`netlink: no answer to request ${seq} within 5 s`);
            out.push(d);
            // An ack (NLMSG_ERROR) for our sequence number ends the exchange.
            const v = new DataView(d.buffer);
            let off = 0;
            while (off + 16 <= d.length) {
              const len = v.getUint32(off, true);
              if (v.getUint16(off + 4, true) === 2 && v.getUint32(off + 8, true) === seq) return out;
              off += (len + 3) & ~3;
              if (len < 16) break;
            }
          }
        },
        close() {
          s.close(fd);
        },
      };
    },
  };
}
