// Block stores named by an `.fl`'s routes (rfs src/store): `dir:///path` (file path/<hex[0:2]>/<hex>,
// legacy path/<hex>) and `http(s)://host/base` (http-store.ts: GET base/<hex[0:2]>/<hex>, then base/<hex>).
// A route covers the block ids whose first byte lies in [start, end]; overlapping routes are replicas.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hex } from "./block.ts";
import { ZdbStore } from "./zdb-store.ts";
import { HttpStore, type HttpStoreOptions } from "./http-store.ts";

export { HttpStore };

export interface BlockStore {
  /** the stored (encrypted) bytes of block `id`; throws when the store does not have it */
  get(id: Uint8Array): Promise<Uint8Array>;
}

export interface WritableBlockStore extends BlockStore {
  put(id: Uint8Array, data: Uint8Array): Promise<void>;
}

export interface Route {
  start: number;
  end: number;
  url: string;
}

/** A `dir://` store on this machine. */
export class DirStore implements WritableBlockStore {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }
  get(id: Uint8Array): Promise<Uint8Array> {
    const h = hex(id);
    try {
      return Promise.resolve(readFileSync(join(this.root, h.slice(0, 2), h)));
    } catch {
      try {
        return Promise.resolve(readFileSync(join(this.root, h)));
      } catch {
        return Promise.reject(new Error(`block ${h} is not in store ${this.root}`));
      }
    }
  }
  put(id: Uint8Array, data: Uint8Array): Promise<void> {
    const h = hex(id);
    const dir = join(this.root, h.slice(0, 2));
    mkdirSync(dir, { recursive: true });
    // write-then-rename: a reader never sees half a block
    const tmp = join(dir, `.${h}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(dir, h));
    return Promise.resolve();
  }
}

/** The store a route names; `http` tunes http(s) stores (deadlines, retries). */
export function storeForUrl(url: string, http?: HttpStoreOptions): BlockStore {
  const u = new URL(url);
  if (u.protocol === "dir:") return new DirStore(fileURLToPath(`file://${u.pathname}`));
  if (u.protocol === "http:" || u.protocol === "https:") return new HttpStore(url, http);
  if (u.protocol === "zdb:") return new ZdbStore(url);
  throw new Error(`block store ${u.protocol}// is not supported here (dir://, zdb:// and http(s):// are)`);
}

/** Picks the stores of an `.fl`'s routes: the first store that has the block wins. */
export class RoutedStore implements BlockStore {
  readonly routes: { start: number; end: number; store: BlockStore; url: string }[];
  constructor(routes: Route[], open: (url: string) => BlockStore = storeForUrl) {
    this.routes = routes.map((r) => ({ ...r, store: open(r.url) }));
  }
  async get(id: Uint8Array): Promise<Uint8Array> {
    const candidates = this.routes.filter((r) => id[0] >= r.start && id[0] <= r.end);
    if (candidates.length === 0) throw new Error(`block ${hex(id)}: no route covers it`);
    const errors: string[] = [];
    for (const r of candidates) {
      try {
        return await r.store.get(id);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    throw new Error(errors.join("; "));
  }
}
