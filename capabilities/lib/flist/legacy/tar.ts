// Just enough ustar to carry a legacy `.flist` (a tar, in practice gzipped, holding `flistdb.sqlite3`):
// find one member by name in an archive, and write an archive of named files. Sizes are bounded by the
// caller, so a hostile archive cannot make the reader allocate without limit.
import { gunzipSync, gzipSync } from "node:zlib";

const decoder = new TextDecoder();

function field(h: Uint8Array, from: number, len: number): string {
  const s = h.subarray(from, from + len);
  const end = s.indexOf(0);
  return decoder.decode(end < 0 ? s : s.subarray(0, end));
}

function octal(h: Uint8Array, from: number, len: number): number {
  const s = field(h, from, len).trim();
  if (!/^[0-7]*$/.test(s)) throw new Error("tar: a header's size is not octal");
  return s === "" ? 0 : parseInt(s, 8);
}

/** Gunzips when the bytes start with the gzip magic, refusing more than `maxBytes` of output. */
export function maybeGunzip(data: Uint8Array, maxBytes: number): Uint8Array {
  if (data[0] !== 0x1f || data[1] !== 0x8b) return data;
  try {
    return gunzipSync(data, { maxOutputLength: maxBytes });
  } catch (e) {
    throw new Error(`gzip: ${(e as Error).message} (limit ${maxBytes} bytes)`);
  }
}

/** The content of the first regular member whose last path component is `name`, or null. */
export function tarMember(tar: Uint8Array, name: string): Uint8Array | null {
  let p = 0;
  while (p + 512 <= tar.length) {
    const h = tar.subarray(p, p + 512);
    if (h.every((b) => b === 0)) return null;
    const path = (field(h, 345, 155) ? `${field(h, 345, 155)}/` : "") + field(h, 0, 100);
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 0x30);
    const start = p + 512;
    if (start + size > tar.length) throw new Error(`tar: member ${JSON.stringify(path)} runs past the end`);
    if ((type === "0" || type === "\0") && path.split("/").filter(Boolean).pop() === name) return tar.slice(start, start + size);
    p = start + Math.ceil(size / 512) * 512;
  }
  return null;
}

function header(name: string, size: number, type = "0", link = "", mtime = Math.floor(Date.now() / 1000)): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, at: number) => h.set(new TextEncoder().encode(s), at);
  put(name, 0);
  put(type === "2" ? "0000777\0" : "0000644\0", 100);
  put("0000000\0", 108);
  put("0000000\0", 116);
  put(size.toString(8).padStart(11, "0") + "\0", 124);
  put(Math.max(0, mtime).toString(8).padStart(11, "0") + "\0", 136);
  put("        ", 148);
  h[156] = type.charCodeAt(0);
  if (link) put(link, 157);
  put("ustar\0", 257);
  put("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

/** A gzipped ustar archive of `files` (name → content). */
export function tarGz(files: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, data] of Object.entries(files)) {
    parts.push(header(name, data.length), data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return gzipSync(Buffer.concat(parts));
}

/** A plain tar of symlinks (path → target), with pax headers for names or targets over 100 bytes: the
 * flist driver creates symlinks by piping this to `tar -x`, as Deno refuses symlink() under path-scoped
 * permissions. Paths are relative to the extraction directory. */
export function symlinkTar(links: { path: string; target: string; mtime: number }[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const l of links) {
    const long = enc.encode(l.path).length > 99 || enc.encode(l.target).length > 99;
    if (long) {
      const rec = (k: string, v: string) => {
        const body = ` ${k}=${v}\n`;
        let n = enc.encode(body).length;
        n += String(n).length;
        if (String(n).length !== String(n - String(n).length).length) n++;
        return `${n}${body}`;
      };
      const pax = enc.encode(rec("path", l.path) + rec("linkpath", l.target));
      parts.push(header("PaxHeader", pax.length, "x"), pax, new Uint8Array((512 - (pax.length % 512)) % 512));
    }
    parts.push(header(long ? "long-symlink" : l.path, 0, "2", long ? "long-target" : l.target, l.mtime));
  }
  parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}
