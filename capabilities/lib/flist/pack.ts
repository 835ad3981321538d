// The `.fl` writer: walks a directory tree (never following symlinks), splits regular files into
// 512 KiB blocks, stores each encoded block once (dedup by id) and records the tree, blocks, tags and
// routes in a new SQLite file, as `rfs pack` does. Device nodes, fifos and sockets are skipped, as
// rfs does, and reported in the result.
import { closeSync, existsSync, rmSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { BLOCK_SIZE, encodeBlock } from "./block.ts";
import { FL_SCHEMA, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "./schema.ts";
import type { Route, WritableBlockStore } from "./store.ts";

export interface PackOptions {
  /** the directory to pack */
  source: string;
  /** the `.fl` file to create (must not exist) */
  output: string;
  store: WritableBlockStore;
  /** written into the `.fl` so readers find the blocks (default: none) */
  routes?: Route[];
  tags?: Record<string, string>;
}

export interface PackResult {
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  blocks: number;
  /** blocks actually sent to the store (the rest were duplicates) */
  uniqueBlocks: number;
  skipped: string[];
}

export async function packFlist(o: PackOptions): Promise<PackResult> {
  if (!lstatSync(o.source, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`${o.source} is not a directory`);
  }
  if (existsSync(o.output)) throw new Error(`${o.output} already exists; choose a new name`);
  const db = new DatabaseSync(o.output);
  const result: PackResult = { files: 0, directories: 0, symlinks: 0, bytes: 0, blocks: 0, uniqueBlocks: 0, skipped: [] };
  const seen = new Set<string>();
  try {
    db.exec(FL_SCHEMA);
    db.exec("BEGIN");
    const insInode = db.prepare(
      "INSERT INTO inode (parent, name, size, uid, gid, mode, rdev, ctime, mtime) VALUES (?,?,?,?,?,?,?,?,?)",
    );
    const insExtra = db.prepare("INSERT INTO extra (ino, data) VALUES (?, ?)");
    const insBlock = db.prepare("INSERT INTO block (ino, id, key) VALUES (?, ?, ?)");
    const add = (parent: number, name: string, st: ReturnType<typeof lstatSync> & object, size: number): number => {
      const r = insInode.run(
        parent, name, size, st.uid, st.gid, st.mode, Number(st.rdev),
        Math.floor(Number(st.ctimeMs) / 1000), Math.floor(Number(st.mtimeMs) / 1000),
      );
      return Number(r.lastInsertRowid);
    };
    const buf = new Uint8Array(BLOCK_SIZE);
    const walk = async (dir: string, ino: number, rel: string) => {
      const names = readdirSync(dir).sort();
      for (const name of names) {
        const path = join(dir, name);
        const st = lstatSync(path);
        const type = st.mode & S_IFMT;
        if (type === S_IFDIR) {
          const child = add(ino, name, st, 0);
          result.directories++;
          await walk(path, child, `${rel}/${name}`);
        } else if (type === S_IFLNK) {
          const child = add(ino, name, st, 0);
          insExtra.run(child, readlinkSync(path));
          result.symlinks++;
        } else if (type === S_IFREG) {
          const child = add(ino, name, st, st.size);
          const fd = openSync(path, "r");
          try {
            for (;;) {
              let n = 0;
              while (n < BLOCK_SIZE) {
                const r = readSync(fd, buf, n, BLOCK_SIZE - n, null);
                if (r === 0) break;
                n += r;
              }
              if (n === 0) break;
              const b = encodeBlock(buf.subarray(0, n));
              insBlock.run(child, b.id, b.key);
              result.blocks++;
              result.bytes += n;
              const h = Buffer.from(b.id).toString("hex");
              if (!seen.has(h)) {
                seen.add(h);
                await o.store.put(b.id, b.data);
                result.uniqueBlocks++;
              }
              if (n < BLOCK_SIZE) break;
            }
          } finally {
            closeSync(fd);
          }
          result.files++;
        } else {
          result.skipped.push(`${rel}/${name}`);
        }
      }
    };
    const rootStat = lstatSync(o.source);
    add(0, "/", rootStat, 0);
    await walk(o.source, 1, "");
    const insTag = db.prepare("INSERT INTO tag (key, value) VALUES (?, ?)");
    for (const [k, v] of Object.entries({ version: "1", ...(o.tags ?? {}) })) insTag.run(k, v);
    const insRoute = db.prepare("INSERT INTO route (start, end, url) VALUES (?, ?, ?)");
    for (const r of o.routes ?? []) insRoute.run(r.start, r.end, r.url);
    db.exec("COMMIT");
  } catch (e) {
    db.close();
    rmSync(o.output, { force: true }); // never leave half an .fl behind
    throw e;
  }
  db.close();
  return result;
}
