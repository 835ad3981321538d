// The few system calls PID 1 needs that neither node: built-ins nor web APIs offer: mount(2),
// finit_module(2), reboot(2), clock_settime(2), and sockets with SO_BINDTODEVICE / AF_NETLINK. Deno reaches them
// through FFI on libc; this file is the only Deno-specific one in kernel/pid1 (everything else talks
// to the `Sys` interface). Calls are synchronous: PID 1 runs them during boot, one at a time. Opening libc,
// errno and the AF_NETLINK socket are shared with the netlink driver (capabilities/lib/netlink).
import { cstr, EAGAIN, netlinkSocket, NETLINK_SYMBOLS, openLibc, SysError } from "../../capabilities/lib/netlink/libc.ts";
import { NLMSG_ERROR, parseReplies } from "../../capabilities/lib/netlink/codec.ts";

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
  /** clock_settime(CLOCK_REALTIME): steps the wall clock to `unixMs`. */
  setWallClock(unixMs: number): void;
  ifIndex(name: string): number;
  /** UDP socket bound to `port` on `ifname` (SO_BINDTODEVICE), broadcast allowed, `timeoutMs` receive timeout. */
  udpOnDevice(ifname: string, port: number, timeoutMs: number): UdpSocket;
  netlink(): NetlinkSocket;
}

export { EAGAIN, EBUSY, EEXIST, errnoName, SysError } from "../../capabilities/lib/netlink/libc.ts";

// --- Deno FFI binding -------------------------------------------------------------------------

const SYS_finit_module = 313;
const SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_BROADCAST = 6, SO_RCVTIMEO = 20, SO_BINDTODEVICE = 25;
const AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
const O_RDONLY = 0, O_CLOEXEC = 0x80000;
const CLOCK_REALTIME = 0;
const REBOOT = { poweroff: 0x4321fedc, restart: 0x01234567, "cad-off": 0 };

function sockaddrIn(ip: string, port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set(ip.split(".").map(Number), 4);
  return b;
}

export function denoSys(): Sys {
  const libc = openLibc({
    ...NETLINK_SYMBOLS,
    mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
    umount2: { parameters: ["buffer", "i32"], result: "i32" },
    syscall: { parameters: ["i64", "i64", "buffer", "i64"], result: "i64" },
    open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
    sync: { parameters: [], result: "void" },
    reboot: { parameters: ["i32"], result: "i32" },
    clock_settime: { parameters: ["i32", "buffer"], result: "i32" },
    if_nametoindex: { parameters: ["buffer"], result: "u32" },
  }, "PID 1 duties (run the image's init under Deno)");
  const { s, errno, check } = libc;
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
    setWallClock(unixMs) {
      const ts = new Uint8Array(16);
      const v = new DataView(ts.buffer);
      const ms = Math.round(unixMs);
      v.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
      v.setBigInt64(8, BigInt((ms % 1000) * 1_000_000), true);
      check("clock_settime(CLOCK_REALTIME)", s.clock_settime(CLOCK_REALTIME, ts));
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
      const nl = netlinkSocket(libc);
      return {
        request(msg) {
          nl.send(msg);
          const seq = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
          const out: Uint8Array[] = [];
          for (;;) {
            const d = nl.recv();
            if (!d) throw new Error(`netlink: no answer to request ${seq} within 5 s`);
            out.push(d);
            // An ack (NLMSG_ERROR) for our sequence number ends the exchange.
            if (parseReplies(d).some((r) => r.type === NLMSG_ERROR && r.seq === seq)) return out;
          }
        },
        close: () => nl.close(),
      };
    },
  };
}
