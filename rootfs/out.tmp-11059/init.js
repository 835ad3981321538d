// kernel/pid1/init.ts
import { existsSync as existsSync3 } from "node:fs";

// kernel/pid1/boot.ts
import { existsSync as existsSync2, mkdirSync as mkdirSync2, readFileSync as readFileSync5 } from "node:fs";

// kernel/pid1/cmdline.ts
function shellSplit(line) {
  const words = [];
  let cur = "";
  let inWord = false;
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
var RUNMODES = {
  dev: "dev",
  development: "dev",
  qa: "qa",
  test: "test",
  testing: "test",
  prod: "prod",
  production: "prod"
};
function parseCmdline(line, env = {}) {
  const raw = /* @__PURE__ */ new Map();
  for (const w of shellSplit(line)) {
    const eq = w.indexOf("=");
    const key = eq < 0 ? w : w.slice(0, eq);
    const value = eq < 0 ? "" : w.slice(eq + 1);
    if (!key) continue;
    const list = raw.get(key) ?? [];
    list.push(value);
    raw.set(key, list);
  }
  const warnings = [];
  const last = (k) => {
    const v = raw.get(k);
    return v && v.length ? v[v.length - 1] : null;
  };
  const all = (k) => (raw.get(k) ?? []).filter((v) => v !== "");
  let farmerId = null;
  const farm = last("farmer_id");
  if (farm !== null && farm !== "") {
    if (/^\d+$/.test(farm) && Number(farm) <= 4294967295) farmerId = Number(farm);
    else warnings.push(`farmer_id="${farm}" is not a 32-bit unsigned number; the node is an orphan (farm 0)`);
  }
  const rm = last("runmode") ?? env.ZOS_RUNMODE ?? null;
  let runmode = "prod";
  if (rm !== null) {
    const m = RUNMODES[rm];
    if (m) runmode = m;
    else warnings.push(`runmode="${rm}" is unknown; using prod (accepted: dev, qa, test, prod)`);
  }
  const ver = last("version");
  let version = "v3";
  if (ver === "v3" || ver === "v3light" || ver === "v4") version = ver;
  else if (ver !== null) warnings.push(`version="${ver}" is unknown; using v3`);
  const substrate = all("substrate");
  if (!substrate.length && env.ZOS_SUBSTRATE_URL) substrate.push(env.ZOS_SUBSTRATE_URL);
  for (const u of [
    ...substrate,
    ...all("relay"),
    ...all("activation")
  ]) {
    if (!/^(wss?|https?):\/\/[^\s/]+/.test(u)) warnings.push(`"${u}" is not a ws(s):// or http(s):// URL`);
  }
  const pubMac = last("pub:mac");
  if (pubMac !== null && pubMac !== "random" && pubMac !== "swap") warnings.push(`pub:mac="${pubMac}" is unknown (random or swap)`);
  return {
    raw,
    farmerId,
    runmode,
    version,
    substrate,
    relay: all("relay"),
    activation: all("activation"),
    hub: last("hub") || null,
    secret: last("secret"),
    vlanPriv: last("vlan:priv"),
    vlanPub: last("vlan:pub"),
    pubMac: pubMac === "random" || pubMac === "swap" ? pubMac : null,
    debug: raw.has("zos-debug"),
    debugVm: raw.has("zos-debug-vm"),
    disableGpu: raw.has("disable-gpu"),
    missingSsd: raw.has("missing-ssd"),
    sshUser: last("ssh-user") || null,
    domain: last("domain") || null,
    warnings
  };
}
var DEFAULT_SUBSTRATE = {
  dev: [
    "wss://tfchain.dev.grid.tf/",
    "wss://tfchain.02.dev.grid.tf"
  ],
  qa: [
    "wss://tfchain.qa.grid.tf/",
    "wss://tfchain.02.qa.grid.tf"
  ],
  test: [
    "wss://tfchain.test.grid.tf/",
    "wss://tfchain.02.test.grid.tf"
  ],
  prod: [
    "wss://tfchain.grid.tf/",
    "wss://tfchain.02.grid.tf",
    "wss://02.tfchain.grid.tf/",
    "wss://03.tfchain.grid.tf/",
    "wss://04.tfchain.grid.tf/"
  ]
};
var DEFAULT_RELAY = {
  dev: [
    "wss://relay.dev.grid.tf"
  ],
  qa: [
    "wss://relay.qa.grid.tf"
  ],
  test: [
    "wss://relay.test.grid.tf"
  ],
  prod: [
    "wss://relay.grid.tf"
  ]
};
function substrateUrls(p) {
  return p.substrate.length ? p.substrate : DEFAULT_SUBSTRATE[p.runmode];
}
function relayUrls(p) {
  return p.relay.length ? p.relay : DEFAULT_RELAY[p.runmode];
}
function describeParams(p) {
  return {
    farmer_id: p.farmerId,
    runmode: p.runmode,
    version: p.version,
    substrate: substrateUrls(p),
    relay: relayUrls(p),
    hub: p.hub,
    secret: p.secret === null ? null : "<set>",
    zos_debug: p.debug,
    warnings: p.warnings
  };
}

// kernel/pid1/chain-probe.ts
function probeOnce(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    let done = false;
    let ws;
    const finish = (err, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        ws?.close();
      } catch {
      }
      if (err) reject(err);
      else resolve(v);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      ws = new WebSocket(url);
    } catch (err) {
      finish(err);
      return;
    }
    ws.onopen = () => ws.send(JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "system_chain",
      params: []
    }));
    ws.onerror = (e) => finish(new Error(`cannot reach ${url}: ${e.message ?? "connection failed"}`));
    ws.onclose = () => finish(new Error(`${url} closed the connection without answering`));
    ws.onmessage = (ev) => {
      try {
        const m = JSON.parse(String(ev.data));
        if (m?.id === 1) finish(null, m.result !== void 0 ? JSON.stringify(m.result) : `error ${JSON.stringify(m.error)}`);
      } catch {
        finish(new Error(`${url} answered something that is not JSON-RPC`));
      }
    };
  });
}
async function waitForChain(urls, opts = {}) {
  if (!urls.length) throw new Error("no substrate URL to try");
  const t0 = performance.now();
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    const url = urls[(attempt - 1) % urls.length];
    try {
      const answer = await probeOnce(url, opts.attemptTimeoutMs ?? 5e3);
      return {
        url,
        attempts: attempt,
        ms: Math.round(performance.now() - t0),
        answer
      };
    } catch (err) {
      opts.onAttempt?.(url, err.message, attempt);
    }
    if (opts.deadlineMs && performance.now() - t0 > opts.deadlineMs) {
      throw new Error(`the chain did not answer within ${opts.deadlineMs} ms (tried ${urls.join(", ")})`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(opts.maxDelayMs ?? 1e4, delay * 2);
  }
}

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
var EEXIST = 17;
var EBUSY = 16;
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
          const seq2 = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
          const out = [];
          for (; ; ) {
            const d = recvOne(fd, 65536);
            if (!d) throw new Error(`netlink: no answer to request ${seq2} within 5 s`);
            out.push(d);
            const v = new DataView(d.buffer);
            let off = 0;
            while (off + 16 <= d.length) {
              const len = v.getUint32(off, true);
              if (v.getUint16(off + 4, true) === 2 && v.getUint32(off + 8, true) === seq2) return out;
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

// kernel/pid1/listening.ts
import { readFileSync } from "node:fs";
function parseProcNet(text, proto) {
  const out = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [localHex, portHex] = f[1].split(":");
    const remPort = parseInt(f[2].split(":")[1], 16);
    const state = parseInt(f[3], 16);
    const listening = proto.startsWith("tcp") ? state === 10 : remPort === 0;
    if (listening) out.push({
      proto,
      local: localHex,
      port: parseInt(portHex, 16)
    });
  }
  return out;
}
function listeningSockets(procRoot = "/proc") {
  const out = [];
  for (const p of [
    "tcp",
    "tcp6",
    "udp",
    "udp6"
  ]) {
    try {
      out.push(...parseProcNet(readFileSync(`${procRoot}/net/${p}`, "utf8"), p));
    } catch {
    }
  }
  return out;
}

// kernel/pid1/modprobe.ts
import { existsSync, readdirSync, readFileSync as readFileSync2 } from "node:fs";
import { join } from "node:path";
function parseModulesSoftdep(text) {
  const out = /* @__PURE__ */ new Map();
  for (const line of text.split("\n")) {
    const m = /^softdep\s+(\S+)\s+pre:\s*(.*)$/.exec(line.trim());
    if (m) out.set(m[1].replace(/-/g, "_"), m[2].split(/\s+/).filter(Boolean).map((n) => n.replace(/-/g, "_")));
  }
  return out;
}
var nameOf = (path) => path.split("/").pop().replace(/\.ko(\.\w+)?$/, "").replace(/-/g, "_");
function parseModulesDep(text) {
  const paths = /* @__PURE__ */ new Map();
  const deps = /* @__PURE__ */ new Map();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const name = nameOf(path);
    paths.set(name, path);
    deps.set(name, line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(nameOf));
  }
  return {
    paths,
    deps
  };
}
function globToRegExp(glob) {
  let re = "^";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith("!")) body = "^" + body.slice(1);
        re += "[" + body.replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\/]/g, "\\$&");
  }
  return new RegExp(re + "$");
}
function parseModulesAlias(text) {
  const out = [];
  for (const line of text.split("\n")) {
    const m = /^alias\s+(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({
      glob: m[1],
      pattern: globToRegExp(m[1]),
      module: m[2].replace(/-/g, "_")
    });
  }
  return out;
}
function loadIndex(modulesDir) {
  const { paths, deps } = parseModulesDep(readFileSync2(join(modulesDir, "modules.dep"), "utf8"));
  const read = (f) => existsSync(join(modulesDir, f)) ? readFileSync2(join(modulesDir, f), "utf8") : "";
  return {
    paths,
    deps,
    aliases: parseModulesAlias(read("modules.alias")),
    softdeps: parseModulesSoftdep(read("modules.softdep"))
  };
}
function modulesForAliases(index, modaliases) {
  const out = /* @__PURE__ */ new Set();
  for (const ma of modaliases) for (const a of index.aliases) if (a.pattern.test(ma)) out.add(a.module);
  return [
    ...out
  ].sort();
}
function loadOrder(index, name) {
  const n = name.replace(/-/g, "_");
  if (!index.paths.has(n)) throw new Error(`module ${n} is not in this image (modules.dep)`);
  const seen = /* @__PURE__ */ new Set();
  const out = [];
  const visit = (m) => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const d of index.deps.get(m) ?? []) visit(d);
    out.push(m);
  };
  visit(n);
  return out;
}
function readModaliases(sysRoot = "/sys", filter = () => true) {
  const out = [];
  let buses = [];
  try {
    buses = readdirSync(join(sysRoot, "bus"));
  } catch {
    return out;
  }
  for (const bus of buses.sort()) {
    let devs = [];
    try {
      devs = readdirSync(join(sysRoot, "bus", bus, "devices"));
    } catch {
      continue;
    }
    for (const d of devs.sort()) {
      try {
        const a = readFileSync2(join(sysRoot, "bus", bus, "devices", d, "modalias"), "utf8").trim();
        if (a && filter(a)) out.push(a);
      } catch {
      }
    }
  }
  return out;
}
function isNetworkAlias(a) {
  return /^pci:.*bc02/.test(a) || /^virtio:d00000001v/.test(a);
}
var ModuleLoader = class {
  loaded = /* @__PURE__ */ new Set();
  index;
  dir;
  sys;
  constructor(sys, modulesDir) {
    this.sys = sys;
    this.dir = modulesDir;
    this.index = loadIndex(modulesDir);
    try {
      for (const l of readFileSync2("/proc/modules", "utf8").split("\n")) if (l) this.loaded.add(l.split(" ")[0]);
    } catch {
    }
  }
  /** Loads a module and its dependencies; returns the names actually inserted now. */
  load(name) {
    const inserted = [];
    for (const m of loadOrder(this.index, name)) {
      if (this.loaded.has(m)) continue;
      for (const pre of this.index.softdeps.get(m) ?? []) {
        if (this.loaded.has(pre) || !this.index.paths.has(pre)) continue;
        try {
          inserted.push(...this.load(pre));
        } catch {
        }
      }
      try {
        this.sys.finitModule(join(this.dir, this.index.paths.get(m)));
        inserted.push(m);
      } catch (err) {
        if (!(err instanceof SysError && err.errno === EEXIST)) throw err;
      }
      this.loaded.add(m);
    }
    return inserted;
  }
  /**
   * Coldplug: load the drivers for present devices (filtered), repeating because a bus driver
   * (virtio_pci) makes new devices (virtio net, blk) appear. Returns the modules inserted.
   */
  coldplug(filter, sysRoot = "/sys", maxRounds = 4) {
    const inserted = [];
    for (let round = 0; round < maxRounds; round++) {
      const wanted = modulesForAliases(this.index, readModaliases(sysRoot, filter)).filter((m) => !this.loaded.has(m));
      if (!wanted.length) break;
      for (const m of wanted) inserted.push(...this.load(m));
    }
    return inserted;
  }
};

