// A small legacy `.flist` writer with the reference layout (0-flist `flister create`): walks a
// directory (never following symlinks), stores each 512 KiB chunk XXTEA-encrypted under its BLAKE2b-128
// hash, and writes `flistdb.sqlite3` (`entries(key, value)`: one Cap'n Proto `Dir` per directory, one
// `ACI` per owner/mode) into a gzipped tar. The tests and the dev hub's legacy guest use it; its output
// is checked with Debian's `capnp decode`, `sqlite3` and `tar` (capabilities/lib/flist/legacy.test.ts).
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { blake2AsU8a } from "@polkadot/util-crypto";
import * as $ from "capnp-es";
import { ACI, Dir, Inode } from "../../../schema/gen/flist0.ts";
import { hex } from "../block.ts";
import type { WritableBlockStore } from "../store.ts";
import { encodeLegacyBlock } from "./block.ts";
import { dirKey, LEGACY_DB_NAME } from "./reader.ts";
import { tarGz } from "./tar.ts";

const CHUNK = 512 * 1024;

export interface LegacyPackResult {
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  blocks: number;
  skipped: string[];
}

function frame(m: $.Message): Uint8Array {
  return new Uint8Array(m.toArrayBuffer());
}

/** ACL row key as 0-flist computes it: hex BLAKE2b-64 of the ACL text. */
export function aclKey(uname: string, gname: string, mode: number, uid: number, gid: number): string {
  const text = `user:${uname}\ngroup:${gname}\nmode:0o${mode.toString(8)}\nuid:${uid}\ngid:${gid}`;
  return hex(blake2AsU8a(new TextEncoder().encode(text), 64));
}

export async function packLegacyFlist(o: { source: string; output: string; store: WritableBlockStore; scratch: string }): Promise<LegacyPackResult> {
  if (!lstatSync(o.source, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${o.source} is not a directory`);
  if (existsSync(o.output)) throw new Error(`${o.output} already exists; choose a new name`);
  const tmp = mkdtempSync(join(o.scratch, ".legacy-pack-"));
  const result: LegacyPackResult = { files: 0, directories: 0, symlinks: 0, bytes: 0, blocks: 0, skipped: [] };
  try {
    const dbPath = join(tmp, LEGACY_DB_NAME);
    const db = new DatabaseSync(dbPath);
    db.exec("CREATE TABLE entries (key VARCHAR(64) PRIMARY KEY, value BLOB)");
    const put = db.prepare("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)");
    const aclFor = (st: { mode: number; uid: number; gid: number }) => {
      const mode = st.mode & 0o7777;
      const k = aclKey(String(st.uid), String(st.gid), mode, st.uid, st.gid);
      const m = new $.Message();
      const a = m.initRoot(ACI);
      a.uname = String(st.uid);
      a.gname = String(st.gid);
      a.mode = mode;
      a.uid = BigInt(st.uid);
      a.gid = BigInt(st.gid);
      put.run(k, frame(m));
      return k;
    };
    const walk = async (rel: string, parentKey: string) => {
      const abs = rel === "" ? o.source : join(o.source, rel);
      const st = lstatSync(abs);
      const names = readdirSync(abs).sort();
      const m = new $.Message();
      const d = m.initRoot(Dir);
      d.name = rel.split("/").pop() ?? "";
      d.location = rel;
      d.parent = parentKey;
      d.size = 4096n;
      d.aclkey = aclFor(st);
      d.modificationTime = Math.floor(st.mtimeMs / 1000);
      d.creationTime = Math.floor(st.ctimeMs / 1000);
      const kept = names.filter((n) => {
        const s = lstatSync(join(abs, n));
        if (s.isDirectory() || s.isFile() || s.isSymbolicLink()) return true;
        result.skipped.push(rel === "" ? n : `${rel}/${n}`);
        return false;
      });
      const list = d._initContents(kept.length);
      const subdirs: string[] = [];
      for (let i = 0; i < kept.length; i++) {
        const name = kept[i];
        const childRel = rel === "" ? name : `${rel}/${name}`;
        const cs = lstatSync(join(abs, name));
        const inode: Inode = list.get(i);
        inode.name = name;
        inode.aclkey = aclFor(cs);
        inode.modificationTime = Math.floor(cs.mtimeMs / 1000);
        inode.creationTime = Math.floor(cs.ctimeMs / 1000);
        if (cs.isDirectory()) {
          inode.size = 4096n;
          inode.attributes._initDir().key = dirKey(childRel);
          subdirs.push(childRel);
        } else if (cs.isSymbolicLink()) {
          inode.attributes._initLink().target = readlinkSync(join(abs, name));
          result.symlinks++;
        } else {
          inode.size = BigInt(cs.size);
          const file = inode.attributes._initFile();
          file.blockSize = 128;
          const chunks = Math.ceil(cs.size / CHUNK);
          const blocks = file._initBlocks(chunks);
          const fd = openSync(join(abs, name), "r");
          try {
            for (let c = 0; c < chunks; c++) {
              const buf = new Uint8Array(Math.min(CHUNK, cs.size - c * CHUNK));
              let got = 0;
              while (got < buf.length) got += readSync(fd, buf, got, buf.length - got, c * CHUNK + got);
              const b = encodeLegacyBlock(buf);
              await o.store.put(b.hash, b.data);
              const fb = blocks.get(c);
              fb._initHash(16).copyBuffer(b.hash);
              fb._initKey(16).copyBuffer(b.key);
              result.blocks++;
            }
          } finally {
            closeSync(fd);
          }
          result.files++;
          result.bytes += cs.size;
        }
      }
      put.run(dirKey(rel), frame(m));
      result.directories++;
      for (const s of subdirs) await walk(s, dirKey(rel));
    };
    await walk("", "");
    db.close();
    writeFileSync(o.output, tarGz({ [LEGACY_DB_NAME]: readFileSync(dbPath) }), { flag: "wx" });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}
