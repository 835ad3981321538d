// Shared by the flist tests and the benchmark: a small but varied source tree, and a tree comparison
// that looks at content, type, permission bits and symlink targets.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { vmGroupMode } from "../fs/vm-group.ts";

/** Writes a tree with empty, small, exact-block, multi-block, duplicate and random files, nested
 * directories, odd modes and relative/absolute symlinks. */
export function makeSourceTree(root: string, scale = 1): void {
  mkdirSync(join(root, "etc/ssl"), { recursive: true });
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  mkdirSync(join(root, "var/empty"), { recursive: true });
  writeFileSync(join(root, "etc/hostname"), "flist-test\n");
  writeFileSync(join(root, "etc/empty"), "");
  writeFileSync(join(root, "etc/ssl/key.pem"), "secret\n", { mode: 0o600 });
  let seed = 12345;
  const rand = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      b[i] = seed >>> 24;
    }
    return b;
  };
  writeFileSync(join(root, "usr/bin/tool"), rand(512 * 1024 * 2 + 777 * scale), { mode: 0o755 });
  writeFileSync(join(root, "usr/bin/exact"), rand(512 * 1024), { mode: 0o750 });
  const text = "the quick brown fox jumps over the lazy dog\n".repeat(30000 * scale);
  writeFileSync(join(root, "usr/text"), text);
  writeFileSync(join(root, "usr/text-copy"), text);
  for (let i = 0; i < 20 * scale; i++) writeFileSync(join(root, "var", `f${i}`), rand(100 + i * 997));
  symlinkSync("../usr/bin/tool", join(root, "etc/tool-link"));
  symlinkSync("/usr/text", join(root, "usr/abs-link"));
}

/** path → "type perm content-or-target" for every entry under root. `vmGroup`: the perms the tree gets once
 * shared with the vm group (capabilities/lib/fs/vm-group.ts), read-only or read-write. */
export function describeTree(root: string, vmGroup?: "ro" | "rw"): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const bits = st.mode & 0o7777;
      const perm = (vmGroup ? vmGroupMode(bits, st.isDirectory(), vmGroup === "rw") : bits).toString(8);
      if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${perm}`;
        walk(p, r);
      } else out[r] = `file ${perm} ${st.size} ${readFileSync(p).toString("base64").slice(0, 64)}:${hashOf(readFileSync(p))}`;
    }
  };
  walk(root, "");
  return out;
}

function hashOf(b: Uint8Array): number {
  let h = 2166136261;
  for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
  return h;
}