// kernel/pid1/net-setup.ts
import { readdirSync as readdirSync2, readFileSync as readFileSync3, writeFileSync } from "node:fs";
import { join as join2 } from "node:path";

// kernel/pid1/dhcp.ts
var DHCP_DISCOVER = 1;
var DHCP_OFFER = 2;
var DHCP_REQUEST = 3;
var DHCP_ACK = 5;
var DHCP_NAK = 6;
var MAGIC = 1669485411;
var OPT_SUBNET = 1;
var OPT_ROUTER = 3;
var OPT_DNS = 6;
var OPT_HOSTNAME = 12;
var OPT_BROADCAST = 28;
var OPT_REQUESTED_IP = 50;
var OPT_LEASE = 51;
var OPT_MSG_TYPE = 53;
var OPT_SERVER_ID = 54;
var OPT_PARAMS = 55;
var OPT_CLIENT_ID = 61;
var OPT_END = 255;
var OPT_PAD = 0;
function ipToBytes(ip) {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`bad IPv4 address "${ip}"`);
  return Uint8Array.from(parts.map(Number));
}
function bytesToIp(b, off = 0) {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}
function maskToPrefix(mask) {
  const b = ipToBytes(mask);
  const n = (b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) >>> 0;
  let bits = 0;
  for (let i = 31; i >= 0 && n >>> i & 1; i--) bits++;
  if (bits < 32 && n << bits >>> 0 !== 0) throw new Error(`netmask ${mask} is not contiguous`);
  return bits;
}
function encodeDhcp(o) {
  if (o.mac.length !== 6) throw new Error("DHCP needs a 6-byte Ethernet MAC");
  const opts = [
    OPT_MSG_TYPE,
    1,
    o.type
  ];
  opts.push(OPT_CLIENT_ID, 7, 1, ...o.mac);
  if (o.requestedIp) opts.push(OPT_REQUESTED_IP, 4, ...ipToBytes(o.requestedIp));
  if (o.serverId) opts.push(OPT_SERVER_ID, 4, ...ipToBytes(o.serverId));
  if (o.hostname) {
    const h = new TextEncoder().encode(o.hostname).subarray(0, 255);
    opts.push(OPT_HOSTNAME, h.length, ...h);
  }
  opts.push(OPT_PARAMS, 6, OPT_SUBNET, OPT_ROUTER, OPT_DNS, OPT_BROADCAST, OPT_LEASE, OPT_SERVER_ID);
  opts.push(OPT_END);
  const len = Math.max(300, 240 + opts.length);
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  v.setUint32(4, o.xid >>> 0);
  v.setUint16(10, 32768);
  b.set(o.mac, 28);
  v.setUint32(236, MAGIC);
  b.set(opts, 240);
  return b;
}
function decodeDhcp(b) {
  if (b.length < 240) throw new Error(`DHCP message too short (${b.length} bytes)`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(236) !== MAGIC) throw new Error("DHCP magic cookie missing");
  const r = {
    op: b[0],
    xid: v.getUint32(4),
    type: 0,
    yiaddr: bytesToIp(b, 16),
    siaddr: bytesToIp(b, 20),
    chaddr: b.slice(28, 28 + Math.min(16, b[2] || 6)),
    subnetMask: null,
    prefixLength: null,
    routers: [],
    dns: [],
    leaseSeconds: null,
    serverId: null,
    broadcast: null
  };
  let i = 240;
  while (i < b.length) {
    const code = b[i++];
    if (code === OPT_PAD) continue;
    if (code === OPT_END) break;
    if (i >= b.length) throw new Error("DHCP option truncated");
    const len = b[i++];
    if (i + len > b.length) throw new Error(`DHCP option ${code} overruns the message`);
    const val = b.subarray(i, i + len);
    i += len;
    const ips = () => {
      const out = [];
      for (let k = 0; k + 4 <= val.length; k += 4) out.push(bytesToIp(val, k));
      return out;
    };
    switch (code) {
      case OPT_MSG_TYPE:
        r.type = val[0];
        break;
      case OPT_SUBNET:
        if (len === 4) r.subnetMask = bytesToIp(val);
        break;
      case OPT_ROUTER:
        r.routers = ips();
        break;
      case OPT_DNS:
        r.dns = ips();
        break;
      case OPT_LEASE:
        if (len === 4) r.leaseSeconds = new DataView(val.buffer, val.byteOffset, 4).getUint32(0);
        break;
      case OPT_SERVER_ID:
        if (len === 4) r.serverId = bytesToIp(val);
        break;
      case OPT_BROADCAST:
        if (len === 4) r.broadcast = bytesToIp(val);
        break;
    }
  }
  if (r.op !== 2) throw new Error("not a BOOTREPLY");
  if (!r.type) throw new Error("DHCP reply without a message type");
  if (r.subnetMask) r.prefixLength = maskToPrefix(r.subnetMask);
  return r;
}

