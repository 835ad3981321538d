// The storage module's policy, as zos storaged: every empty data disk becomes one btrfs pool (label = pool
// id), existing pools are mounted again, each pool is SSD or HDD (zos's seek-time rule, measured by the driver;
// the kernel's rotational flag only when the probe failed; or the operator's override),
// the node cache is a subvolume on an SSD pool, volumes and vdisks go on SSD and zdb space on
// HDD, with over-provisioning factor 1: a pool's free space is its size minus everything promised on it.
// The block-device driver does the privileged work; this file only decides.
import { randomUUID } from "node:crypto";

export const CACHE = "zos-cache";
const GiB = 1024 ** 3;
/** zos starts the cache at 5 GiB; small dev disks get a quarter of the pool. */
export const CACHE_BYTES = 5 * GiB;

export type PoolType = "ssd" | "hdd";
/** The driver's seek-time measurement (capabilities/blockdev/seektime.ts): zos's SSD/HDD rule. */
export interface SeekTime {
  type: PoolType;
  elapsedUs: number;
}
export type VolumeKind = "volume" | "zdb";

/** What the module needs from the block-device driver (capabilities/schema/storage.capnp BlockDev). */
export interface BlockDevApi {
  disks(): Promise<{ disk: string; size: number; fstype: string; label: string; rotational: boolean; seek: SeekTime | null }[]>;
  format(disk: string, pool: string): Promise<void>;
  mount(pool: string): Promise<{ pool: string; disk: string; size: number; used: number; free: number; rotational: boolean; seek: SeekTime | null }>;
  usage(pool: string): Promise<{ size: number; used: number }>;
  subvolCreate(pool: string, name: string, limit: number): Promise<void>;
  subvolLimit(pool: string, name: string, limit: number): Promise<void>;
  subvolDelete(pool: string, name: string): Promise<void>;
  subvolList(pool: string): Promise<{ name: string; limit: number; used: number; owner?: string }[]>;
  subvolHandOver(pool: string, name: string, to: string): Promise<void>;
  vdiskCreate(pool: string, name: string, size: number): Promise<void>;
  vdiskResize(pool: string, name: string, size: number): Promise<void>;
  vdiskDelete(pool: string, name: string): Promise<void>;
  vdiskList(pool: string): Promise<{ name: string; size: number }[]>;
}

export interface Pool {
  name: string;
  disk: string;
  type: PoolType;
  size: number;
}

interface Volume {
  pool: string;
  kind: VolumeKind;
  limit: number;
}

export interface Totals {
  sru: number;
  hru: number;
  ssd: boolean;
  cache: { pool: string; size: number } | null;
  problem: string;
  skipped: string[];
}

export function gib(n: number): string {
  return `${(n / GiB).toFixed(n % GiB === 0 ? 0 : 2)} GiB`;
}

export class StoragePools {
  readonly #bd: BlockDevApi;
  readonly #forcedHdd: Set<string> | null;
  readonly pools = new Map<string, Pool>();
  readonly #volumes = new Map<string, Volume>();
  readonly #vdisks = new Map<string, { pool: string; size: number }>();
  #cache: { pool: string; size: number } | null = null;
  #skipped: string[] = [];
  #lock: Promise<unknown> = Promise.resolve();
  readonly #requireSsd: boolean;
  #problem = "";

  /**
   * `hdd`: null = classify by the driver's seek-time measurement (its rotational flag if that failed); a list = the operator's override as zos-debug-vm
   * (these disks HDD, every other SSD), for loop devices and VMs whose flags say nothing.
   * `requireSsd`: Zero-OS's rule, no SSD pool → a problem that keeps the node from registering.
   */
  constructor(bd: BlockDevApi, hdd: string[] | null = null, requireSsd = true) {
    this.#bd = bd;
    this.#forcedHdd = hdd ? new Set(hdd) : null;
    this.#requireSsd = requireSsd;
  }

  /** A bring-up failure to report (and block registration with) until a retry succeeds. */
  setProblem(p: string): void {
    this.#problem = p;
  }

