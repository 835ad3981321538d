// The legacy 0-fs `.flist` reader: a tar (usually gzipped) holding `flistdb.sqlite3`, whose `entries`
// table maps keys to Cap'n Proto messages — one `Dir` per directory (key = hex BLAKE2b-128 of its path,
// relative, no leading slash; the root is the hash of "") and one `ACI` per distinct owner/mode (key =
// hex BLAKE2b-64 of "user:U\ngroup:G\nmode:0oM\nuid:N\ngid:N"). Untrusted input: the same rules as the
// rfs reader (reader.ts) are enforced before anything is written — single-component names, one tree from
// the root with no cycles, only directories, files and symlinks, no symlink climbing out, set-id bits
// only when allowed, sizes that match the block lists and stay under the limits.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import * as $ from "capnp-es";
import { ACI, Dir, Inode_Attributes_Which } from "../../../schema/gen/flist0.ts";
import { hex } from "../block.ts";
import { checkName, type FlBlock, type FlEntry, type Flist, FlistError, type ReadLimits, symlinkStaysInside } from "../reader.ts";
import { blake2b128, decodeLegacyBlock } from "./block.ts";
import { maybeGunzip, tarMember } from "./tar.ts";

export const LEGACY_DB_NAME = "flistdb.sqlite3";

/** Whether the bytes look like a legacy `.flist` (gzip or tar) rather than an rfs `.fl` (SQLite). */
export function isLegacyFlist(head: Uint8Array): boolean {
  const sqlite = new TextDecoder().decode(head.subarray(0, 15)) === "SQLite format 3";
  return !sqlite && ((head[0] === 0x1f && head[1] === 0x8b) || new TextDecoder().decode(head.subarray(257, 262)) === "ustar");
}

export function dirKey(path: string): string {
  return hex(blake2b128(new TextEncoder().encode(path)));
}

