// The typed VM request the hypervisor driver accepts, and its validation. Nothing here is a QEMU argument:
// the driver decides the command line (cmdline.ts) from these fields. Every path must resolve (symlinks
// followed) under a root the grant lists, disks must carry their owner's prefix (the storage module names
// every disk and volume "<owner>-…"), and every tap must be the one named for this VM (lib/vm-names.ts).
import { realpathSync, statSync } from "node:fs";
import { basename, sep } from "node:path";
import { tapName } from "../lib/vm-names.ts";

export interface NicSpec {
  tap: string;
  mac: string;
}

export interface SeedNetwork {
  mac: string;
  addresses: string[];
  gateway4?: string;
  routes?: { to: string; via: string }[];
  nameservers?: string[];
}

/** The cloud-init NoCloud seed, as Zero-OS fills it (hostname, network config, env, SSH keys, mounts). */
export interface SeedSpec {
  hostname: string;
  network: SeedNetwork[];
  sshKeys?: string[];
  env?: Record<string, string>;
  entrypoint?: string;
  /** [source (a 9p tag or disk serial), target, type] */
  mounts?: { source: string; target: string; type: string }[];
  /** extra `#cloud-config` lines appended to user-data (tests mark their seed with it) */
  marker?: string;
}

export interface VmSpec {
  id: string;
  owner: number;
  cpu: number;
  /** bytes */
  memory: number;
  /** direct kernel boot (container mode, or a flist carrying its kernel); absent = boot the first disk */
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  /** a 9p share with tag `root` (container mode's root filesystem) */
  root?: { path: string; readOnly: boolean };
  disks: { path: string; serial: string }[];
  /** a full VM's image (a flist's /image.raw), written onto the first disk while that disk is blank */
  image?: string;
  /** more 9p shares (volumes) */
  shares: { tag: string; path: string }[];
  nics: NicSpec[];
  seed?: SeedSpec;
}

