// kernel/pid1/libc.ts
var SysError = class extends Error {
  errno;
  constructor(call, errno) {
    super(`${call}: ${errnoName(errno)} (errno ${errno})`);
    this.errno = errno;
  }
};
var ERRNO = {
  1: "EPERM",
  2: "ENOENT",
  11: "EAGAIN",
  13: "EACCES",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  22: "EINVAL",
  95: "EOPNOTSUPP",
  98: "EADDRINUSE",
  101: "ENETUNREACH",
  110: "ETIMEDOUT"
};
var EAGAIN = 11;
function errnoName(n) {
  return ERRNO[n] ?? `errno ${n}`;
}
var SYS_finit_module = 313;
var SOL_SOCKET = 1;
var SO_REUSEADDR = 2;
var SO_BROADCAST = 6;
var SO_RCVTIMEO = 20;
var SO_BINDTODEVICE = 25;
var AF_INET = 2;
var AF_NETLINK = 16;
var SOCK_DGRAM = 2;
var SOCK_RAW = 3;
var SOCK_CLOEXEC = 524288;
var NETLINK_ROUTE = 0;
var O_RDONLY = 0;
var O_CLOEXEC = 524288;
var REBOOT = {
  poweroff: 1126301404,
  restart: 19088743
};
var cstr = (s) => new TextEncoder().encode(s + "\0");
function sockaddrIn(ip, port) {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set(ip.split(".").map(Number), 4);
  return b;
}
function denoSys() {
  const deno = globalThis.Deno;
  if (!deno?.dlopen) throw new Error("PID 1 duties need Deno's FFI (run the image's init under Deno)");
  const lib = deno.dlopen("libc.so.6", {
    mount: {
      parameters: [
        "buffer",
        "buffer",
        "buffer",
        "u64",
        "buffer"
      ],
      result: "i32"
    },
    umount2: {
      parameters: [
        "buffer",
        "i32"
      ],
      result: "i32"
    },
    syscall: {
      parameters: [
        "i64",
        "i64",
        "buffer",
        "i64"
      ],
      result: "i64"
    },
    open: {
      parameters: [
        "buffer",
        "i32",
        "i32"
      ],
      result: "i32"
    },
    close: {
      parameters: [
        "i32"
      ],
      result: "i32"
    },
    sync: {
      parameters: [],
      result: "void"
    },
    reboot: {
      parameters: [
        "i32"
      ],
      result: "i32"
    },
    if_nametoindex: {
      parameters: [
        "buffer"
      ],
      result: "u32"
    },
    socket: {
      parameters: [
        "i32",
        "i32",
        "i32"
      ],
      result: "i32"
    },
    setsockopt: {
      parameters: [
        "i32",
        "i32",
        "i32",
        "buffer",
        "u32"
      ],
      result: "i32"
    },
    bind: {
      parameters: [
        "i32",
        "buffer",
        "u32"
      ],
      result: "i32"
    },
    sendto: {
      parameters: [
        "i32",
        "buffer",
        "usize",
        "i32",
        "buffer",
        "u32"
      ],
      result: "isize"
    },
    recv: {
      parameters: [
        "i32",
        "buffer",
        "usize",
        "i32"
      ],
      result: "isize"
    },
    __errno_location: {
      parameters: [],
      result: "pointer"
    }
  });
  const s = lib.symbols;
  const errno = () => new deno.UnsafePointerView(s.__errno_location()).getInt32();
  const check = (call, r) => {
    const n = Number(r);
    if (n < 0) throw new SysError(call, errno());
    return n;
  };
  const setInt = (fd, opt, val, name) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, val, true);
    check(`setsockopt(${name})`, s.setsockopt(fd, SOL_SOCKET, opt, b, 4));
  };
  const setTimeout_ = (fd, ms) => {
    const tv = new Uint8Array(16);
    const v = new DataView(tv.buffer);
    v.setBigInt64(0, BigInt(Math.floor(ms / 1e3)), true);
    v.setBigInt64(8, BigInt(ms % 1e3 * 1e3), true);
    check("setsockopt(SO_RCVTIMEO)", s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16));
  };
  const recvOne = (fd, size) => {
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
        }
      };
    },
    netlink() {
      const fd = check("socket(AF_NETLINK)", s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
      const sa = new Uint8Array(12);
      new DataView(sa.buffer).setUint16(0, AF_NETLINK, true);
      check("bind netlink", s.bind(fd, sa, sa.length));
      setTimeout_(fd, 5e3);
      const kernel = new Uint8Array(12);
      new DataView(kernel.buffer).setUint16(0, AF_NETLINK, true);
      return {
        request(msg) {
          check("sendto netlink", s.sendto(fd, msg, BigInt(msg.length), 0, kernel, kernel.length));
          const seq = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
          const out = [];
          for (; ; ) {
            const d = recvOne(fd, 65536);
            if (!d) throw new Error(`netlink: no answer to request ${seq} within 5 s`);
            out.push(d);
            const v = new DataView(d.buffer);
            let off = 0;
            while (off + 16 <= d.length) {
              const len = v.getUint32(off, true);
              if (v.getUint16(off + 4, true) === 2 && v.getUint32(off + 8, true) === seq) return out;
              off += len + 3 & ~3;
              if (len < 16) break;
            }
          }
        },
        close() {
          s.close(fd);
        }
      };
    }
  };
}

// kernel/pid1/hello.ts
var HELLO_LINE = "zos-hello: first line from PID 1";
if (process.pid !== 1) {
  console.error(`zos hello init: refusing to run: not PID 1 (pid ${process.pid})`);
  process.exit(2);
}
console.log(HELLO_LINE);
var sys = denoSys();
sys.sync();
sys.reboot("poweroff");
export {
  HELLO_LINE
};
