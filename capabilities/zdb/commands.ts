// The 0-db command set over a Store: one Session per client connection (current namespace, admin flag,
// write permission, pending SECURE challenge). Replies and error strings follow 0-db v2 (zdbd/commands_*.c)
// so clients written for 0-db (Zero-OS, zstor, redis clients) see the same answers.
import { Buffer } from "node:buffer";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { crc32 } from "./lib/crc32.ts";
import { MAX_KEY, RECORD_HEADER } from "./lib/record.ts";
import { array, bulk, error, int, nil, ok, type Reply, simple } from "./lib/resp.ts";
import type { Namespace } from "./namespace.ts";
import { DEFAULT_NAMESPACE, invalidName, MAX_NAMESPACE_NAME, type Store } from "./store.ts";

export interface ServerConfig {
  store: Store;
  /** admin password (--admin); null = no admin, AUTH answers "Authentication disabled" */
  admin: string | null;
  /** --protect: `default` is read-only unless the client is admin */
  protect: boolean;
  /** unix seconds, injectable for tests */
  now?: () => number;
  instanceId?: number;
}

export interface Stats {
  clients: number;
  commands: number;
  failed: number;
  unauthorized: number;
  bootTime: number;
}

const MAX_MGET = 1023;
const SCAN_BATCH = 256;

export const sha1hex = (s: string) => createHash("sha1").update(s).digest("hex");

function equalSecret(a: Buffer, b: string): boolean {
  const bb = Buffer.from(b);
  return a.length === bb.length && timingSafeEqual(a, bb);
}

export class Session {
  ns: Namespace;
  writable: boolean;
  admin = false;
  nonce: string | null = null;
  /** the connection must be closed after the reply (namespace removed under it) */
  close = false;
  private server: CommandServer;

  constructor(server: CommandServer) {
    this.server = server;
    this.ns = server.store.get(DEFAULT_NAMESPACE)!;
    this.writable = !server.config.protect;
    server.stats.clients++;
  }

  execute(args: Buffer[]): Reply {
    const st = this.server.stats;
    if (this.ns.removed) {
      this.close = true;
      return error("Your active namespace is not available anymore (probably removed).");
    }
    if (args.length === 0) return error("Invalid Request");
    const name = args[0].toString("latin1").toUpperCase();
    const fn = handlers[name];
    if (!fn) {
      st.failed++;
      return error("Command not supported");
    }
    st.commands++;
    return fn(this, args, this.server);
  }
}

type Handler = (s: Session, a: Buffer[], srv: CommandServer) => Reply;

export class CommandServer {
  readonly store: Store;
  readonly config: ServerConfig;
  readonly stats: Stats;
  readonly instanceId: number;

  constructor(config: ServerConfig) {
    this.config = config;
    this.store = config.store;
    this.stats = { clients: 0, commands: 0, failed: 0, unauthorized: 0, bootTime: this.now() };
    this.instanceId = config.instanceId ?? randomBytes(4).readUInt32LE(0);
  }

  now(): number {
    return this.config.now ? this.config.now() : Math.floor(Date.now() / 1000);
  }

  session(): Session {
    return new Session(this);
  }
}

// ---- helpers ----

function exact(a: Buffer[], n: number, nullAllowed = false): Reply | null {
  if (a.length !== n) return error("Unexpected arguments");
  if (!nullAllowed) for (let i = 0; i < n; i++) if (a[i].length === 0) return error("Invalid argument");
  return null;
}

function adminOnly(s: Session, srv: CommandServer): Reply | null {
  if (s.admin) return null;
  srv.stats.unauthorized++;
  return error("Permission denied");
}

const frozen = (s: Session) => s.ns.settings.frozen ? error("Namespace is temporarily frozen (read-write disabled)") : null;
const locked = (s: Session) => s.ns.settings.locked ? error("Namespace is temporarily locked (read-only)") : null;

function keyCheck(a: Buffer[]): Reply | null {
  const bad = exact(a, 2);
  if (bad) return bad;
  if (a[1].length > MAX_KEY) return error("Invalid key");
  return null;
}

const text = (b: Buffer) => b.toString();

/** SCAN cursors: the entry's position in the namespace history, 8 bytes little-endian. */
function cursorOf(order: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(order));
  return b;
}

function scanReply(entries: ReturnType<Namespace["scan"]>): Reply {
  if (entries.length === 0) return error("No more data");
  return array([
    bulk(cursorOf(entries[entries.length - 1].order)),
    array(entries.map((e) => array([bulk(e.key), int(e.length), int(e.timestamp)]))),
  ]);
}