// kernel/pid1/rtnetlink.ts
var RTM_NEWLINK = 16;
var RTM_NEWADDR = 20;
var RTM_NEWROUTE = 24;
var NLMSG_ERROR = 2;
var NLM_F_REQUEST = 1;
var NLM_F_ACK = 4;
var NLM_F_REPLACE = 256;
var NLM_F_EXCL = 512;
var NLM_F_CREATE = 1024;
var IFF_UP = 1;
var AF_UNSPEC = 0;
var AF_INET2 = 2;
var IFLA_ADDRESS = 1;
var IFLA_IFNAME = 3;
var IFLA_MASTER = 10;
var IFLA_LINKINFO = 18;
var IFLA_INFO_KIND = 1;
var IFA_ADDRESS = 1;
var IFA_LOCAL = 2;
var IFA_BROADCAST = 4;
var RTA_DST = 1;
var RTA_OIF = 4;
var RTA_GATEWAY = 5;
var RT_TABLE_MAIN = 254;
var RTPROT_DHCP = 16;
var RT_SCOPE_UNIVERSE = 0;
var RTN_UNICAST = 1;
var NLA_F_NESTED = 32768;
var align4 = (n) => n + 3 & ~3;
function attr(type, payload) {
  const len = 4 + payload.length;
  const b = new Uint8Array(align4(len));
  const v = new DataView(b.buffer);
  v.setUint16(0, len, true);
  v.setUint16(2, type, true);
  b.set(payload, 4);
  return b;
}
function concat(parts) {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
var cstr2 = (s) => new TextEncoder().encode(s + "\0");
var u32 = (n) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
function ip4(ip) {
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 address "${ip}"`);
  return Uint8Array.from(p);
}
function message(type, flags, seq2, body) {
  const len = 16 + body.length;
  const b = new Uint8Array(align4(len));
  const v = new DataView(b.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq2, true);
  v.setUint32(12, 0, true);
  b.set(body, 16);
  return b;
}
function ifinfo(index, flags, change) {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  b[0] = AF_UNSPEC;
  v.setInt32(4, index, true);
  v.setUint32(8, flags, true);
  v.setUint32(12, change, true);
  return b;
}
function createLink(seq2, name, kind, mac) {
  const attrs = [
    attr(IFLA_IFNAME, cstr2(name)),
    attr(IFLA_LINKINFO | NLA_F_NESTED, attr(IFLA_INFO_KIND, new TextEncoder().encode(kind)))
  ];
  if (mac) attrs.push(attr(IFLA_ADDRESS, mac));
  return message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq2, concat([
    ifinfo(0, 0, 0),
    ...attrs
  ]));
}
function setLink(seq2, index, opts) {
  const flags = opts.up ? IFF_UP : 0;
  const change = opts.up === void 0 ? 0 : IFF_UP;
  const attrs = [];
  if (opts.master !== void 0) attrs.push(attr(IFLA_MASTER, u32(opts.master)));
  return message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq2, concat([
    ifinfo(index, flags, change),
    ...attrs
  ]));
}
function addAddress(seq2, index, ip, prefix) {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix length ${prefix}`);
  const hdr = new Uint8Array(8);
  const v = new DataView(hdr.buffer);
  hdr[0] = AF_INET2;
  hdr[1] = prefix;
  hdr[3] = RT_SCOPE_UNIVERSE;
  v.setUint32(4, index, true);
  const a = ip4(ip);
  const n = new DataView(a.buffer).getUint32(0);
  const hostMask = prefix === 32 ? 0 : 4294967295 >>> prefix;
  const bcast = new Uint8Array(4);
  new DataView(bcast.buffer).setUint32(0, (n | hostMask) >>> 0);
  return message(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq2, concat([
    hdr,
    attr(IFA_LOCAL, a),
    attr(IFA_ADDRESS, a),
    attr(IFA_BROADCAST, bcast)
  ]));
}
function addRoute(seq2, oif, gateway, dst) {
  const hdr = new Uint8Array(12);
  hdr[0] = AF_INET2;
  hdr[1] = dst?.prefix ?? 0;
  hdr[4] = RT_TABLE_MAIN;
  hdr[5] = RTPROT_DHCP;
  hdr[6] = RT_SCOPE_UNIVERSE;
  hdr[7] = RTN_UNICAST;
  const attrs = [
    attr(RTA_GATEWAY, ip4(gateway)),
    attr(RTA_OIF, u32(oif))
  ];
  if (dst) attrs.unshift(attr(RTA_DST, ip4(dst.ip)));
  return message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq2, concat([
    hdr,
    ...attrs
  ]));
}
function parseReplies(buf) {
  const out = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = v.getUint32(off, true);
    if (len < 16 || off + len > buf.length) throw new Error(`malformed netlink message at ${off}`);
    const type = v.getUint16(off + 4, true);
    const seq2 = v.getUint32(off + 8, true);
    const errno = type === NLMSG_ERROR && len >= 20 ? -v.getInt32(off + 16, true) : null;
    out.push({
      type,
      seq: seq2,
      errno
    });
    off += align4(len);
  }
  return out;
}

