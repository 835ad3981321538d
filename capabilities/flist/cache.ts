// The flist driver's state: downloaded flists cached by md5, read-only roots materialised once per md5
// and shared (reference-counted per grantee), and per-VM writable roots. Layout under the driver's
// state dir (it owns it; group vm, mode 0710, so QEMU under the hypervisor's uid reaches roots by path
// through the vm group, nothing is listable, and no other uid gets in):
//   flists/<md5>.fl|.flist   downloads (0700)        roots/<md5>/   read-only trees (0750, group-readable)
//   rw/<owner>-<vm>/         writable copies (2770, group-read-write)  tmp/  scratch (0700)
//   state.json               refs and writables (written atomically, 0600)
// Where this process may not chgrp to vm (not root and not in the group: a test outside the kernel), the
// folders stay reachable by others instead (0711/0755), as before the vm group.
// Every operation runs one at a time (a queue): a materialise is long but rare, and serialising keeps
// the reference counts and the directories in step even when calls race.
import { execFile, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statfsSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { writeFileAtomic } from "../lib/fs/atomic.ts";
import { joinVmGroup, shareTreeWithVmGroup } from "../lib/fs/vm-group.ts";
import { type BlockStore, materialise, openFlist, RoutedStore, storeForUrl } from "../lib/flist/mod.ts";
import { symlinkTar } from "../lib/flist/legacy/tar.ts";
import { downloadChecked, remoteMd5 } from "./download.ts";
import type { HubPolicy } from "./policy.ts";

const run = promisify(execFile);
/** the tools get a fixed minimal environment (the sandbox grants no env access) */
const TOOL_ENV = { PATH: "/usr/bin:/bin", LC_ALL: "C" };

export interface FlistCacheOptions {
  dir: string;
  /** block store of legacy `.flist`s, which carry no routes (Zero-OS: zdb://hub.threefold.me:9900) */
  legacyStore?: string;
  /** largest flist file downloaded (default 256 MiB) */
  maxFlistBytes?: number;
  /** largest tree materialised (default 16 GiB) */
  maxTreeBytes?: number;
  /** space kept free on the cache's filesystem (default 256 MiB) */
  reserveBytes?: number;
  /** the `cp` used for writable copies (default /usr/bin/cp) */
  cp?: string;
  /** the `tar` that creates symlinks (default /usr/bin/tar) */
  tar?: string;
  /** the storage pools' mount root: writable roots may fill a quota-limited subvolume "<pool>/<id>" under it */
  volumes?: string;
  log?: (line: string) => void;
}

export interface RootInfo {
  hash: string;
  root: string;
  kind: "container" | "vm";
  kernel?: string;
  initrd?: string;
  image?: string;
  format: "fl" | "flist";
  files: number;
  bytes: number;
}

interface RootRecord {
  url: string;
  format: "fl" | "flist";
  files: number;
  bytes: number;
  /** grantee → references it holds */
  refs: Record<string, number>;
}

interface WritableRecord {
  owner: number;
  vm: string;
  hash: string;
  size: number;
  grantee: string;
  /** "<pool>/<id>" when the copy fills a storage volume (dropped by deleting that subvolume) */
  volume?: string;
}

interface State {
  roots: Record<string, RootRecord>;
  writables: Record<string, WritableRecord>;
}

const VM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HASH = /^[0-9a-f]{32}$/;

export class FlistCache {
  readonly dir: string;
  readonly #o: FlistCacheOptions;
  #state: State;
  #queue: Promise<unknown> = Promise.resolve();
  /** roots and writable copies go to the vm group (false: this process may not chgrp to it) */
  readonly #group: boolean;

  constructor(o: FlistCacheOptions) {
    this.#o = o;
    this.dir = o.dir;
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    // the kernel made it 0700: roots must be reachable (not listable) by path, by the vm group only
    this.#group = joinVmGroup(o.dir);
    const reach = this.#group ? 0o710 : 0o711;
    chmodSync(o.dir, reach);
    for (const [d, mode] of [["flists", 0o700], ["roots", reach], ["rw", reach], ["tmp", 0o700]] as const) {
      mkdirSync(join(o.dir, d), { recursive: true, mode });
      if (mode !== 0o700 && this.#group) joinVmGroup(join(o.dir, d));
      chmodSync(join(o.dir, d), mode);
    }
    const file = join(o.dir, "state.json");
    this.#state = existsSync(file)
      ? JSON.parse(readFileSync(file, "utf8")) as State
      : { roots: {}, writables: {} };
    this.#sweep();
  }

  /** Removes what a crash left: scratch, half-built trees, trees and copies no record mentions. */
  #sweep(): void {
    rmSync(join(this.dir, "tmp"), { recursive: true, force: true });
    mkdirSync(join(this.dir, "tmp"), { mode: 0o700 });
    for (const n of readdirSync(join(this.dir, "roots"))) {
      if (!this.#state.roots[n]) rmSync(join(this.dir, "roots", n), { recursive: true, force: true });
    }
    for (const n of readdirSync(join(this.dir, "rw"))) {
      if (!this.#state.writables[n]) rmSync(join(this.dir, "rw", n), { recursive: true, force: true });
    }
  }

  #save(): void {
    writeFileAtomic(join(this.dir, "state.json"), JSON.stringify(this.#state), { mode: 0o600 });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => {});
    return next;
  }

  rootPath(hash: string): string {
    return join(this.dir, "roots", hash);
  }

  /** The hub's md5 of `url` now (no download, no reference): a change check. */
  async md5(url: string, policy: HubPolicy): Promise<string> {
    policy.checkFlistUrl(url);
    try {
      return await remoteMd5(url);
    } catch (e) {
      throw new Error(`failed: flist: ${(e as Error).message}`);
    }
  }

  /** Downloads, verifies and materialises `url`; takes one reference for `grantee`. */
  prepare(url: string, policy: HubPolicy, grantee: string): Promise<RootInfo> {
    policy.checkFlistUrl(url);
    return this.#serial(async () => {
      const info = await this.#ensureRoot(url, policy);
      const rec = this.#state.roots[info.hash];
      rec.refs[grantee] = (rec.refs[grantee] ?? 0) + 1;
      this.#save();
      return info;
    });
  }

  async #ensureRoot(url: string, policy: HubPolicy): Promise<RootInfo> {
    const md5 = await remoteMd5(url);
    const root = this.rootPath(md5);
    const known = this.#state.roots[md5];
    if (known && existsSync(root)) return this.#describe(md5, known);
    const ext = url.endsWith(".flist") ? "flist" : "fl";
    const file = join(this.dir, "flists", `${md5}.${ext}`);
    if (!existsSync(file)) await downloadChecked(url, md5, file, this.#o.maxFlistBytes ?? 256 * 2 ** 20);
    const flist = (() => {
      try {
        return openFlist(file, join(this.dir, "tmp"), {
          allowSetId: true,
          maxTotalBytes: this.#o.maxTreeBytes ?? 16 * 2 ** 30,
        });
      } catch (e) {
        rmSync(file, { force: true }); // a refused flist is not cached: the hub may fix it
        throw new Error(`failed: flist: ${url}: ${(e as Error).message.replace(file, "the flist")}`);
      }
    })();
    const free = this.#free();
    const reserve = this.#o.reserveBytes ?? 256 * 2 ** 20;
    if (flist.totalBytes + reserve > free) {
      throw new Error(
        `failed: flist: ${url} holds ${flist.totalBytes} bytes; only ${free} are free for flists (keeping ${reserve} spare)`,
      );
    }
    const store = this.#store(flist.format ?? "fl", flist.routes, policy, url);
    try {
      const m = await materialise({
        flist,
        store,
        target: root,
        preserveOwner: false,
        stripSetId: true,
        symlinks: tarSymlinks(this.#o.tar),
      });
      if (this.#group) {
        shareTreeWithVmGroup(root, false);
        chmodSync(root, 0o750);
      } else chmodSync(root, 0o755);
      const rec: RootRecord = { url, format: flist.format ?? "fl", files: m.files, bytes: m.bytes, refs: {} };
      this.#state.roots[md5] = rec;
      this.#save();
      this.#o.log?.(`flist: ${url} → ${md5} (${rec.format}, ${m.files} files, ${m.bytes} bytes)`);
      return this.#describe(md5, rec);
    } catch (e) {
      const msg = (e as Error).message;
      throw new Error(
        msg.startsWith("failed:") || msg.startsWith("denied:") ? msg : `failed: flist: ${url}: ${msg}`,
      );
    } finally {
      (store as { close?: () => void }).close?.();
      for (const r of (store as RoutedStore).routes ?? []) (r.store as { close?: () => void }).close?.();
    }
  }

  #free(): number {
    try {
      const s = statfsSync(this.dir);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return Number.MAX_SAFE_INTEGER;
    }
  }

  #store(
    format: "fl" | "flist",
    routes: { start: number; end: number; url: string }[],
    policy: HubPolicy,
    url: string,
  ): BlockStore {
    if (format === "flist") {
      const legacy = this.#o.legacyStore;
      if (!legacy) {
        throw new Error(
          `failed: flist: ${url} is a legacy .flist and this driver has no legacy block store configured`,
        );
      }
      policy.checkStoreUrl(legacy);
      return storeForUrl(legacy);
    }
    if (routes.length === 0) throw new Error(`failed: flist: ${url} lists no block store (route)`);
    for (const r of routes) policy.checkStoreUrl(r.url);
    return new RoutedStore(routes);
  }

  #describe(hash: string, rec: RootRecord): RootInfo {
    const root = this.rootPath(hash);
    const info: RootInfo = {
      hash,
      root,
      kind: "container",
      format: rec.format,
      files: rec.files,
      bytes: rec.bytes,
    };
    const image = fileInside(root, "image.raw");
    if (image) {
      info.kind = "vm";
      info.image = image;
    }
    const kernel = fileInside(root, "boot/vmlinuz");
    const initrd = fileInside(root, "boot/initrd.img");
    if (kernel) info.kernel = kernel;
    if (initrd) info.initrd = initrd;
    return info;
  }

  /** Gives back one of `grantee`'s references; the tree goes when nobody holds it. */
  release(hash: string, grantee: string): Promise<void> {
    if (!HASH.test(hash)) {
      return Promise.reject(
        new Error(`failed: flist: ${JSON.stringify(hash)} is not an flist hash (32 hex)`),
      );
    }
    return this.#serial(() => {
      const rec = this.#state.roots[hash];
      if (!rec || !rec.refs[grantee]) {
        return Promise.reject(new Error(`failed: flist: ${grantee} holds no reference to ${hash}`));
      }
      if (--rec.refs[grantee] === 0) delete rec.refs[grantee];
      this.#collect(hash);
      this.#save();
      return Promise.resolve();
    });
  }

  #collect(hash: string): void {
    const rec = this.#state.roots[hash];
    if (!rec || Object.keys(rec.refs).length > 0) return;
    if (Object.values(this.#state.writables).some((w) => w.hash === hash)) return;
    delete this.#state.roots[hash];
    this.#save();
    rmSync(this.rootPath(hash), { recursive: true, force: true });
    this.#o.log?.(`flist: root ${hash} removed (no references left)`);
  }

  /** A writable copy of `url`'s root for (owner, vm), limited to `size` bytes. Idempotent. */
  writable(
    owner: number,
    vm: string,
    url: string,
    size: number,
    policy: HubPolicy,
    grantee: string,
    volume = "",
  ): Promise<{ path: string; hash: string; size: number }> {
    if (!Number.isInteger(owner) || owner <= 0) {
      return Promise.reject(new Error(`failed: flist: owner must be a twin id, got ${owner}`));
    }
    if (!VM.test(vm)) {
      return Promise.reject(
        new Error(
          `failed: flist: VM name ${
            JSON.stringify(vm)
          } must be 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit`,
        ),
      );
    }
    policy.checkFlistUrl(url);
    const name = `${owner}-${vm}`;
    try {
      if (volume) this.#volumePath(owner, volume); // a bad volume is refused before anything is fetched
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#serial(async () => {
      const existing = this.#state.writables[name];
      // a VM keeps the root it has (one made before volumes were asked for stays in the driver's folder)
      const inVolume = existing ? existing.volume ?? "" : volume;
      const path = inVolume ? this.#volumePath(owner, inVolume) : join(this.dir, "rw", name);
      const info = await this.#ensureRoot(url, policy);
      try {
        if (inVolume) return await this.#fillVolume(info, name, path, existing, url, size, owner, vm, grantee, inVolume);
        return await this.#copy(info, name, path, existing, url, size, owner, vm, grantee);
      } finally {
        this.#collect(info.hash); // a refused or failed copy must not leave an unreferenced root behind
      }
    });
  }

  async #copy(
    info: RootInfo,
    name: string,
    path: string,
    existing: WritableRecord | undefined,
    url: string,
    size: number,
    owner: number,
    vm: string,
    grantee: string,
  ) {
    if (existing) {
      if (existing.hash !== info.hash) {
        throw new Error(
          `failed: flist: VM ${vm} of twin ${owner} already has a writable root from another flist (${existing.hash}); drop it first`,
        );
      }
      return { path, hash: info.hash, size: existing.size };
    }
    if (info.bytes > size) {
      throw new Error(
        `failed: flist: ${url} needs ${info.bytes} bytes, more than the ${size} bytes asked for the writable root`,
      );
    }
    const stage = join(this.dir, "rw", `.${name}.partial`);
    rmSync(stage, { recursive: true, force: true });
    try {
      // reflink where the filesystem shares extents (btrfs, xfs): O(metadata), no data copied
      await run(this.#o.cp ?? "/usr/bin/cp", [
        "-a",
        "--reflink=auto",
        "--no-target-directory",
        info.root,
        stage,
      ], { env: TOOL_ENV });
      if (this.#group) {
        shareTreeWithVmGroup(stage, true);
        chmodSync(stage, 0o2770);
      } else chmodSync(stage, 0o755);
      renameSync(stage, path);
    } catch (e) {
      rmSync(stage, { recursive: true, force: true });
      throw new Error(`failed: flist: copying the root for VM ${vm}: ${(e as Error).message}`);
    }
    this.#state.writables[name] = { owner, vm, hash: info.hash, size, grantee };
    this.#save();
    return { path, hash: info.hash, size };
  }

  /** `<volumes>/<pool>/<id>` for "<pool>/<id>": a folder of this owner's (id "<owner>-…"), no symlinks on the way. */
  #volumePath(owner: number, volume: string): string {
    const m = /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})\/([A-Za-z0-9_][A-Za-z0-9_.:-]{0,127})$/.exec(volume);
    if (!this.#o.volumes) throw new Error("failed: flist: this driver was started without a volumes root; writable roots in volumes are not available");
    if (!m || volume.includes("..")) throw new Error(`failed: flist: volume ${JSON.stringify(volume)} must be "<pool>/<id>"`);
    if (!m[2].startsWith(`${owner}-`)) throw new Error(`denied: flist: volume ${volume} is not twin ${owner}'s (ids start with "${owner}-")`);
    const path = join(this.#o.volumes, m[1], m[2]);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      throw new Error(`failed: flist: no volume ${volume} under the pools (the storage module creates it first)`);
    }
    if (!st.isDirectory() || lstatSync(join(this.#o.volumes, m[1])).isSymbolicLink()) throw new Error(`denied: flist: volume ${volume} is not a folder`);
    return path;
  }

  /** Copies the root's entries into a storage volume (its top folder is the storage side's: not touched). */
  async #fillVolume(
    info: RootInfo,
    name: string,
    path: string,
    existing: WritableRecord | undefined,
    url: string,
    size: number,
    owner: number,
    vm: string,
    grantee: string,
    volume: string,
  ) {
    if (existing) {
      if (existing.hash !== info.hash) {
        throw new Error(`failed: flist: VM ${vm} of twin ${owner} already has a writable root from another flist (${existing.hash}); drop it first`);
      }
      return { path, hash: info.hash, size: existing.size };
    }
    if (info.bytes > size) {
      throw new Error(`failed: flist: ${url} needs ${info.bytes} bytes, more than the ${size} bytes asked for the writable root`);
    }
    const entries = readdirSync(info.root);
    try {
      // into the folder, entry by entry: `cp -aT` would copy the root's mode onto a folder this driver does not own
      if (entries.length) {
        await run(this.#o.cp ?? "/usr/bin/cp", ["-a", "--reflink=auto", "-t", path, "--", ...entries.map((e) => join(info.root, e))], { env: TOOL_ENV });
      }
      if (this.#group) for (const e of entries) shareTreeWithVmGroup(join(path, e), true);
    } catch (e) {
      throw new Error(`failed: flist: copying the root for VM ${vm} into volume ${volume}: ${(e as Error).message}`);
    }
    this.#state.writables[name] = { owner, vm, hash: info.hash, size, grantee, volume };
    this.#save();
    return { path, hash: info.hash, size };
  }

  dropWritable(owner: number, vm: string): Promise<boolean> {
    const name = `${owner}-${vm}`;
    if (!VM.test(vm)) {
      return Promise.reject(new Error(`failed: flist: VM name ${JSON.stringify(vm)} is not valid`));
    }
    return this.#serial(() => {
      const rec = this.#state.writables[name];
      if (!rec) return Promise.resolve(false);
      // a volume goes with its subvolume (the storage module's delete), guest files included
      if (!rec.volume) rmSync(join(this.dir, "rw", name), { recursive: true, force: true });
      delete this.#state.writables[name];
      this.#save();
      this.#collect(rec.hash);
      return Promise.resolve(true);
    });
  }

  list(owners?: number[]): { hash: string; url: string; root: string; refs: number; writables: string[] }[] {
    return Object.entries(this.#state.roots).map(([hash, r]) => ({
      hash,
      url: r.url,
      root: this.rootPath(hash),
      refs: Object.values(r.refs).reduce((a, b) => a + b, 0),
      writables: Object.values(this.#state.writables)
        .filter((w) => w.hash === hash && (!owners || owners.includes(w.owner)))
        .map((w) => `${w.owner}/${w.vm}`),
    }));
  }
}