function scan(s: Session, a: Buffer[], backward: boolean): Reply {
  const f = frozen(s);
  if (f) return f;
  let after: number | null = null;
  if (a.length > 1) {
    if (a[1].length !== 8) return error("Invalid key format");
    const v = a[1].readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) return error("Invalid key format");
    after = Number(v);
  }
  return scanReply(s.ns.scan(after, backward, SCAN_BATCH));
}

function nsinfo(ns: Namespace, admin: boolean): string {
  const st = ns.settings;
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(2);
  const yes = (b: boolean) => (b ? "yes" : "no");
  const lines = [
    "# namespace",
    `name: ${ns.name}`,
    `entries: ${ns.entries}`,
    `public: ${yes(st.public)}`,
    `worm: ${yes(st.worm)}`,
    `locked: ${yes(st.locked)}`,
    `frozen: ${yes(st.frozen)}`,
    `password: ${yes(st.password !== null)}`,
    `data_size_bytes: ${ns.dataSize}`,
    `data_size_mb: ${mb(ns.dataSize)}`,
    `data_limits_bytes: ${st.maxsize}`,
    `index_size_bytes: ${ns.indexSize}`,
    `index_size_kb: ${(ns.indexSize / 1024).toFixed(2)}`,
    `next_internal_id: 0x${ns.nextSeq.toString(16).padStart(8, "0")}`,
    `mode: ${st.mode === "seq" ? "sequential" : "userkey"}`,
  ];
  if (st.maxsize > 0n) lines.push(`space_available: ${st.maxsize - BigInt(ns.dataSize) > 0n ? st.maxsize - BigInt(ns.dataSize) : 0n}`);
  // 0-db reports statvfs of its folders; a namespace in a storage volume is bounded by the volume's quota
  const free = ns.diskFree;
  if (free !== null) {
    lines.push(`data_disk_freespace_bytes: ${free}`, `data_disk_freespace_mb: ${mb(free)}`);
    lines.push(`index_disk_freespace_bytes: ${free}`, `index_disk_freespace_mb: ${mb(free)}`);
  }
  if (admin) lines.push(`data_path: ${ns.dir}`, `index_path: ${ns.dir}`);
  return lines.join("\n") + "\n";
}

function setCmd(s: Session, a: Buffer[], srv: CommandServer): Reply {
  if (a.length === 4) {
    const d = adminOnly(s, srv);
    if (d) return d;
  } else {
    const bad = exact(a, 3, true);
    if (bad) return bad;
  }
  const key = a[1];
  const value = a[2];
  if (key.length > MAX_KEY) return error("Key too large");
  if (!s.writable) return error("Namespace is in read-only mode");
  const ns = s.ns;
  const f = frozen(s) ?? locked(s);
  if (f) return f;
  const existing = key.length > 0 ? ns.get(key) : undefined;
  if (existing && ns.settings.worm) return error("Namespace is protected by worm mode");
  if (ns.settings.maxsize > 0n) {
    const limit = ns.settings.maxsize + BigInt(existing?.length ?? 0);
    if (BigInt(ns.dataSize + value.length) > limit) return error("No space left on this namespace");
  }
  // the files keep overwritten history too: the volume's quota must still take the record
  const free = ns.diskFree;
  if (free !== null && RECORD_HEADER + key.length + value.length > free) return error("No space left on this namespace");
  let target: Buffer;
  if (ns.settings.mode === "seq") {
    if (key.length > 0 && !existing) return error("Invalid key, only update authorized");
    target = existing ? existing.key : ns.allocateSeq();
  } else {
    if (key.length === 0) return error("Invalid argument, key needed");
    target = key;
  }
  const crc = crc32(value);
  if (existing && existing.crc === crc && ns.holds(existing, value)) return nil;
  const ts = a.length === 4 ? Number(text(a[3])) >>> 0 : srv.now();
  ns.set(target, value, ts, crc);
  // no copy: the reply's parts are joined into one new buffer when it is written (server.ts)
  return bulk(target);
}

function getOne(ns: Namespace, key: Buffer): Reply {
  const e = ns.get(key);
  if (!e) return nil;
  return bulk(ns.read(e));
}

