// One sha256 over a materialised tree: what a pinned extension flist (the node's QEMU) must contain,
// independent of the `.fl` file that carried it (its routes name whichever hub served it, its inode
// table holds times). One line per entry in byte order of the path: `d PATH`, `f PATH x|- SHA256`
// (x = owner-executable), `l PATH TARGET`; anything else (device, fifo, socket) makes the tree unpinnable.
// The one tree hash of the project: a node release pins its tree the same way (kernel/upgrade/release.ts:
// release.json's tree_sha256, with the per-file list kept to say which file differs).
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export function treeLines(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path);
      if (st.isDirectory()) {
        out.push(`d ${r}`);
        walk(path, r);
      } else if (st.isFile()) {
        out.push(`f ${r} ${st.mode & 0o100 ? "x" : "-"} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`);
      } else if (st.isSymbolicLink()) {
        out.push(`l ${r} ${readlinkSync(path)}`);
      } else {
        throw new Error(`${r} in ${root} is neither a file, a directory nor a symlink`);
      }
    }
  };
  walk(root, "");
  return out;
}

/** sha256 (hex) of tree lines, each newline-terminated. */
export function digestLines(lines: string[]): string {
  return createHash("sha256").update(lines.map((l) => l + "\n").join("")).digest("hex");
}

/** sha256 (hex) of the tree's lines. */
export function treeDigest(root: string): string {
  return digestLines(treeLines(root));
}

/** A file line's parts (`f PATH x|- SHA256`; PATH may hold spaces), or null for another kind of line. */
export function parseFileLine(line: string): { path: string; executable: boolean; sha256: string } | null {
  const m = /^f (.+) ([x-]) ([0-9a-f]{64})$/.exec(line);
  return m ? { path: m[1], executable: m[2] === "x", sha256: m[3] } : null;
}
