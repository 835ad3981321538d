// Temp folders for tests that are removed when the test process exits, whatever happened in between
// (a failed assertion skips a test's own cleanup). Names start with `zt-` like everything tests create.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { releaseUnder } from "../modules/node/dev-disks.ts";

const made: string[] = [];
let hooked = false;

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix.startsWith("zt-") ? prefix : `zt-${prefix}`));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const d of made) {
        // a node killed with -9 inside leaves its pools mounted and its loop devices attached
        releaseUnder(d);
        rmSync(d, { recursive: true, force: true });
      }
    });
  }
  return dir;
}