function select(s: Session, a: Buffer[], srv: CommandServer): Reply {
  if (a.length < 2) return error("Invalid argument");
  if (a[1].length > MAX_NAMESPACE_NAME) return error("Namespace too long");
  const ns = srv.store.get(text(a[1]));
  if (!ns) return error("Namespace not found");
  let writable = true;
  const protectedDefault = ns.name === DEFAULT_NAMESPACE && srv.config.protect;
  // --protect: `default` is readable by all and writable with the admin password (SELECT default <admin>)
  const pw = ns.settings.password ?? (protectedDefault ? srv.config.admin : null);
  if (protectedDefault && !s.admin) writable = false;
  if (pw !== null) {
    if (a.length < 3) {
      if (!ns.settings.public) return error("Namespace protected and private");
      writable = false;
    } else if (a.length > 4) {
      return error("Too many arguments");
    } else if (a.length === 3) {
      if (a[2].length > 255) return error("Password too long");
      if (!equalSecret(a[2], pw)) return error("Access denied");
      writable = true;
    } else {
      if (text(a[2]).toUpperCase() !== "SECURE") return error("Only SECURE extra method supported");
      if (s.nonce === null) return error("No CHALLENGE requested, secure authentication not available");
      if (a[3].length !== 40) return error("Invalid hash length");
      if (!equalSecret(Buffer.from(text(a[3]).toLowerCase()), sha1hex(`${s.nonce}:${pw}`))) return error("Access denied");
      writable = true;
    }
  }
  s.ns = ns;
  s.writable = writable;
  return ok;
}

function auth(s: Session, a: Buffer[], srv: CommandServer): Reply {
  const admin = srv.config.admin;
  if (a.length === 3) {
    if (text(a[1]).toUpperCase() !== "SECURE") return error("Only SECURE extra method supported");
    if (text(a[2]).toUpperCase() === "CHALLENGE") {
      s.nonce = randomBytes(8).toString("hex");
      return simple(s.nonce);
    }
    if (admin === null) return error("Authentication disabled");
    if (s.nonce === null) return error("No CHALLENGE requested, secure authentication not available");
    if (a[2].length !== 40) return error("Invalid hash length");
    if (!equalSecret(Buffer.from(text(a[2]).toLowerCase()), sha1hex(`${s.nonce}:${admin}`))) return error("Access denied");
    return grantAdmin(s);
  }
  if (admin === null) return error("Authentication disabled");
  const bad = exact(a, 2);
  if (bad) return bad;
  if (a[1].length > 128) return error("Password too long");
  if (!equalSecret(a[1], admin)) return error("Access denied");
  return grantAdmin(s);
}

function grantAdmin(s: Session): Reply {
  s.admin = true;
  if (s.ns.name === DEFAULT_NAMESPACE) s.writable = true;
  return ok;
}

function nsset(s: Session, a: Buffer[], srv: CommandServer): Reply {
  const d = adminOnly(s, srv) ?? exact(a, 4);
  if (d) return d;
  if (a[1].length > MAX_NAMESPACE_NAME) return error("Namespace too long");
  if (a[3].length > 63) return error("Argument too long");
  const ns = srv.store.get(text(a[1]));
  if (!ns) return error("Namespace not found");
  const prop = text(a[2]);
  const value = text(a[3]);
  const st = ns.settings;
  const on = value[0] === "1";
  if (prop === "mode") {
    if (!ns.fresh) return error("Cannot change mode of used namespace");
    if (value !== "user" && value !== "seq") return error("Invalid property value (expected: user, seq)");
    st.mode = value;
  } else if (prop === "lock") {
    st.locked = on;
    if (on) st.frozen = false;
  } else if (prop === "freeze") {
    st.frozen = on;
    if (on) st.locked = false;
  } else if (ns.name === DEFAULT_NAMESPACE) {
    return error("Cannot update default namespace");
  } else if (prop === "maxsize") {
    if (!/^\d+$/.test(value)) return error("Invalid property value (expected: bytes)");
    st.maxsize = BigInt(value);
  } else if (prop === "password") {
    st.password = value === "*" ? null : value;
  } else if (prop === "public") {
    st.public = on;
  } else if (prop === "worm") {
    st.worm = on;
  } else {
    return error("Invalid property");
  }
  ns.commit();
  return ok;
}

function info(srv: CommandServer): string {
  const now = srv.now();
  return [
    "# server",
    "server_name: 0-db (zdb)",
    "server_revision: zos-ts",
    "engine_revision: zos-ts",
    `instance_id: ${srv.instanceId}`,
    `boot_time: ${srv.stats.bootTime}`,
    `uptime: ${now - srv.stats.bootTime}`,
    "",
    "# clients",
    `clients_lifetime: ${srv.stats.clients}`,
    "",
    "# internals",
    "sequential_key_size: 8",
    "",
    "# stats",
    `commands_executed: ${srv.stats.commands}`,
    `commands_failed: ${srv.stats.failed}`,
    `commands_unauthorized: ${srv.stats.unauthorized}`,
    "",
  ].join("\n");
}

