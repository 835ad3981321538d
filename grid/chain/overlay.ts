// Key/value storage layers. The chain's state is a flat map of hex storage keys to hex SCALE values
// (exactly what state_getStorage serves); a block and each extrinsic run in an Overlay so a failed
// dispatch can be thrown away without touching what came before it.
export interface KV {
  get(key: string): string | null;
}

export class Overlay implements KV {
  readonly base: KV;
  readonly changes = new Map<string, string | null>();

  constructor(base: KV) {
    this.base = base;
  }

  get(key: string): string | null {
    const v = this.changes.get(key);
    if (v !== undefined) return v;
    return this.base.get(key);
  }

  set(key: string, value: string): void {
    this.changes.set(key, value);
  }

  delete(key: string): void {
    this.changes.set(key, null);
  }

  /** Moves this layer's changes into `into` (an outer overlay). */
  mergeInto(into: Overlay): void {
    for (const [k, v] of this.changes) into.changes.set(k, v);
  }
}

/** The committed state: a plain map, with a lazily sorted key list for prefix scans. */
export class StateMap implements KV {
  readonly map = new Map<string, string>();
  private sorted: string[] | null = null;

  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  apply(changes: Iterable<[string, string | null]>): void {
    for (const [k, v] of changes) {
      if (v === null) {
        if (this.map.delete(k)) this.sorted = null;
      } else {
        if (!this.map.has(k)) this.sorted = null;
        this.map.set(k, v);
      }
    }
  }

  /** Keys starting with `prefix`, sorted, strictly after `startKey` when given, at most `count`. */
  keysWithPrefix(prefix: string, count = Infinity, startKey?: string): string[] {
    if (!this.sorted) this.sorted = [...this.map.keys()].sort();
    const keys = this.sorted;
    // binary search the first key >= max(prefix, startKey)
    const from = startKey && startKey > prefix ? startKey : prefix;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < keys.length && out.length < count; i++) {
      const k = keys[i];
      if (!k.startsWith(prefix)) break;
      if (startKey && k === startKey) continue;
      out.push(k);
    }
    return out;
  }
}
