// Kernel module loading for PID 1 without kmod: the image carries its own modules.dep and
// modules.alias (written by the image build for exactly the modules it ships). Devices announce what
// driver they need through /sys/bus/*/devices/*/modalias; we match those against the aliases (shell
// globs) and finit_module each match after its dependencies. Parsing and matching are pure.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EEXIST, type Sys, SysError } from "./libc.ts";

export interface ModuleIndex {
  /** module name → path relative to the modules dir */
  paths: Map<string, string>;
  /** module name → direct and indirect dependencies (names) */
  deps: Map<string, string[]>;
  aliases: { pattern: RegExp; glob: string; module: string }[];
  /** module → modules to load before it (modules.softdep "pre:"), best effort */
  softdeps: Map<string, string[]>;
}

export function parseModulesSoftdep(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^softdep\s+(\S+)\s+pre:\s*(.*)$/.exec(line.trim());
    if (m) out.set(m[1].replace(/-/g, "_"), m[2].split(/\s+/).filter(Boolean).map((n) => n.replace(/-/g, "_")));
  }
  return out;
}

const nameOf = (path: string): string => path.split("/").pop()!.replace(/\.ko(\.\w+)?$/, "").replace(/-/g, "_");

export function parseModulesDep(text: string): { paths: Map<string, string>; deps: Map<string, string[]> } {
  const paths = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const name = nameOf(path);
    paths.set(name, path);
    deps.set(name, line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(nameOf));
  }
  return { paths, deps };
}

/** fnmatch-style glob (`*`, `?`, `[...]`) → anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = "^";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith("!")) body = "^" + body.slice(1);
        re += "[" + body.replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\/]/g, "\\$&");
  }
  return new RegExp(re + "$");
}

export function parseModulesAlias(text: string): ModuleIndex["aliases"] {
  const out: ModuleIndex["aliases"] = [];
  for (const line of text.split("\n")) {
    const m = /^alias\s+(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({ glob: m[1], pattern: globToRegExp(m[1]), module: m[2].replace(/-/g, "_") });
  }
  return out;
}

export function loadIndex(modulesDir: string): ModuleIndex {
  const { paths, deps } = parseModulesDep(readFileSync(join(modulesDir, "modules.dep"), "utf8"));
  const read = (f: string) => (existsSync(join(modulesDir, f)) ? readFileSync(join(modulesDir, f), "utf8") : "");
  return { paths, deps, aliases: parseModulesAlias(read("modules.alias")), softdeps: parseModulesSoftdep(read("modules.softdep")) };
}

/** Modules whose aliases match any of the modaliases (sorted, deduplicated). */
export function modulesForAliases(index: ModuleIndex, modaliases: string[]): string[] {
  const out = new Set<string>();
  for (const ma of modaliases) for (const a of index.aliases) if (a.pattern.test(ma)) out.add(a.module);
  return [...out].sort();
}

/** The modules to insert for `name`, dependencies first (modules.dep lists them nearest-first). */
export function loadOrder(index: ModuleIndex, name: string): string[] {
  const n = name.replace(/-/g, "_");
  if (!index.paths.has(n)) throw new Error(`module ${n} is not in this image (modules.dep)`);
  const seen = new Set<string>();
  const out: string[] = [];
  const visit = (m: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const d of index.deps.get(m) ?? []) visit(d);
    out.push(m);
  };
  visit(n);
  return out;
}

/** Reads every modalias under /sys/bus/<bus>/devices (optionally filtered). */
export function readModaliases(sysRoot = "/sys", filter: (alias: string) => boolean = () => true): string[] {
  const out: string[] = [];
  let buses: string[] = [];
  try {
    buses = readdirSync(join(sysRoot, "bus"));
  } catch {
    return out;
  }
  for (const bus of buses.sort()) {
    let devs: string[] = [];
    try {
      devs = readdirSync(join(sysRoot, "bus", bus, "devices"));
    } catch {
      continue;
    }
    for (const d of devs.sort()) {
      try {
        const a = readFileSync(join(sysRoot, "bus", bus, "devices", d, "modalias"), "utf8").trim();
        if (a && filter(a)) out.push(a);
      } catch { /* no modalias */ }
    }
  }
  return out;
}

/** True for network-class devices: PCI base class 02, virtio device id 1 (net). */
export function isNetworkAlias(a: string): boolean {
  return /^pci:.*bc02/.test(a) || /^virtio:d00000001v/.test(a);
}

export class ModuleLoader {
  readonly loaded = new Set<string>();
  readonly index: ModuleIndex;
  private readonly dir: string;
  private readonly sys: Sys;

  constructor(sys: Sys, modulesDir: string) {
    this.sys = sys;
    this.dir = modulesDir;
    this.index = loadIndex(modulesDir);
    try {
      for (const l of readFileSync("/proc/modules", "utf8").split("\n")) if (l) this.loaded.add(l.split(" ")[0]);
    } catch { /* /proc not mounted: nothing loaded yet */ }
  }

  /** Loads a module and its dependencies; returns the names actually inserted now. */
  load(name: string): string[] {
    const inserted: string[] = [];
    for (const m of loadOrder(this.index, name)) {
      if (this.loaded.has(m)) continue;
      // Soft dependencies first (crc32c for btrfs...): without modprobe in the image the kernel's own
      // request_module() fails, so we load them. Best effort: e.g. crc32c_intel needs SSE 4.2.
      for (const pre of this.index.softdeps.get(m) ?? []) {
        if (this.loaded.has(pre) || !this.index.paths.has(pre)) continue;
        try {
          inserted.push(...this.load(pre));
        } catch { /* optional */ }
      }
      try {
        this.sys.finitModule(join(this.dir, this.index.paths.get(m)!));
        inserted.push(m);
      } catch (err) {
        if (!(err instanceof SysError && err.errno === EEXIST)) throw err;
      }
      this.loaded.add(m);
    }
    return inserted;
  }

  /**
   * Coldplug: load the drivers for present devices (filtered), repeating because a bus driver
   * (virtio_pci) makes new devices (virtio net, blk) appear. Returns the modules inserted.
   */
  coldplug(filter: (alias: string) => boolean, sysRoot = "/sys", maxRounds = 4): string[] {
    const inserted: string[] = [];
    for (let round = 0; round < maxRounds; round++) {
      const wanted = modulesForAliases(this.index, readModaliases(sysRoot, filter)).filter((m) => !this.loaded.has(m));
      if (!wanted.length) break;
      for (const m of wanted) inserted.push(...this.load(m));
    }
    return inserted;
  }
}
