// Picks the kernel modules the node needs (and their dependencies) out of the kernel package and
// produces the image's modules.dep / modules.alias for exactly that set.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { canonicalName, dependencyOrder, formatModulesAlias, formatModulesDep, formatModulesSoftdep, type ModInfo, parseModinfo } from "./kmod.ts";

export interface SelectedModules {
  /** In load order (dependencies first). */
  modules: { name: string; path: string; source: string; info: ModInfo }[];
  modulesDep: string;
  modulesAlias: string;
  modulesSoftdep: string;
  /** Wanted names that are built into the kernel (nothing to load). */
  builtin: string[];
}

function indexKoFiles(modulesDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ko")) out.set(canonicalName(name.slice(0, -3)), p);
    }
  };
  walk(join(modulesDir, "kernel"));
  return out;
}

function builtinNames(modulesDir: string): Set<string> {
  try {
    return new Set(
      readFileSync(join(modulesDir, "modules.builtin"), "utf8").split("\n").filter(Boolean)
        .map((l) => canonicalName(l.split("/").pop()!.replace(/\.ko$/, ""))),
    );
  } catch {
    return new Set();
  }
}

export function selectModules(modulesDir: string, wanted: string[]): SelectedModules {
  const files = indexKoFiles(modulesDir);
  const builtins = builtinNames(modulesDir);
  const infos = new Map<string, ModInfo>();
  const depends = new Map<string, string[]>();
  const builtin: string[] = [];
  const queue = wanted.map(canonicalName).filter((n) => {
    if (builtins.has(n) && !files.has(n)) {
      builtin.push(n);
      return false;
    }
    return true;
  });
  while (queue.length) {
    const name = queue.pop()!;
    if (infos.has(name)) continue;
    const file = files.get(name);
    if (!file) {
      if (builtins.has(name)) {
        depends.set(name, []);
        continue;
      }
      throw new Error(`kernel module "${name}" is neither a module nor built into ${modulesDir}`);
    }
    const info = parseModinfo(readFileSync(file));
    info.name = canonicalName(info.name || name);
    infos.set(name, info);
    depends.set(name, info.depends.map(canonicalName));
    for (const d of info.depends) queue.push(canonicalName(d));
  }
  const order = dependencyOrder(wanted.map(canonicalName).filter((n) => !builtin.includes(n)), depends)
    .filter((n) => infos.has(n));
  const modules = order.map((name) => {
    const source = files.get(name)!;
    return { name, path: relative(modulesDir, source), source, info: infos.get(name)! };
  });
  const depOnlyMods = new Map([...depends].map(([k, v]) => [k, v.filter((d) => infos.has(d))]));
  return {
    modules,
    modulesDep: formatModulesDep(modules.map((m) => ({ name: m.name, path: m.path })), depOnlyMods),
    modulesAlias: formatModulesAlias(modules.map((m) => m.info)),
    modulesSoftdep: formatModulesSoftdep(modules.map((m) => m.info)),
    builtin: builtin.sort(),
  };
}
