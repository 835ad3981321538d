// Deno reads every *literal* import specifier while it builds the module graph — before any
// permission check, even for a zero-permission module (DEPENDENCIES.md). A module whose source says
// `import x from "file:///etc/shadow"` would get that file's content. So the image build refuses any
// source with a literal `file:` import that resolves outside the module's own folder.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface ImportViolation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

// `from "x"`, `import "x"`, `export * from "x"`, and `import("x")` whose argument is the whole
// literal (a computed `import("file://" + p)` is checked by permissions at run time). Matches in
// comments too: refusing a commented-out escape is the safe side of a false positive.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s+)(["'`])([^"'`\n]+)\1|\bimport\s*\(\s*(["'`])([^"'`\n]+)\3\s*[,)]/g;

export function literalSpecifiers(source: string): { specifier: string; line: number }[] {
  const out: { specifier: string; line: number }[] = [];
  for (const m of source.matchAll(SPECIFIER)) {
    const line = source.slice(0, m.index).split("\n").length;
    out.push({ specifier: m[2] ?? m[4], line });
  }
  return out;
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel));
}

/**
 * Checks one source file. `moduleDir` is the folder the module may read from; a `file:` specifier
 * is allowed only if it resolves inside it.
 */
export function checkSource(file: string, source: string, moduleDir: string): ImportViolation[] {
  const out: ImportViolation[] = [];
  for (const { specifier, line } of literalSpecifiers(source)) {
    if (!/^file:/i.test(specifier)) continue;
    let target: string;
    try {
      target = fileURLToPath(new URL(specifier, "file://" + resolve(file)));
    } catch {
      out.push({ file, line, specifier, reason: "unparseable file: URL" });
      continue;
    }
    if (!inside(resolve(moduleDir), resolve(target))) {
      out.push({ file, line, specifier, reason: `reaches outside ${moduleDir}` });
    }
  }
  return out;
}

const SOURCE_EXT = /\.(ts|mts|js|mjs|tsx|jsx)$/;

// Tests and their fixtures never go into the image (some deliberately try such imports).
const NOT_SHIPPED_DIR = new Set(["node_modules", "test", "tests", "fixtures"]);
const NOT_SHIPPED_FILE = /\.test\.ts$|\.test-helper\.ts$/;

/** Walks `moduleDir` (skipping node_modules, tests and fixtures) and checks every source file in it. */
export function checkTree(moduleDir: string): ImportViolation[] {
  const out: ImportViolation[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (NOT_SHIPPED_DIR.has(name) || name.startsWith(".")) continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (SOURCE_EXT.test(name) && !NOT_SHIPPED_FILE.test(name)) out.push(...checkSource(p, readFileSync(p, "utf8"), moduleDir));
    }
  };
  walk(moduleDir);
  return out;
}

export function formatViolations(v: ImportViolation[], root: string): string {
  return v.map((x) => `  ${relative(root, x.file)}:${x.line}: import "${x.specifier}" ${x.reason}`).join("\n");
}
