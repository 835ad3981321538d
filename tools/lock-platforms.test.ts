import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { completeLock, platformOf } from "./lock-platforms.ts";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const s = suite("lock-platforms");

s("reads the platform from per-platform package names", () => {
  assert.equal(platformOf("@deno/linux-arm64-glibc"), { os: "linux", cpu: "arm64", libc: "glibc" });
  assert.equal(platformOf("@deno/darwin-x64"), { os: "darwin", cpu: "x64" });
  assert.equal(platformOf("@esbuild/win32-ia32"), { os: "win32", cpu: "ia32" });
  assert.is(platformOf("left-pad"), null);
});

s("adds a skippable entry for every missing platform build, and only those", () => {
  const lock = {
    packages: {
      "": { name: "x" },
      "node_modules/deno": { version: "2.9.6", optionalDependencies: { "@deno/linux-x64-glibc": "2.9.6", "@deno/darwin-arm64": "2.9.6", "helper": "1.0.0" } },
      "node_modules/@deno/linux-x64-glibc": { version: "2.9.6", integrity: "sha512-x" },
    },
  };
  const added = completeLock(lock);
  assert.equal(added, ["@deno/darwin-arm64@2.9.6 (for node_modules/deno)"]);
  assert.equal(lock.packages["node_modules/@deno/darwin-arm64" as keyof typeof lock.packages], {
    version: "2.9.6", cpu: ["arm64"], optional: true, os: ["darwin"],
  });
  assert.is(Object.keys(lock.packages)[0], "");
  assert.equal(completeLock(lock), [], "idempotent");
});

s("the committed package-lock.json is complete, so `npm ci` accepts it on a clean clone", () => {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  assert.equal(completeLock(lock), []);
});

s.run();