// kernel/pid1/net-setup.ts
var BRIDGE = "zos";
function physicalNics(sysRoot = "/sys") {
  const dir = join2(sysRoot, "class/net");
  let names = [];
  try {
    names = readdirSync2(dir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    try {
      readdirSync2(join2(dir, n, "device"));
      return true;
    } catch {
      return false;
    }
  }).sort();
}
function macBytes(mac) {
  const p = mac.trim().split(":");
  if (p.length !== 6) throw new Error(`bad MAC "${mac}"`);
  return Uint8Array.from(p.map((x) => parseInt(x, 16)));
}
async function sleep(ms) {
  await new Promise((r) => setTimeout(r, ms));
}
async function waitForNic(timeoutMs, sysRoot = "/sys") {
  const until = Date.now() + timeoutMs;
  for (; ; ) {
    const nics = physicalNics(sysRoot);
    if (nics.length) return nics[0];
    if (Date.now() > until) throw new Error(`no network interface appeared within ${timeoutMs} ms (is the NIC driver in the image?)`);
    await sleep(50);
  }
}
function netlinkDo(sys, what, msg, okErrnos = []) {
  const nl = sys.netlink();
  try {
    for (const d of nl.request(msg)) {
      for (const r of parseReplies(d)) {
        if (r.errno && !okErrnos.includes(r.errno)) throw new Error(`${what}: netlink error ${r.errno}`);
      }
    }
  } finally {
    nl.close();
  }
}
var seq = 1;
async function waitOperUp(ifname, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (readFileSync3(`/sys/class/net/${ifname}/operstate`, "utf8").trim() === "up") return;
    } catch {
    }
    await sleep(20);
  }
}
async function dhcp(sys, ifname, mac, opts = {}) {
  const tries = opts.tries ?? 8;
  let lastErr = "no reply";
  for (let attempt = 1; attempt <= tries; attempt++) {
    const sock = sys.udpOnDevice(ifname, 68, 1e3);
    try {
      const xid = crypto.getRandomValues(new Uint32Array(1))[0] >>> 0;
      const wait = (types) => {
        const deadline = Date.now() + 2e3;
        while (Date.now() < deadline) {
          const d = sock.recv();
          if (!d) continue;
          try {
            const r = decodeDhcp(d);
            if (r.xid === xid && types.includes(r.type)) return r;
          } catch {
          }
        }
        return null;
      };
      sock.send(encodeDhcp({
        type: DHCP_DISCOVER,
        xid,
        mac,
        hostname: opts.hostname
      }), "255.255.255.255", 67);
      const offer = wait([
        DHCP_OFFER
      ]);
      if (!offer) {
        lastErr = "no DHCPOFFER";
      } else {
        sock.send(encodeDhcp({
          type: DHCP_REQUEST,
          xid,
          mac,
          hostname: opts.hostname,
          requestedIp: offer.yiaddr,
          serverId: offer.serverId ?? void 0
        }), "255.255.255.255", 67);
        const ack = wait([
          DHCP_ACK,
          DHCP_NAK
        ]);
        if (ack?.type === DHCP_ACK) return {
          lease: ack,
          attempts: attempt
        };
        lastErr = ack ? "DHCPNAK" : "no DHCPACK";
      }
    } finally {
      sock.close();
    }
    await sleep(Math.min(4e3, 250 * 2 ** (attempt - 1)));
  }
  throw new Error(`DHCP on ${ifname} failed after ${tries} attempts (${lastErr})`);
}
async function setupNetwork(sys, opts = {}) {
  const nic = await waitForNic(opts.nicTimeoutMs ?? 5e3);
  const mac = readFileSync3(`/sys/class/net/${nic}/address`, "utf8").trim();
  const macB = macBytes(mac);
  netlinkDo(sys, "lo up", setLink(seq++, sys.ifIndex("lo"), {
    up: true
  }));
  netlinkDo(sys, `create bridge ${BRIDGE}`, createLink(seq++, BRIDGE, "bridge", macB), [
    17
    /* EEXIST: PID 1 re-run */
  ]);
  const br = sys.ifIndex(BRIDGE);
  const port = sys.ifIndex(nic);
  netlinkDo(sys, `${nic} master ${BRIDGE}`, setLink(seq++, port, {
    master: br,
    up: true
  }));
  netlinkDo(sys, `${BRIDGE} up`, setLink(seq++, br, {
    up: true
  }));
  await waitOperUp(BRIDGE, 3e3);
  const t0 = performance.now();
  const { lease, attempts } = await dhcp(sys, BRIDGE, macB, {
    hostname: opts.hostname
  });
  const dhcpMs = Math.round(performance.now() - t0);
  const prefix = lease.prefixLength ?? 24;
  netlinkDo(sys, `address ${lease.yiaddr}/${prefix}`, addAddress(seq++, br, lease.yiaddr, prefix));
  const gateway = lease.routers[0] ?? null;
  if (gateway) netlinkDo(sys, `default route via ${gateway}`, addRoute(seq++, br, gateway));
  if (lease.dns.length) {
    try {
      writeFileSync("/etc/resolv.conf", lease.dns.map((d) => `nameserver ${d}
`).join(""));
    } catch {
    }
  }
  return {
    nic,
    mac,
    address: lease.yiaddr,
    prefix,
    gateway,
    dns: lease.dns,
    dhcpMs,
    attempts
  };
}

