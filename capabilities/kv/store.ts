// Durable key-value storage: one directory per namespace, one file per key. Every write goes to a temp
// file, is fsynced, renamed over the old value and the directory fsynced, so after kill -9 (or power loss)
// a key holds either its old or its new value, never a torn one. Leftover temp files are swept on open.
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { fsyncDir, writeFileAtomic } from "../lib/fs/atomic.ts";

export const NAMESPACE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_KEY_BYTES = 200;
export const MAX_VALUE_BYTES = 4 * 1024 * 1024;

export class KvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KvError";
  }
}

/** Key → file name: [A-Za-z0-9._-] kept, every other byte %XX, prefixed so "." and ".." cannot occur. */
export function keyToFile(key: string): string {
  const bytes = new TextEncoder().encode(key);
  if (bytes.length === 0) throw new KvError("keys must not be empty");
  if (bytes.length > MAX_KEY_BYTES) throw new KvError(`key of ${bytes.length} bytes exceeds ${MAX_KEY_BYTES}`);
  let out = "k_";
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._-]/.test(c) ? c : "%" + b.toString(16).padStart(2, "0");
  }
  return out;
}

export function fileToKey(file: string): string | null {
  if (!file.startsWith("k_")) return null;
  const hex = file.slice(2);
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i++) {
    if (hex[i] === "%") {
      bytes.push(parseInt(hex.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(hex.charCodeAt(i));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}


export class KvNamespace {
  readonly dir: string;
  constructor(root: string, namespace: string) {
    if (!NAMESPACE.test(namespace)) {
      throw new KvError(`namespace "${namespace}" is invalid: 1-64 of a-z, 0-9, _ and -, starting with a letter or digit`);
    }
    this.dir = join(root, namespace);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // temp files of writes a crash interrupted (see writeFileAtomic: ".<name>.<pid>.<n>.tmp")
    for (const f of readdirSync(this.dir)) if (f.startsWith(".") && f.endsWith(".tmp")) unlinkSync(join(this.dir, f));
  }

  get(key: string): Uint8Array | null {
    try {
      return new Uint8Array(readFileSync(join(this.dir, keyToFile(key))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  put(key: string, value: Uint8Array): void {
    if (value.length > MAX_VALUE_BYTES) throw new KvError(`value of ${value.length} bytes exceeds ${MAX_VALUE_BYTES}`);
    const file = join(this.dir, keyToFile(key));
    writeFileAtomic(file, value, { mode: 0o600 });
  }

  delete(key: string): boolean {
    try {
      unlinkSync(join(this.dir, keyToFile(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
    fsyncDir(this.dir);
    return true;
  }

  list(prefix = ""): string[] {
    const keys: string[] = [];
    for (const f of readdirSync(this.dir)) {
      const k = fileToKey(f);
      if (k !== null && k.startsWith(prefix)) keys.push(k);
    }
    return keys.sort();
  }
}