/** What a grant may name: absolute roots by name (from the driver's args), the tap prefix, owners. */
export interface Scope {
  roots: Map<string, string>;
  tapPrefix: string;
  /** twins this grant may start VMs for; null = any */
  owners: number[] | null;
  /** a read-only grant: it sees the VMs of this grantee and changes nothing */
  readOf?: string | null;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
// QEMU splits option values at commas; these characters never need escaping
const SAFE_PATH = /^\/[A-Za-z0-9._/+-]*$/;
const TAG = /^[A-Za-z0-9_-]{1,31}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const MAX_CPU = 64;
const MAX_MEMORY = 1024 * 1024 ** 3;

function bad(field: string, why: string): never {
  throw new Error(`invalid: vm ${field}: ${why}`);
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(field, "must be an object");
  return v as Record<string, unknown>;
}

function str(v: unknown, field: string, optional = false): string {
  if (v === undefined && optional) return "";
  if (typeof v !== "string") bad(field, "must be a string");
  return v;
}

function onlyKeys(o: Record<string, unknown>, keys: string[], field: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${field}.${k}`, `unknown field (allowed: ${keys.join(", ")}); QEMU arguments are never taken from callers`);
}

/** Resolves `p` and checks it is inside one of the grant's roots; returns the resolved path. */
export function checkPath(p: string, field: string, scope: Scope): string {
  if (!SAFE_PATH.test(p) || p.split("/").includes("..")) bad(field, `"${p}" must be an absolute path of [A-Za-z0-9._/+-] without ".."`);
  let real: string;
  try {
    real = realpathSync(p);
  } catch {
    bad(field, `"${p}" does not exist`);
  }
  if (!SAFE_PATH.test(real)) bad(field, `"${p}" resolves to "${real}", which has characters QEMU would misread`);
  for (const root of scope.roots.values()) if (real.startsWith(root + sep)) return real;
  bad(field, `"${p}" is outside the storage and flist roots this grant lists (${[...scope.roots.keys()].join(", ") || "none"})`);
}

/**
 * A disk or volume named as the storage module names it ({pool, name}: the vdisk `<pool>/vdisks/<name>` or the
 * subvolume `<pool>/<name>`) under the grant's `pools` root; checkPath still resolves and checks the result.
 */
function inPool(x: Record<string, unknown>, f: string, scope: Scope, sub: string): string {
  const root = scope.roots.get("pools");
  if (!root) bad(f, "names a pool, but this grant lists no pools root");
  const pool = str(x.pool, `${f}.pool`);
  const name = str(x.name, `${f}.name`);
  const plain = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
  if (!plain.test(pool) || !plain.test(name)) bad(f, "pool and name must be plain names");
  return [root, pool, ...(sub ? [sub] : []), name].join("/");
}

export function parseSpec(json: string, scope: Scope): VmSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    bad("request", "is not JSON");
  }
  const o = obj(raw, "request");
  onlyKeys(o, ["id", "owner", "cpu", "memory", "kernel", "initrd", "cmdline", "root", "disks", "image", "shares", "nics", "seed"], "request");
  const id = str(o.id, "id");
  if (!ID.test(id)) bad("id", `"${id}" must be 1–64 of [A-Za-z0-9_.-] starting with a letter or digit`);
  const owner = o.owner;
  if (typeof owner !== "number" || !Number.isInteger(owner) || owner < 1 || owner > 0xffffffff) bad("owner", "must be a twin id (a positive integer)");
  if (scope.owners && !scope.owners.includes(owner)) bad("owner", `twin ${owner} is not one this grant may start VMs for`);
  const cpu = o.cpu;
  if (typeof cpu !== "number" || !Number.isInteger(cpu) || cpu < 1 || cpu > MAX_CPU) bad("cpu", `must be an integer 1–${MAX_CPU}`);
  const memory = o.memory;
  if (typeof memory !== "number" || !Number.isInteger(memory) || memory < 128 * 1024 ** 2 || memory > MAX_MEMORY) bad("memory", "must be bytes, at least 128 MiB");
  if (memory % (1024 ** 2) !== 0) bad("memory", "must be a whole number of MiB");

  const spec: VmSpec = { id, owner, cpu, memory, disks: [], shares: [], nics: [] };
  if (o.kernel !== undefined) spec.kernel = checkPath(str(o.kernel, "kernel"), "kernel", scope);
  if (o.initrd !== undefined) {
    if (!spec.kernel) bad("initrd", "needs a kernel");
    spec.initrd = checkPath(str(o.initrd, "initrd"), "initrd", scope);
  }
  if (o.cmdline !== undefined) {
    if (!spec.kernel) bad("cmdline", "needs a kernel");
    const c = str(o.cmdline, "cmdline");
    if (c.length > 2048 || !/^[\x20-\x7e]*$/.test(c)) bad("cmdline", "must be printable ASCII, at most 2048 bytes");
    spec.cmdline = c;
  }
  if (o.root !== undefined) {
    const r = obj(o.root, "root");
    onlyKeys(r, ["path", "readOnly"], "root");
    const path = checkPath(str(r.path, "root.path"), "root.path", scope);
    if (!statSync(path).isDirectory()) bad("root.path", "must be a directory");
    spec.root = { path, readOnly: r.readOnly === true };
  }
  const disks = o.disks ?? [];
  if (!Array.isArray(disks) || disks.length > 16) bad("disks", "must be a list of at most 16");
  const serials = new Set<string>();
  disks.forEach((d, i) => {
    const f = `disks[${i}]`;
    const x = obj(d, f);
    onlyKeys(x, ["path", "pool", "name", "serial"], f);
    const path = checkPath(x.path !== undefined ? str(x.path, `${f}.path`) : inPool(x, f, scope, "vdisks"), `${f}.path`, scope);
    if (!statSync(path).isFile()) bad(`${f}.path`, "must be a regular file (a vdisk)");
    if (!basename(path).startsWith(`${owner}-`)) bad(`${f}.path`, `"${basename(path)}" is not a disk of twin ${owner} (its name must start with "${owner}-")`);
    const serial = str(x.serial, `${f}.serial`);
    if (!/^[A-Za-z0-9_-]{1,20}$/.test(serial) || serials.has(serial)) bad(`${f}.serial`, "must be 1–20 of [A-Za-z0-9_-], unique");
    serials.add(serial);
    spec.disks.push({ path, serial });
  });
  if (o.image !== undefined) {
    if (spec.kernel || !spec.disks.length) bad("image", "goes onto the first disk of a VM booting from it (no kernel)");
    spec.image = checkPath(str(o.image, "image"), "image", scope);
    if (!statSync(spec.image).isFile()) bad("image", "must be a file");
  }
  if (!spec.kernel && spec.disks.length === 0) bad("request", "needs a kernel (direct boot) or a first disk to boot from");
  const shares = o.shares ?? [];
  if (!Array.isArray(shares) || shares.length > 16) bad("shares", "must be a list of at most 16");
  const tags = new Set(["root"]);
  shares.forEach((s, i) => {
    const f = `shares[${i}]`;
    const x = obj(s, f);
    onlyKeys(x, ["tag", "path", "pool", "name"], f);
    const tag = str(x.tag, `${f}.tag`);
    if (!TAG.test(tag) || tags.has(tag)) bad(`${f}.tag`, `"${tag}" must be 1–31 of [A-Za-z0-9_-], unique, not "root"`);
    tags.add(tag);
    const path = checkPath(x.path !== undefined ? str(x.path, `${f}.path`) : inPool(x, f, scope, ""), `${f}.path`, scope);
    if (!basename(path).startsWith(`${owner}-`)) bad(`${f}.path`, `"${basename(path)}" is not a volume of twin ${owner}`);
    spec.shares.push({ tag, path });
  });
  const nics = o.nics ?? [];
  if (!Array.isArray(nics) || nics.length > 4) bad("nics", "must be a list of at most 4");
  nics.forEach((n, i) => {
    const f = `nics[${i}]`;
    const x = obj(n, f);
    onlyKeys(x, ["tap", "mac"], f);
    const tap = str(x.tap, `${f}.tap`);
    const want = tapName(scope.tapPrefix, id, i);
    if (tap !== want) bad(`${f}.tap`, `"${tap}" is not this VM's tap (slot ${i} of "${id}" is "${want}"; taps come from the network module)`);
    const mac = str(x.mac, `${f}.mac`);
    if (!MAC.test(mac) || (parseInt(mac.slice(0, 2), 16) & 1) === 1) bad(`${f}.mac`, `"${mac}" must be a lowercase unicast MAC`);
    spec.nics.push({ tap, mac });
  });
  if (o.seed !== undefined) spec.seed = parseSeed(obj(o.seed, "seed"));
  return spec;
}