// kernel/pid1/power.ts
async function powerDown(cmd, d) {
  d.log(`zos-boot: ${cmd === "poweroff" ? "powering off" : "rebooting"}`);
  try {
    await d.beforeOff?.();
  } catch (err) {
    d.log(`zos-boot: stopping services failed: ${err.message}`);
  }
  d.sys.sync();
  try {
    d.umount?.();
  } catch (err) {
    d.log(`zos-boot: unmount failed: ${err.message}`);
  }
  d.sys.sync();
  d.sys.reboot(cmd);
  for (; ; ) await new Promise((r) => setTimeout(r, 6e4));
}

// kernel/pid1/state-disk.ts
import { closeSync as closeSync2, openSync as openSync2, readdirSync as readdirSync3, readFileSync as readFileSync4, readSync } from "node:fs";
import { join as join3 } from "node:path";

// kernel/pid1/trace.ts
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
var TRACE_PREFIX = "zos-boot:";
var Tracer = class {
  trace;
  base;
  write;
  file;
  /** `uptimeAtStart`: seconds since kernel start when PID 1 began (from /proc/uptime). */
  constructor(uptimeAtStart, write, file = null) {
    this.trace = {
      kernelToPid1: uptimeAtStart,
      phases: [],
      notes: []
    };
    this.base = (uptimeAtStart ?? 0) - performance.now() / 1e3;
    this.write = write;
    this.file = file;
  }
  now() {
    return this.base + performance.now() / 1e3;
  }
  note(text) {
    this.trace.notes.push(text);
    this.write(`${TRACE_PREFIX} note ${text}`);
    this.save();
  }
  events = 0;
  /** A capability-kernel event (process started, ready, crashed...), echoed on the console. */
  event(e) {
    if (++this.events > 1e3) return;
    this.write(`zos-kernel: ${JSON.stringify(e)}`);
  }
  /** Runs one phase; its duration is recorded whether it succeeds or throws (then rethrows). */
  async phase(name, fn, describe) {
    const start = this.now();
    this.write(`${TRACE_PREFIX} phase ${name} start t=${start.toFixed(3)}s`);
    try {
      const r = await fn();
      this.record(name, start, true, describe ? describe(r) : "");
      return r;
    } catch (err) {
      this.record(name, start, false, err?.message ?? String(err));
      throw err;
    }
  }
  record(name, start, ok, detail) {
    const end = this.now();
    const p = {
      name,
      start,
      end,
      ms: Math.round((end - start) * 1e3),
      ok,
      detail
    };
    this.trace.phases.push(p);
    this.write(`${TRACE_PREFIX} phase ${name} ${ok ? "ok" : "FAILED"} ${p.ms}ms t=${end.toFixed(3)}s${detail ? " " + detail : ""}`);
    this.save();
  }
  /** The whole trace as a table for the console. */
  summary() {
    const rows = this.trace.phases.map((p) => `${TRACE_PREFIX}   ${p.name.padEnd(10)} ${String(p.ms).padStart(7)} ms  ${p.ok ? "ok" : "FAILED"}  ${p.detail}`);
    const k = this.trace.kernelToPid1;
    return [
      `${TRACE_PREFIX} summary (kernel start \u2192 PID 1: ${k === null ? "?" : (k * 1e3).toFixed(0) + " ms"})`,
      ...rows
    ].join("\n");
  }
  save() {
    if (!this.file) return;
    try {
      writeAtomic(this.file, JSON.stringify(this.trace, null, 2) + "\n");
    } catch {
    }
  }
};
function writeAtomic(path, text) {
  mkdirSync(dirname(path), {
    recursive: true
  });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 420);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