/** Reads a legacy `.flist`; `scratch` is a directory where the SQLite database is unpacked (removed after). */
export function readLegacyFlist(file: string, scratch: string, limits: ReadLimits & { maxMetaBytes?: number } = {}): Flist {
  const maxFile = limits.maxFileBytes ?? 64 * 2 ** 30;
  const maxTotal = limits.maxTotalBytes ?? 256 * 2 ** 30;
  const maxEntries = limits.maxEntries ?? 1_000_000;
  const maxMeta = limits.maxMetaBytes ?? 1024 * 2 ** 20;
  let db: Uint8Array | null;
  try {
    db = tarMember(maybeGunzip(readFileSync(file), maxMeta), LEGACY_DB_NAME);
  } catch (e) {
    throw new FlistError(`${file}: not a legacy .flist (${(e as Error).message})`);
  }
  if (!db) throw new FlistError(`${file}: not a legacy .flist (no ${LEGACY_DB_NAME} in the archive)`);
  const dir = mkdtempSync(join(scratch, ".legacy-"));
  try {
    const path = join(dir, LEGACY_DB_NAME);
    writeFileSync(path, db, { mode: 0o600 });
    const sqlite = new DatabaseSync(path, { readOnly: true });
    try {
      return readEntries(file, sqlite, { maxFile, maxTotal, maxEntries, allowSetId: limits.allowSetId === true });
    } finally {
      sqlite.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readEntries(file: string, db: DatabaseSync, lim: { maxFile: number; maxTotal: number; maxEntries: number; allowSetId: boolean }): Flist {
  let rows: { key: unknown; value: unknown }[];
  try {
    rows = db.prepare("SELECT key, value FROM entries").all() as { key: unknown; value: unknown }[];
  } catch (e) {
    throw new FlistError(`${file}: not a legacy .flist database (${(e as Error).message})`);
  }
  const values = new Map<string, Uint8Array>();
  for (const r of rows) {
    if (typeof r.key !== "string" || !(r.value instanceof Uint8Array)) throw new FlistError(`${file}: an entries row is not (text key, blob value)`);
    values.set(r.key, r.value);
  }
  const message = (key: string, what: string) => {
    const v = values.get(key);
    if (!v) throw new FlistError(`${file}: ${what} refers to key ${JSON.stringify(key)}, which is not in the database`);
    try {
      return new $.Message(v, false, false);
    } catch (e) {
      throw new FlistError(`${file}: ${what}: not a Cap'n Proto message (${(e as Error).message})`);
    }
  };
  const acls = new Map<string, { perm: number; uid: number; gid: number }>();
  const acl = (key: string, where: string) => {
    let a = acls.get(key);
    if (!a) {
      const m = message(key, `${where}'s ACL`).getRoot(ACI);
      a = { perm: m.mode & 0o7777, uid: Math.max(0, Number(m.uid)), gid: Math.max(0, Number(m.gid)) };
      if ((a.perm & 0o6000) && !lim.allowSetId) throw new FlistError(`${where}: setuid/setgid bits (mode 0o${a.perm.toString(8)}) are refused`);
      acls.set(key, a);
    }
    return a;
  };
  const entries: FlEntry[] = [];
  let total = 0;
  let ino = 0;
  const seen = new Set<string>();
  const queue: { key: string; path: string }[] = [{ key: dirKey(""), path: "" }];
  for (let qi = 0; qi < queue.length; qi++) {
    const { key, path } = queue[qi];
    const where = `${file}: /${path}`;
    if (seen.has(key)) throw new FlistError(`${where}: directory record ${key} is reached twice (cycle)`);
    seen.add(key);
    try {
      const d = message(key, path === "" ? "the root directory" : where).getRoot(Dir);
      if (d.location.replace(/^\/+/, "") !== path) throw new FlistError(`${where}: its record says location ${JSON.stringify(d.location)}`);
      const a = acl(d.aclkey, where);
      entries.push({ ino: ++ino, path, kind: "dir", perm: a.perm, uid: a.uid, gid: a.gid, mtime: d.modificationTime, size: 0, blocks: [] });
      const names = new Set<string>();
      for (const inode of d.contents) {
        const name = checkName(inode.name, `${file}: under /${path}`);
        if (names.has(name)) throw new FlistError(`${file}: /${path} lists ${JSON.stringify(name)} twice`);
        names.add(name);
        const child = path === "" ? name : `${path}/${name}`;
        const cw = `${file}: /${child}`;
        const at = inode.attributes;
        const which = at.which();
        if (which === Inode_Attributes_Which.DIR) {
          queue.push({ key: at.dir.key, path: child });
          continue;
        }
        if (entries.length + queue.length - qi > lim.maxEntries) throw new FlistError(`${file}: more than the ${lim.maxEntries} entries allowed`);
        const ca = acl(inode.aclkey, cw);
        const base = { ino: ++ino, path: child, perm: ca.perm, uid: ca.uid, gid: ca.gid, mtime: inode.modificationTime, size: 0, blocks: [] as FlBlock[] };
        if (which === Inode_Attributes_Which.LINK) {
          const target = at.link.target;
          if (!target || target.includes("\0")) throw new FlistError(`${cw}: symlink without a target`);
          if (!symlinkStaysInside(path, target)) throw new FlistError(`${cw}: symlink target ${JSON.stringify(target)} escapes the root`);
          entries.push({ ...base, kind: "symlink", target });
        } else if (which === Inode_Attributes_Which.FILE) {
          const f = at.file;
          const size = Number(inode.size);
          if (!Number.isSafeInteger(size) || size < 0) throw new FlistError(`${cw}: bad size ${inode.size}`);
          if (size > lim.maxFile) throw new FlistError(`${cw}: ${size} bytes is larger than the ${lim.maxFile} allowed`);
          if (f.blockSize < 1 || f.blockSize > 128) throw new FlistError(`${cw}: block size ${f.blockSize} × 4 KiB is outside 4 KiB–512 KiB`);
          const bs = f.blockSize * 4096;
          if (f.blocks.length !== Math.ceil(size / bs)) {
            throw new FlistError(`${cw}: size ${size} needs ${Math.ceil(size / bs)} blocks of ${bs} bytes, the flist lists ${f.blocks.length} (sparse or truncated)`);
          }
          if (size > 0 && bs !== 128 * 4096 && f.blocks.length > 1) throw new FlistError(`${cw}: only 512 KiB blocks are read for multi-block files`);
          const blocks: FlBlock[] = [];
          for (const b of f.blocks) {
            const id = b.hash.toUint8Array().slice();
            const k = b.key.toUint8Array().slice();
            if (id.length !== 16 || k.length !== 16) throw new FlistError(`${cw}: a block whose hash or key is not 16 bytes`);
            blocks.push({ id, key: k });
          }
          total += size;
          if (total > lim.maxTotal) throw new FlistError(`${file}: files add up to more than the ${lim.maxTotal} bytes allowed`);
          entries.push({ ...base, kind: "file", size, blocks });
        } else {
          throw new FlistError(`${cw}: special entries (device nodes, fifos, sockets) are refused`);
        }
      }
    } catch (e) {
      if (e instanceof FlistError) throw e;
      throw new FlistError(`${where}: damaged record (${(e as Error).message})`);
    }
  }
  entries.sort((a, b) => depth(a.path) - depth(b.path)); // parents before children
  return {
    format: "flist",
    blockSize: 128 * 4096,
    decode: (b, data) => decodeLegacyBlock(b.id, b.key, data, 128 * 4096),
    tags: {},
    routes: [],
    entries,
    totalBytes: total,
  };
}

function depth(p: string): number {
  return p === "" ? 0 : p.split("/").length;
}