/** `rel` inside `root` as a regular file, resolving every symlink on the way as the guest would (absolute
 * targets from the flist root, `..` never above it), so the path returned is always inside the root. */
export function fileInside(root: string, rel: string): string | undefined {
  const todo = rel.split("/").filter(Boolean);
  const done: string[] = [];
  for (let hops = 0; todo.length > 0;) {
    const part = todo.shift()!;
    if (part === ".") continue;
    if (part === "..") {
      done.pop();
      continue;
    }
    const abs = join(root, ...done, part);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      if (++hops > 16) return undefined;
      const t = readlinkSync(abs);
      if (t.startsWith("/")) done.length = 0;
      todo.unshift(...t.split("/").filter(Boolean));
      continue;
    }
    done.push(part);
    if (todo.length > 0 && !st.isDirectory()) return undefined;
    if (todo.length === 0) return st.isFile() ? abs : undefined;
  }
  return undefined;
}

/** Symlinks by `tar -x` of a generated archive (Deno's symlink() needs unscoped permissions). GNU tar
 * creates each link as a new entry and never follows one while extracting. */
export function tarSymlinks(tar = "/usr/bin/tar") {
  return (dir: string, links: { path: string; target: string; mtime: number }[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(tar, ["-x", "-f", "-", "-C", dir, "--no-same-owner", "--keep-old-files"], {
        stdio: ["pipe", "ignore", "pipe"],
        env: TOOL_ENV,
      });
      let err = "";
      child.stderr!.on("data", (d) => (err += d));
      child.on("error", reject);
      child.on(
        "exit",
        (code) => (code === 0 ? resolve() : reject(
          new Error(`tar -x of ${links.length} symlinks failed (${code}): ${err.trim().slice(0, 300)}`),
        )),
      );
      child.stdin!.end(symlinkTar(links));
    });
}