function parseUptime(text) {
  const n = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : null;
}

// kernel/pid1/state-disk.ts
var STATE_MOUNT = "/var/cache";
function detectFs(head) {
  const ascii = (off, n) => new TextDecoder().decode(head.subarray(off, off + n));
  if (head.length >= 65608 && ascii(65600, 8) === "_BHRfS_M") return "btrfs";
  if (head.length >= 1082 && head[1080] === 83 && head[1081] === 239) return "ext4";
  return null;
}
function listDisks(sysRoot = "/sys", devRoot = "/dev") {
  let names = [];
  try {
    names = readdirSync3(join3(sysRoot, "block")).filter((n) => /^(vd|sd|xvd)[a-z]+$|^nvme\d+n\d+$/.test(n)).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const rd = (f) => {
      try {
        return readFileSync4(join3(sysRoot, "block", name, f), "utf8").trim();
      } catch {
        return "";
      }
    };
    let fs = null;
    try {
      const fd = openSync2(join3(devRoot, name), "r");
      try {
        const head = new Uint8Array(69632);
        readSync(fd, head, 0, head.length, 0);
        fs = detectFs(head);
      } finally {
        closeSync2(fd);
      }
    } catch {
    }
    return {
      name,
      sizeBytes: Number(rd("size") || 0) * 512,
      rotational: rd("queue/rotational") === "1",
      fs
    };
  });
}
function countBoot(mount = STATE_MOUNT) {
  const file = join3(mount, "zos", "boots");
  let n = 0;
  try {
    n = Number(readFileSync4(file, "utf8").trim()) || 0;
  } catch {
  }
  n += 1;
  writeAtomic(file, `${n}
`);
  return n;
}

