// Temp folders for tests that are removed when the test process exits, whatever happened in between
// (a failed assertion skips a test's own cleanup). Names start with `zt-` like everything tests create.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];
let hooked = false;

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix.startsWith("zt-") ? prefix : `zt-${prefix}`));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