const handlers: Record<string, Handler> = {
  PING: () => simple("PONG"),
  TIME: () => {
    const t = Date.now();
    return array([bulk(String(Math.floor(t / 1000))), bulk(String((t % 1000) * 1000))]);
  },
  AUTH: auth,
  SET: setCmd,
  SETX: setCmd,
  GET: (s, a) => keyCheck(a) ?? frozen(s) ?? getOne(s.ns, a[1]),
  MGET: (s, a) => {
    if (a.length < 2 || a.length - 1 > MAX_MGET) return error("Invalid arguments");
    for (let i = 1; i < a.length; i++) if (a[i].length > MAX_KEY) return error("Invalid key");
    return frozen(s) ?? array(a.slice(1).map((k) => getOne(s.ns, k)));
  },
  DEL: (s, a, srv) => {
    const d = a.length === 3 ? adminOnly(s, srv) : exact(a, 2);
    if (d) return d;
    if (a[1].length > MAX_KEY) return error("Invalid key");
    if (!s.writable) return error("Namespace is in read-only mode");
    const f = frozen(s) ?? locked(s);
    if (f) return f;
    if (!s.ns.get(a[1])) return error("Key not found");
    if (s.ns.settings.worm) return error("Cannot delete a key when namespace is in worm mode");
    s.ns.delete(a[1], a.length === 3 ? Number(text(a[2])) >>> 0 : srv.now());
    return ok;
  },
  EXISTS: (s, a) => keyCheck(a) ?? frozen(s) ?? int(s.ns.get(a[1]) ? 1 : 0),
  CHECK: (s, a) => {
    const bad = keyCheck(a) ?? frozen(s);
    if (bad) return bad;
    const e = s.ns.get(a[1]);
    if (!e) return nil;
    return int(crc32(s.ns.read(e)) === e.crc ? 1 : 0);
  },
  LENGTH: (s, a) => {
    const bad = keyCheck(a) ?? frozen(s);
    if (bad) return bad;
    const e = s.ns.get(a[1]);
    return e ? int(e.length) : nil;
  },
  KEYTIME: (s, a) => {
    const bad = keyCheck(a) ?? frozen(s);
    if (bad) return bad;
    const e = s.ns.get(a[1]);
    return e ? int(e.timestamp) : nil;
  },
  KEYCUR: (s, a) => {
    const bad = exact(a, 2) ?? frozen(s);
    if (bad) return bad;
    const e = s.ns.get(a[1]);
    return e ? bulk(cursorOf(e.order)) : error("Key not found");
  },
  SCAN: (s, a) => scan(s, a, false),
  SCANX: (s, a) => scan(s, a, false),
  RSCAN: (s, a) => scan(s, a, true),
  INFO: (_s, _a, srv) => bulk(info(srv)),
  DBSIZE: (s) => int(s.ns.entries),
  NSNEW: (s, a, srv) => {
    const d = adminOnly(s, srv) ?? exact(a, 2);
    if (d) return d;
    if (a[1].length > MAX_NAMESPACE_NAME) return error("Namespace too long");
    const name = text(a[1]);
    if (invalidName(name)) return error("This name is not allowed");
    if (srv.store.get(name)) return error("This namespace is not available");
    srv.store.create(name);
    return ok;
  },
  NSDEL: (s, a, srv) => {
    const d = adminOnly(s, srv) ?? exact(a, 2);
    if (d) return d;
    if (a[1].length > MAX_NAMESPACE_NAME) return error("Namespace too long");
    const name = text(a[1]);
    if (name === DEFAULT_NAMESPACE) return error("Cannot remove default namespace");
    const ns = srv.store.get(name);
    if (!ns) return error("This namespace doesn't exists");
    if (s.ns === ns) return error("Cannot remove namespace you're currently using.");
    srv.store.remove(name);
    return ok;
  },
  NSINFO: (s, a, srv) => {
    const bad = exact(a, 2);
    if (bad) return bad;
    if (a[1].length > MAX_NAMESPACE_NAME) return error("Namespace too long");
    const ns = srv.store.get(text(a[1]));
    return ns ? bulk(nsinfo(ns, s.admin)) : error("Namespace not found");
  },
  NSLIST: (_s, _a, srv) => array(srv.store.names().map((n) => bulk(n))),
  NSSET: nsset,
  NSJUMP: (s, _a, srv) => {
    const d = adminOnly(s, srv);
    if (d) return d;
    s.ns.jump();
    return ok;
  },
  SELECT: select,
  FLUSH: (s) => {
    if (s.ns.settings.public || s.ns.settings.password === null) return error("Flushing public namespace denied");
    if (!s.writable) return error("Namespace is in read-only mode");
    s.ns.wipe();
    return ok;
  },
  HOOKS: () => array([]),
};

export { nsinfo };