// kernel/pid1/boot.ts
var MS_NOSUID = 2;
var MS_NODEV = 4;
var MS_NOEXEC = 8;
var MS_RELATIME = 2097152;
var TRACE_FILE = "/run/zos/boot-trace.json";
var STATUS_FILE = "/run/zos/status.json";
var READY_LINE = "zos-boot: READY";
function mountAll(sys) {
  const mounts = [
    [
      "proc",
      "/proc",
      "proc",
      MS_NOSUID | MS_NODEV | MS_NOEXEC
    ],
    [
      "sysfs",
      "/sys",
      "sysfs",
      MS_NOSUID | MS_NODEV | MS_NOEXEC
    ],
    [
      "devtmpfs",
      "/dev",
      "devtmpfs",
      MS_NOSUID,
      "mode=0755"
    ],
    [
      "tmpfs",
      "/run",
      "tmpfs",
      MS_NOSUID | MS_NODEV,
      "mode=0755"
    ],
    [
      "tmpfs",
      "/tmp",
      "tmpfs",
      MS_NOSUID | MS_NODEV,
      "mode=1777"
    ],
    [
      "cgroup2",
      "/sys/fs/cgroup",
      "cgroup2",
      MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME
    ]
  ];
  const done = [];
  for (const [src, target, fs, flags, data] of mounts) {
    mkdirSync2(target, {
      recursive: true
    });
    try {
      sys.mount(src, target, fs, flags, data ?? "");
      done.push(target);
    } catch (err) {
      if (!(err instanceof SysError && err.errno === EBUSY)) throw err;
    }
  }
  return done;
}
function readUptime() {
  try {
    return parseUptime(readFileSync5("/proc/uptime", "utf8"));
  } catch {
    return null;
  }
}
async function boot(o) {
  const log = o.log ?? ((l) => console.log(l));
  const sys = o.sys;
  log("zos-boot: PID 1 up");
  const mounted = mountAll(sys);
  const tracer = new Tracer(readUptime(), log, TRACE_FILE);
  tracer.note(`mounted ${mounted.join(" ")}`);
  let kernel = null;
  let stateMounted = false;
  const off = (cmd) => powerDown(cmd, {
    sys,
    log,
    beforeOff: async () => {
      await kernel?.stop();
    },
    umount: () => {
      if (stateMounted) sys.umount(STATE_MOUNT);
    }
  });
  process.on("SIGINT", () => void off("restart"));
  process.on("SIGTERM", () => void off("poweroff"));
  const params = await tracer.phase("cmdline", () => parseCmdline(readFileSync5("/proc/cmdline", "utf8")), (p) => `farmer_id=${p.farmerId ?? "none"} runmode=${p.runmode} substrate=${substrateUrls(p).join(",")}`);
  for (const w of params.warnings) tracer.note(`cmdline: ${w}`);
  const loader = new ModuleLoader(sys, o.modulesDir);
  await tracer.phase("nic", () => {
    const ins = loader.coldplug(isNetworkAlias);
    ins.push(...loader.load("bridge"));
    return ins;
  }, (ins) => `loaded ${ins.join(",") || "nothing"}`);
  let net = null;
  for (let attempt = 1; !net; attempt++) {
    try {
      net = await tracer.phase("network", () => setupNetwork(sys, {
        hostname: "zos"
      }), (n) => `${n.nic} in bridge zos mac ${n.mac} addr ${n.address}/${n.prefix} gw ${n.gateway ?? "none"} dhcp ${n.dhcpMs}ms`);
    } catch (err) {
      tracer.note(`network attempt ${attempt} failed: ${err.message}; retrying`);
      await new Promise((r) => setTimeout(r, Math.min(3e4, 1e3 * attempt)));
    }
  }
  const chain = await tracer.phase("chain", () => waitForChain(substrateUrls(params), {
    onAttempt: (url, err, n) => tracer.note(`chain attempt ${n} ${url}: ${err}`)
  }), (r) => `${r.url} answered ${r.answer} after ${r.attempts} attempt(s)`);
  void chain;
  const stateDisk = await tracer.phase("storage", () => {
    const ins = loader.coldplug(() => true);
    const disks = listDisks();
    const found = disks.find((d) => d.fs !== null);
    let boots = 0;
    let usable = found;
    if (found) {
      try {
        ins.push(...loader.load(found.fs));
        mkdirSync2(STATE_MOUNT, {
          recursive: true
        });
        sys.mount(`/dev/${found.name}`, STATE_MOUNT, found.fs, MS_NOSUID | MS_NODEV | MS_RELATIME);
        stateMounted = true;
        boots = countBoot();
      } catch (err) {
        tracer.note(`state disk ${found.name} (${found.fs}) could not be mounted: ${err.message}`);
        usable = void 0;
      }
    }
    return {
      ins,
      disks,
      usable,
      boots
    };
  }, (r) => {
    const list = r.disks.map((d) => `${d.name}(${(d.sizeBytes / 2 ** 30).toFixed(1)}G,${d.fs ?? "blank"})`).join(" ") || "no disks";
    return `loaded ${r.ins.join(",") || "nothing"}; ${list}` + (r.usable ? `; state on ${r.usable.name} boot #${r.boots}` : "");
  });
  if (!stateDisk.usable) {
    tracer.note(stateDisk.disks.length ? "no disk carries a filesystem yet: state is not persistent and the node will not register until storage prepares one" : "no disk: the node has nowhere to keep its identity and will not register (Zero-OS: no cache disk)");
  }
  if (params.farmerId === null) tracer.note("no farmer_id on the kernel command line: the node is an orphan and will not register");
  const persistent = Boolean(stateDisk.usable);
  let kernelState = "absent";
  if (o.startKernel) {
    try {
      kernel = await tracer.phase("kernel", () => o.startKernel({
        params,
        net,
        stateDisk: persistent ? STATE_MOUNT : null,
        trace: tracer
      }), () => "capability kernel started");
      kernelState = "ok";
    } catch (err) {
      kernelState = "failed";
      tracer.note(`the capability kernel did not start: ${err.message.split("\n")[0]}`);
    }
  } else {
    tracer.note("this image carries no capability kernel bundle: PID 1 duties only");
  }
  await tracer.phase("checks", () => {
    const l = listeningSockets();
    if (l.length) throw new Error(`listening sockets found: ${l.map((s) => `${s.proto}:${s.port}`).join(" ")}`);
    return l;
  }, () => "no listening sockets").catch(() => void 0);
  writeAtomic(STATUS_FILE, JSON.stringify({
    params: describeParams(params),
    net,
    persistent,
    boots: stateDisk.boots,
    kernel: kernelState
  }, null, 2) + "\n");
  log(tracer.summary());
  log(`${READY_LINE} addr=${net.address} boots=${stateDisk.boots} persistent=${persistent} kernel=${kernelState}`);
  const hook = params.raw.get("zos-vmtest")?.at(-1);
  if (hook && params.runmode === "dev") {
    const m = /^cycle:(\d+)$/.exec(hook);
    if (m && stateDisk.boots < Number(m[1])) return off("restart");
    if (m || hook === "poweroff") return off("poweroff");
  }
  setInterval(() => {
  }, 1 << 30);
  return new Promise(() => {
  });
}

