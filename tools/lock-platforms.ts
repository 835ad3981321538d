// Keeps package-lock.json installable with `npm ci` when the registry in use serves only this platform's
// build of a package that ships per-platform binaries as optional dependencies (deno, esbuild).
//
// npm ci refuses a lock that lacks an entry for any optional dependency, even one for another OS; npm install
// cannot write those entries when the registry answers 404 for them. An entry with `os`/`cpu` (and `libc`) but no
// tarball is enough: npm ci skips it on a mismatching platform without fetching anything.
//
// usage: deno run -A tools/lock-platforms.ts [--check]   (--check: exit 1 when entries are missing)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");

interface LockEntry {
  version?: string;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
  [k: string]: unknown;
}

/** Platform of an optional per-platform package, from its name (`@deno/darwin-arm64`, `@esbuild/linux-x64`). */
export function platformOf(name: string): { os: string; cpu: string; libc?: string } | null {
  const base = name.split("/").pop() ?? "";
  const m = /^(linux|darwin|win32|freebsd|openbsd|netbsd|sunos|aix|android|openharmony)-([a-z0-9]+)(?:-(glibc|musl|gnu|msvc))?$/.exec(base);
  if (!m) return null;
  const libc = m[3] === "glibc" || m[3] === "gnu" ? "glibc" : m[3] === "musl" ? "musl" : undefined;
  return { os: m[1], cpu: m[2], ...(libc && m[1] === "linux" ? { libc } : {}) };
}

/** Returns the names of missing entries and, unless `check`, adds them. */
export function completeLock(lock: { packages: Record<string, LockEntry> }): string[] {
  const added: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const depKey = `node_modules/${dep}`;
      if (lock.packages[depKey]) continue;
      const platform = platformOf(dep);
      if (!platform) continue; // not a platform build: leave it to npm
      lock.packages[depKey] = {
        version,
        cpu: [platform.cpu],
        ...(platform.libc ? { libc: [platform.libc] } : {}),
        optional: true,
        os: [platform.os],
      };
      added.push(`${dep}@${version} (for ${key || "root"})`);
    }
  }
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)));
  return added;
}

if (import.meta.main) {
  const file = join(root, "package-lock.json");
  const lock = JSON.parse(readFileSync(file, "utf8"));
  const added = completeLock(lock);
  const check = process.argv.includes("--check");
  if (check) {
    if (added.length) {
      console.error(`package-lock.json lacks ${added.length} platform entries (npm ci will refuse it): ${added.join(", ")}\n` +
        "fix: deno run -A tools/lock-platforms.ts");
      process.exitCode = 1;
    }
  } else {
    writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
    console.log(added.length ? `added ${added.length} entries: ${added.join(", ")}` : "package-lock.json already complete");
  }
}