  /** One mutation at a time: choosing a pool and promising space on it must not interleave. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(fn, fn);
    this.#lock = next.catch(() => {});
    return next;
  }

  /** Start-up: format empty disks, mount every pool, learn what is on them, keep the cache on an SSD. */
  bringUp(): Promise<void> {
    return this.#serial(async () => {
      this.#skipped = [];
      for (const d of await this.#bd.disks()) {
        let label = d.label;
        if (!d.fstype) {
          label = randomUUID();
          await this.#bd.format(d.disk, label);
        } else if (d.fstype !== "btrfs" || !d.label) {
          this.#skipped.push(`disk ${d.disk} holds ${d.fstype}${d.label ? "" : " without a label"}: not used (wipe it to give it to the node)`);
          continue;
        }
        const m = await this.#bd.mount(label);
        const hdd = this.#forcedHdd ? this.#forcedHdd.has(d.disk) : m.seek ? m.seek.type === "hdd" : m.rotational;
        const type: PoolType = hdd ? "hdd" : "ssd";
        this.pools.set(label, { name: label, disk: d.disk, type, size: m.size });
        for (const v of await this.#bd.subvolList(label)) {
          if (v.name === CACHE) this.#cache = { pool: label, size: v.limit };
          else this.#volumes.set(v.name, { pool: label, kind: type === "hdd" || v.owner === "zdb" ? "zdb" : "volume", limit: v.limit });
        }
        if (type === "ssd") for (const f of await this.#bd.vdiskList(label)) this.#vdisks.set(f.name, { pool: label, size: f.size });
      }
      if (!this.#cache) {
        const ssd = this.#byFree("ssd")[0];
        if (ssd) {
          const size = Math.min(CACHE_BYTES, Math.floor(ssd.size / 4 / 4096) * 4096);
          await this.#bd.subvolCreate(ssd.name, CACHE, size);
          this.#cache = { pool: ssd.name, size };
        }
      }
    });
  }

  /** Σ of everything promised on a pool: subvolume limits (the cache's too) and vdisk sizes. */
  allocated(pool: string): number {
    let n = this.#cache?.pool === pool ? this.#cache.size : 0;
    for (const v of this.#volumes.values()) if (v.pool === pool) n += v.limit;
    for (const f of this.#vdisks.values()) if (f.pool === pool) n += f.size;
    return n;
  }

  free(pool: string): number {
    const p = this.pools.get(pool);
    return p ? Math.max(0, p.size - this.allocated(pool)) : 0;
  }

  #byFree(type: PoolType): Pool[] {
    return [...this.pools.values()].filter((p) => p.type === type).sort((a, b) => this.free(b.name) - this.free(a.name));
  }

  /** The pool with the most free space of `type` that holds `size`, or an error saying what is free where. */
  #choose(type: PoolType, size: number, what: string): Pool {
    const all = this.#byFree(type);
    const p = all[0];
    if (p && this.free(p.name) >= size) return p;
    const where = all.length
      ? all.map((x) => `pool ${x.name} (${x.disk}) has ${gib(this.free(x.name))} free of ${gib(x.size)}`).join("; ")
      : `this node has no ${type.toUpperCase()} pool`;
    throw new Error(`cannot fulfill required ${what} of ${gib(size)}: not enough free ${type.toUpperCase()} space (${where})`);
  }

  totals(): Totals {
    let sru = 0;
    let hru = 0;
    for (const p of this.pools.values()) {
      if (p.type === "ssd") sru += p.size;
      else hru += p.size;
    }
    const ssd = sru > 0;
    const disks = [...this.pools.values()].map((p) => `${p.disk} ${p.type} ${gib(p.size)}`).join(", ") || "none";
    const problem = this.#problem || (ssd || !this.#requireSsd) ? this.#problem : `no SSD disk: a node needs at least one SSD pool for its cache and workloads (pools: ${disks}${this.#skipped.length ? `; ${this.#skipped.join("; ")}` : ""})`;
    return { sru, hru, ssd, cache: this.#cache, problem, skipped: [...this.#skipped] };
  }

  async poolList(): Promise<{ name: string; type: PoolType; size: number; used: number }[]> {
    const out = [];
    for (const p of this.pools.values()) {
      const u = await this.#bd.usage(p.name);
      out.push({ name: p.name, type: p.type, size: p.size, used: u.used });
    }
    return out;
  }

  // ------------------------------------------------------------------ volumes (subvolume + qgroup)

  volumeInfo(id: string): Promise<{ pool: string; kind: VolumeKind; size: number; used: number } | null> {
    const v = this.#volumes.get(id);
    if (!v) return Promise.resolve(null);
    return this.#bd.subvolList(v.pool).then((l) => {
      const s = l.find((x) => x.name === id);
      return s ? { pool: v.pool, kind: v.kind, size: s.limit, used: s.used } : null;
    });
  }

  volumeCreate(kind: VolumeKind, id: string, size: number): Promise<{ pool: string; size: number }> {
    return this.#serial(async () => {
      const have = this.#volumes.get(id);
      if (have) {
        if (have.kind !== kind) throw new Error(`failed: storage: ${id} exists as a ${have.kind}, not a ${kind}`);
        // idempotent replay: make sure the limit is what was asked
        if (have.limit !== size) await this.#bd.subvolCreate(have.pool, id, size);
        have.limit = size;
        if (kind === "zdb") await this.#bd.subvolHandOver(have.pool, id, "zdb");
        return { pool: have.pool, size };
      }
      // zdb space on HDD; on SSD only when the node has no HDD pool at all (Zero-OS)
      const zdbType: PoolType = [...this.pools.values()].some((x) => x.type === "hdd") ? "hdd" : "ssd";
      const p = this.#choose(kind === "zdb" ? zdbType : "ssd", size, kind === "zdb" ? "zdb space" : "volume size");
      this.#volumes.set(id, { pool: p.name, kind, limit: size });
      try {
        await this.#bd.subvolCreate(p.name, id, size);
        // the 0-db server writes the namespace's files itself: the volume becomes its, mode 0700
        if (kind === "zdb") await this.#bd.subvolHandOver(p.name, id, "zdb");
      } catch (e) {
        // forget it only once it is surely gone; else a later delete still finds and removes it
        if (await this.#bd.subvolDelete(p.name, id).then(() => true, () => false)) this.#volumes.delete(id);
        throw e;
      }
      return { pool: p.name, size };
    });
  }

  volumeResize(id: string, size: number): Promise<{ pool: string; size: number }> {
    return this.#serial(async () => {
      const v = this.#volumes.get(id);
      if (!v) throw new Error(`failed: storage: no volume ${id}`);
      const grow = size - v.limit;
      if (grow > this.free(v.pool)) {
        throw new Error(`cannot grow volume ${id} to ${gib(size)}: pool ${v.pool} has ${gib(this.free(v.pool))} free`);
      }
      await this.#bd.subvolLimit(v.pool, id, size); // refuses below what is used
      v.limit = size;
      return { pool: v.pool, size };
    });
  }

  volumeDelete(id: string): Promise<void> {
    return this.#serial(async () => {
      const v = this.#volumes.get(id);
      if (!v) return;
      await this.#bd.subvolDelete(v.pool, id);
      this.#volumes.delete(id);
    });
  }

  // ------------------------------------------------------------------ vdisks (NOCOW preallocated files)

  diskInfo(id: string): { pool: string; size: number } | null {
    const d = this.#vdisks.get(id);
    return d ? { ...d } : null;
  }

  diskCreate(id: string, size: number): Promise<{ pool: string; size: number }> {
    return this.#serial(async () => {
      const have = this.#vdisks.get(id);
      if (have) {
        if (size > have.size) await this.#bd.vdiskResize(have.pool, id, size);
        else await this.#bd.vdiskCreate(have.pool, id, have.size); // a replay completes a half-made file
        have.size = Math.max(size, have.size);
        return { ...have };
      }
      const p = this.#choose("ssd", size, "disk size");
      this.#vdisks.set(id, { pool: p.name, size });
      try {
        await this.#bd.vdiskCreate(p.name, id, size);
      } catch (e) {
        if (await this.#bd.vdiskDelete(p.name, id).then(() => true, () => false)) this.#vdisks.delete(id);
        throw e;
      }
      return { pool: p.name, size };
    });
  }

  diskResize(id: string, size: number): Promise<{ pool: string; size: number }> {
    return this.#serial(async () => {
      const d = this.#vdisks.get(id);
      if (!d) throw new Error(`failed: storage: no disk ${id}`);
      if (size < d.size) throw new Error(`not safe to shrink a disk (${id} is ${gib(d.size)}, asked ${gib(size)})`);
      if (size - d.size > this.free(d.pool)) {
        throw new Error(`cannot grow disk ${id} to ${gib(size)}: pool ${d.pool} has ${gib(this.free(d.pool))} free`);
      }
      await this.#bd.vdiskResize(d.pool, id, size);
      d.size = size;
      return { ...d };
    });
  }

  diskDelete(id: string): Promise<void> {
    return this.#serial(async () => {
      const d = this.#vdisks.get(id);
      if (!d) return;
      await this.#bd.vdiskDelete(d.pool, id);
      this.#vdisks.delete(id);
    });
  }
}