// kernel/pid1/init.ts
var KERNEL_BUNDLE = "/lib/zos/kernel/mod.js";
var MANIFEST_PATH = "/lib/zos/manifests/node.json";
async function main() {
  if (process.pid !== 1) {
    console.error(`zos init: refusing to run: this is the image's PID 1 program and this process is not PID 1 (pid ${process.pid}). Use \`zos kernel run\` on a host.`);
    process.exit(2);
  }
  process.env.PATH = "/usr/bin";
  process.env.HOME = "/run";
  process.env.DENO_DIR = "/run/deno";
  process.env.DENO_NO_UPDATE_CHECK = "1";
  const opts = {
    sys: denoSys(),
    modulesDir: "/lib/modules/current"
  };
  if (existsSync3(KERNEL_BUNDLE)) {
    opts.startKernel = async (ctx) => {
      const mod = await import("file://" + KERNEL_BUNDLE);
      const stateDir = ctx.stateDisk ? `${ctx.stateDisk}/zos/kernel` : "/run/zos/kernel";
      const handle = await mod.startKernel({
        manifest: MANIFEST_PATH,
        stateDir,
        onEvent: (e) => ctx.trace.event(e)
      });
      if (handle.notReady?.length) ctx.trace.note(`kernel: not ready after start-up: ${handle.notReady.join(", ")}`);
      return {
        stop: () => handle.stop()
      };
    };
  }
  try {
    await boot(opts);
  } catch (err) {
    console.log(`zos-boot: FATAL ${err?.stack ?? err}`);
    setInterval(() => {
    }, 1 << 30);
  }
}
main();
export {
  KERNEL_BUNDLE,
  MANIFEST_PATH
};
