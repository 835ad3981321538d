// All namespaces of one 0-db instance under one data folder (one sub-folder each). `default` always
// exists. Names are checked before they become folder names, so no request can reach outside the folder.
import { Buffer } from "node:buffer";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DATA_FILE_SIZE, DESCRIPTOR, Namespace, type Settings } from "./namespace.ts";

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
}

export class Store {
  readonly root: string;
  private namespaces = new Map<string, Namespace>();
  private dirty = new Set<Namespace>();
  private markDirty = (ns: Namespace) => {
    this.dirty.add(ns);
  };
  private dataFileSize: number;

  constructor(root: string, o: StoreOptions = {}) {
    this.root = root;
    this.dataFileSize = o.dataFileSize ?? DEFAULT_DATA_FILE_SIZE;
    mkdirSync(root, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(root).sort()) {
      if (invalidName(name) || !existsSync(join(root, name, DESCRIPTOR))) continue;
      const ns = Namespace.open(root, name, this.dataFileSize);
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

  create(name: string, settings: Partial<Settings> = {}): Namespace {
    const bad = invalidName(name);
    if (bad) throw new Error(bad);
    if (this.namespaces.has(name)) throw new Error(`namespace "${name}" exists`);
    const ns = Namespace.create(this.root, name, { ...defaultSettings(), ...settings }, this.dataFileSize);
    ns.onDirty = this.markDirty;
    this.namespaces.set(name, ns);
    return ns;
  }

  remove(name: string): boolean {
    const ns = this.namespaces.get(name);
    if (!ns) return false;
    this.namespaces.delete(name);
    ns.destroy();
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