const PRINTABLE = /^[^\x00-\x1f\x7f]*$/;
const ENV_VALUE = /^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/;

function parseSeed(s: Record<string, unknown>): SeedSpec {
  onlyKeys(s, ["hostname", "network", "sshKeys", "env", "entrypoint", "mounts", "marker"], "seed");
  const hostname = str(s.hostname, "seed.hostname");
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})$/.test(hostname)) bad("seed.hostname", `"${hostname}" is not a host name`);
  const text = (v: unknown, f: string) => {
    const t = str(v, f);
    if (!PRINTABLE.test(t) || t.length > 4096) bad(f, "must be one printable line");
    return t;
  };
  const list = (v: unknown, f: string) => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) bad(f, "must be a list");
    return v.map((x, i) => text(x, `${f}[${i}]`));
  };
  const net = s.network ?? [];
  if (!Array.isArray(net)) bad("seed.network", "must be a list");
  const network = net.map((n, i): SeedNetwork => {
    const f = `seed.network[${i}]`;
    const x = obj(n, f);
    onlyKeys(x, ["mac", "addresses", "gateway4", "routes", "nameservers"], f);
    const mac = str(x.mac, `${f}.mac`);
    if (!MAC.test(mac)) bad(`${f}.mac`, "must be a lowercase MAC");
    const ipish = (v: string, ff: string) => {
      if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(v)) bad(ff, `"${v}" is not an IP address`);
      return v;
    };
    const routes = (x.routes ?? []) as unknown[];
    if (!Array.isArray(routes)) bad(`${f}.routes`, "must be a list");
    return {
      mac,
      addresses: list(x.addresses, `${f}.addresses`).map((a, j) => ipish(a, `${f}.addresses[${j}]`)),
      gateway4: x.gateway4 === undefined ? undefined : ipish(str(x.gateway4, `${f}.gateway4`), `${f}.gateway4`),
      routes: routes.map((r, j) => {
        const rr = obj(r, `${f}.routes[${j}]`);
        return { to: ipish(str(rr.to, `${f}.routes[${j}].to`), `${f}.routes[${j}].to`), via: ipish(str(rr.via, `${f}.routes[${j}].via`), `${f}.routes[${j}].via`) };
      }),
      nameservers: list(x.nameservers, `${f}.nameservers`).map((a, j) => ipish(a, `${f}.nameservers[${j}]`)),
    };
  });
  const env: Record<string, string> = {};
  if (s.env !== undefined) {
    for (const [k, v] of Object.entries(obj(s.env, "seed.env"))) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) bad("seed.env", `"${k}" is not a variable name`);
      // an env value may hold several lines (SSH_KEY: one key a line); it reaches the guest JSON-quoted in
      // user-data and single-quoted in /etc/zosrc, where a newline stays inside its value
      const t = str(v, `seed.env.${k}`);
      if (!ENV_VALUE.test(t) || t.length > 65536) bad(`seed.env.${k}`, "must be text lines (no control characters but tab and line ends), at most 64 KiB");
      env[k] = t;
    }
  }
  const mounts = ((s.mounts ?? []) as unknown[]);
  if (!Array.isArray(mounts)) bad("seed.mounts", "must be a list");
  return {
    hostname,
    network,
    // authorized_keys lines: fields may be tab-separated
    sshKeys: ((): string[] => {
      if (s.sshKeys === undefined) return [];
      if (!Array.isArray(s.sshKeys)) bad("seed.sshKeys", "must be a list");
      return s.sshKeys.map((x, i) => {
        const t = str(x, `seed.sshKeys[${i}]`);
        if (!/^[^\x00-\x08\x0a-\x1f\x7f]*$/.test(t) || t.length > 65536) bad(`seed.sshKeys[${i}]`, "must be one line (tabs allowed), at most 64 KiB");
        return t;
      });
    })(),
    env,
    entrypoint: s.entrypoint === undefined ? "" : text(s.entrypoint, "seed.entrypoint"),
    mounts: mounts.map((m, i) => {
      const x = obj(m, `seed.mounts[${i}]`);
      return { source: text(x.source, `seed.mounts[${i}].source`), target: text(x.target, `seed.mounts[${i}].target`), type: text(x.type, `seed.mounts[${i}].type`) };
    }),
    marker: s.marker === undefined ? undefined : text(s.marker, "seed.marker"),
  };
}
