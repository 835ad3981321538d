// The whole project type-checks under strict TypeScript with erasable syntax only (no enums, no parameter
// properties, no namespaces), so every file runs unchanged on Deno and on Node's type stripping.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const s = suite("typecheck");

s("tsc --noEmit reports no error for the project (strict, erasableSyntaxOnly)", () => {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync("node", [tsc, "-p", join(root, "tsconfig.json"), "--noEmit", "--pretty", "false"], {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  });
  const errors = (r.stdout + r.stderr).split("\n").filter((l) => / error TS\d+/.test(l));
  assert.equal(errors, [], `type errors:\n${errors.join("\n")}`);
  assert.is(r.status, 0);
});

s("erasable syntax is enforced: an enum is rejected under the project's compiler options", () => {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const dir = mkdtempSync(join(tmpdir(), "zt-typecheck-"));
  try {
    writeFileSync(join(dir, "e.ts"), "export enum Color { Red }\n");
    const r = spawnSync("node", [tsc, "--erasableSyntaxOnly", "--noEmit", "--pretty", "false", join(dir, "e.ts")], {
      encoding: "utf8",
    });
    assert.ok(/TS1294/.test(r.stdout), `expected TS1294 (not erasable), got: ${r.stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

s.run();
