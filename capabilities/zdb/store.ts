// All namespaces of one 0-db instance under one data folder (one sub-folder each). `default` always
// exists. Names are checked before they become folder names, so no request can reach outside the folder.
import { Buffer } from "node:buffer";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DATA_FILE_SIZE, DESCRIPTOR, Namespace, type Settings } from "./namespace.ts";
import { writeFileAtomic } from "../lib/fs/atomic.ts";

/** In a namespace's own folder: the storage pool whose volume holds its files instead (zdb on HDD pools). */
export const VOLUME_MARK = "zdb-volume";
const POOL = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,127}$/;

export const DEFAULT_NAMESPACE = "default";
export const MAX_NAMESPACE_NAME = 128;

export function defaultSettings(): Settings {
  return { password: null, maxsize: 0n, public: true, worm: false, mode: "user", locked: false, frozen: false };
}

/** Why `name` cannot be a namespace, or null when it can. */
export function invalidName(name: string): string | null {
  if (name.length === 0) return "a namespace name must not be empty";
  if (Buffer.byteLength(name) > MAX_NAMESPACE_NAME) return `a namespace name is at most ${MAX_NAMESPACE_NAME} bytes`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/.test(name)) return "a namespace name uses letters, digits and _ . : @ - and does not start with . or -";
  return null;
}

export interface StoreOptions {
  dataFileSize?: number;
  log?: (line: string) => void;
  /** where the node's storage pools are mounted: a namespace may live in volume `<pool>/<namespace>` there */
  volumes?: string;
}

export class Store {
  readonly root: string;
  private namespaces = new Map<string, Namespace>();
  private dirty = new Set<Namespace>();
  private markDirty = (ns: Namespace) => {
    this.dirty.add(ns);
  };
  private dataFileSize: number;
  private volumes: string | undefined;

  constructor(root: string, o: StoreOptions = {}) {
    this.root = root;
    this.dataFileSize = o.dataFileSize ?? DEFAULT_DATA_FILE_SIZE;
    this.volumes = o.volumes;
    mkdirSync(root, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(root).sort()) {
      if (invalidName(name)) continue;
      const pool = this.poolOf(name);
      const dir = pool ? this.volumeDir(pool, name) : join(root, name);
      if (!existsSync(join(dir, DESCRIPTOR))) {
        if (pool) o.log?.(`zdb: namespace "${name}": its volume in pool ${pool} is gone; forgotten`);
        if (pool) rmSync(join(root, name), { recursive: true, force: true });
        continue;
      }
      const ns = Namespace.open(dir, name, this.dataFileSize, !!pool);
      ns.pool = pool ?? "";
      if (ns.truncated > 0) o.log?.(`zdb: namespace "${name}": cut ${ns.truncated} bytes of a record a crash left unfinished`);
      ns.onDirty = this.markDirty;
      this.namespaces.set(name, ns);
    }
    if (!this.namespaces.has(DEFAULT_NAMESPACE)) this.create(DEFAULT_NAMESPACE);
  }

  get(name: string): Namespace | undefined {
    return this.namespaces.get(name);
  }

  names(): string[] {
    return [...this.namespaces.keys()];
  }

  private poolOf(name: string): string | null {
    try {
      const pool = readFileSync(join(this.root, name, VOLUME_MARK), "utf8").trim();
      return POOL.test(pool) && !pool.includes("..") ? pool : null;
    } catch {
      return null;
    }
  }

  private volumeDir(pool: string, name: string): string {
    if (!this.volumes) throw new Error("this server has no storage volumes (no pools mount root given)");
    if (!POOL.test(pool) || pool.includes("..")) throw new Error(`"${pool}" is not a pool id`);
    return join(this.volumes, pool, name);
  }

  /**
   * A new namespace; with `pool`, its files go in the storage volume named like it in that pool (made and
   * handed to this server by the storage module before), and a mark in its own folder remembers where.
   */
  create(name: string, settings: Partial<Settings> = {}, pool = ""): Namespace {
    const bad = invalidName(name);
    if (bad) throw new Error(bad);
    if (this.namespaces.has(name)) throw new Error(`namespace "${name}" exists`);
    let dir = join(this.root, name);
    if (pool) {
      dir = this.volumeDir(pool, name);
      let isDir = false;
      try {
        isDir = lstatSync(dir).isDirectory();
      } catch { /* absent */ }
      if (!isDir) throw new Error(`no volume "${name}" in pool ${pool} (the storage module makes it first)`);
      mkdirSync(join(this.root, name), { recursive: true, mode: 0o700 });
      writeFileAtomic(join(this.root, name, VOLUME_MARK), pool + "\n", { mode: 0o600 });
    }
    const ns = Namespace.create(dir, name, { ...defaultSettings(), ...settings }, this.dataFileSize, !!pool);
    ns.pool = pool;
    ns.onDirty = this.markDirty;
    this.namespaces.set(name, ns);
    return ns;
  }

  remove(name: string): boolean {
    const ns = this.namespaces.get(name);
    if (!ns) return false;
    this.namespaces.delete(name);
    ns.destroy();
    if (ns.inVolume) rmSync(join(this.root, name), { recursive: true, force: true });
    return true;
  }

  /** True when some namespace has records not written yet. */
  hasPending(): boolean {
    return this.dirty.size > 0;
  }

  /** Writes every namespace's pending records: run before acknowledging writes. */
  flush(): void {
    if (this.dirty.size === 0) return;
    for (const ns of this.dirty) if (!ns.removed) ns.flush();
    this.dirty.clear();
  }

  close(): void {
    for (const ns of this.namespaces.values()) ns.close();
  }
}
