// The one Deno runtime everything uses: the CLI shim (bin/zos.js), the kernel (kernel/sandbox.ts) and the
// test runner (tools/test-runner.ts), so tests start processes exactly as users' runs do. Plain JavaScript
// because the shim runs on Node before any TypeScript can load.
import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * `<root>/node_modules/deno/deno` (what `npm ci` installs and the image ships), else the platform package's
 * copy (an install with scripts disabled); null when neither exists.
 * @param {string} root the repository (or image) root holding node_modules
 * @returns {string | null}
 */
export function findDenoBinary(root) {
  for (const p of [join(root, "node_modules", "deno", "deno"), join(root, "node_modules", "@deno", "linux-x64-glibc", "deno")]) {
    if (existsSync(p)) return p;
  }
  return null;
}
