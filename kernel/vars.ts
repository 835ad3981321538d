// The manifest's `${name}` variables: which ones a manifest uses that its caller did not set. Checked
// before anything starts (`zos kernel run --var`), so a forgotten variable is a clear error instead of a
// process that dies on a literal "${chainurl}" argument or a permission list Deno refuses.
import type { Manifest } from "./manifest.ts";

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
/**
 * Set by the kernel itself for every manifest. `bootid`: one per start of the kernel (a boot: the image's PID 1
 * starts it once, a node on a host at each start); the provision module replays its deployments once per boot id.
 */
export const BUILTIN_VARS = ["state", "root", "bootid"];
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface UnsetVariable {
  name: string;
  /** where it is used, e.g. `chain args`, `chain sandbox.net` */
  usedIn: string[];
}

export function unsetVariables(m: Manifest, vars: Record<string, string>): UnsetVariable[] {
  const found = new Map<string, string[]>();
  const scan = (text: string, where: string) => {
    for (const match of text.matchAll(VAR)) {
      const name = match[1];
      if (BUILTIN_VARS.includes(name) || Object.hasOwn(vars, name)) continue;
      const list = found.get(name) ?? [];
      if (!list.includes(where)) list.push(where);
      found.set(name, list);
    }
  };
  for (const p of m.processes) {
    for (const a of p.args) scan(a, `${p.name} args`);
    for (const [perm, list] of Object.entries(p.sandbox)) for (const v of list ?? []) scan(v, `${p.name} sandbox.${perm}`);
  }
  return [...found].map(([name, usedIn]) => ({ name, usedIn })).sort((a, b) => a.name.localeCompare(b.name));
}

/** `NAME=VALUE` strings (repeatable CLI flag) → a map; throws with a message saying which one is wrong. */
export function parseVarFlags(flags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf("=");
    const name = eq < 0 ? f : f.slice(0, eq);
    if (eq < 0) throw new Error(`--var "${f}" has no "=": write --var NAME=VALUE (e.g. --var chainurl=ws://127.0.0.1:9944)`);
    if (!VAR_NAME.test(name)) throw new Error(`--var "${f}": "${name}" is not a variable name (letters, digits and _, not starting with a digit)`);
    if (BUILTIN_VARS.includes(name)) throw new Error(`--var ${name}: \${${name}} is set by the kernel (${name === "state" ? "use --state DIR" : name === "root" ? "the manifest's root" : "one per kernel start"})`);
    if (Object.hasOwn(out, name)) throw new Error(`--var ${name} is given twice`);
    out[name] = f.slice(eq + 1);
  }
  return out;
}
