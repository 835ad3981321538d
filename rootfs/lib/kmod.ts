// Kernel module metadata without kmod/depmod on the build host: a .ko is an ELF file whose
// `.modinfo` section holds NUL-separated `key=value` strings (name=, depends=, alias=). From those we
// compute the dependency closure of the modules the node needs and write the image's own
// modules.dep and modules.alias, containing only what is in the image.

export interface ModInfo {
  name: string;
  depends: string[];
  aliases: string[];
  /** `softdep=pre: a b` names (aliases or module names) to load first; the kernel asks modprobe otherwise. */
  softdepPre: string[];
}

/** Parses a `softdep` value ("pre: a b post: c") into its pre names. */
export function softdepPre(value: string): string[] {
  const m = /pre:\s*(.*?)(?:\bpost:|$)/.exec(value);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

/** Reads the .modinfo section of an ELF64 little-endian kernel module. */
export function parseModinfo(elf: Uint8Array): ModInfo {
  if (elf[0] !== 0x7f || elf[1] !== 0x45 || elf[2] !== 0x4c || elf[3] !== 0x46) throw new Error("not an ELF file");
  if (elf[4] !== 2 || elf[5] !== 1) throw new Error("only ELF64 little-endian modules are supported");
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  const sec = (i: number) => {
    const b = shoff + i * shentsize;
    return {
      name: v.getUint32(b, true),
      offset: Number(v.getBigUint64(b + 0x18, true)),
      size: Number(v.getBigUint64(b + 0x20, true)),
    };
  };
  const strtab = sec(shstrndx);
  const dec = new TextDecoder();
  const cstr = (off: number): string => {
    let end = off;
    while (end < elf.length && elf[end] !== 0) end++;
    return dec.decode(elf.subarray(off, end));
  };
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    if (cstr(strtab.offset + s.name) !== ".modinfo") continue;
    const text = dec.decode(elf.subarray(s.offset, s.offset + s.size));
    const info: ModInfo = { name: "", depends: [], aliases: [], softdepPre: [] };
    for (const kv of text.split("\0")) {
      const eq = kv.indexOf("=");
      if (eq < 0) continue;
      const k = kv.slice(0, eq), val = kv.slice(eq + 1);
      if (k === "name") info.name = val;
      else if (k === "depends") info.depends = val.split(",").filter(Boolean);
      else if (k === "alias") info.aliases.push(val);
      else if (k === "softdep") info.softdepPre.push(...softdepPre(val));
    }
    return info;
  }
  throw new Error("no .modinfo section");
}

/** Module names are interchangeable with `-`/`_`; the kernel reports them with `_`. */
export function canonicalName(name: string): string {
  return name.replace(/-/g, "_");
}

/**
 * The closure of `wanted` under `depends`, ordered so that every module comes after its
 * dependencies (the order finit_module needs). Throws naming the module that is missing.
 */
export function dependencyOrder(wanted: string[], depends: Map<string, string[]>): string[] {
  const out: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (raw: string, from: string | null): void => {
    const name = canonicalName(raw);
    const st = state.get(name);
    if (st === "done") return;
    if (st === "visiting") throw new Error(`module dependency cycle at ${name}`);
    const deps = depends.get(name);
    if (!deps) throw new Error(from ? `module ${name} (needed by ${from}) is not in the kernel package` : `module ${name} is not in the kernel package`);
    state.set(name, "visiting");
    for (const d of [...deps].sort()) visit(d, name);
    state.set(name, "done");
    out.push(name);
  };
  for (const w of wanted) visit(w, null);
  return out;
}

/** modules.dep text (depmod format, paths relative to the modules dir), sorted by path. */
export function formatModulesDep(mods: { name: string; path: string }[], depends: Map<string, string[]>): string {
  const pathOf = new Map(mods.map((m) => [m.name, m.path]));
  const closure = (name: string): string[] => {
    // depmod lists the full transitive closure, nearest first; the loader only needs the set.
    return dependencyOrder([name], depends).filter((n) => n !== name).reverse();
  };
  return [...mods]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((m) => `${m.path}: ${closure(m.name).map((d) => pathOf.get(d)).join(" ")}`.trimEnd() + "\n")
    .join("");
}

/**
 * modules.softdep text (`softdep M pre: A B`), with each pre name resolved to a module in the image
 * by module name or alias; names nothing in the image provides are dropped (built into the kernel).
 */
export function formatModulesSoftdep(mods: ModInfo[]): string {
  const byName = new Map(mods.map((m) => [canonicalName(m.name), m]));
  const resolveName = (n: string): string | null => {
    if (byName.has(canonicalName(n))) return canonicalName(n);
    const hit = mods.find((m) => m.aliases.includes(n));
    return hit ? canonicalName(hit.name) : null;
  };
  const lines: string[] = [];
  for (const m of mods) {
    const pre = [...new Set(m.softdepPre.map(resolveName).filter((x): x is string => x !== null && x !== canonicalName(m.name)))];
    if (pre.length) lines.push(`softdep ${canonicalName(m.name)} pre: ${pre.join(" ")}`);
  }
  return lines.sort().map((l) => l + "\n").join("");
}

/** modules.alias text: `alias PATTERN module`, sorted. */
export function formatModulesAlias(mods: ModInfo[]): string {
  const lines: string[] = [];
  for (const m of mods) for (const a of m.aliases) lines.push(`alias ${a} ${canonicalName(m.name)}`);
  return lines.sort().map((l) => l + "\n").join("");
}
