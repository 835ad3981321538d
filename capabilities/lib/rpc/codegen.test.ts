// The committed generated code (capabilities/schema/gen/) must match a fresh generation from the schemas.
import { execFileSync } from "node:child_process";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { diffGenerated, generate, listSchemas, schemaFileId } from "../../../tools/capnp-gen.ts";

function hasCapnpc(): boolean {
  try {
    execFileSync("capnpc", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const t = suite("capnp codegen");

t("committed generated files match a fresh generation", async () => {
  // no skip: without capnpc nothing here proves the committed code matches its schemas
  assert.ok(hasCapnpc(), "capnpc is not installed, so the generated code cannot be checked: apt-get install capnproto (CI installs it, .ci/run PKGS)");
  const files = await generate();
  assert.ok(files.size >= listSchemas().length);
  assert.equal(diffGenerated(files), []);
});

t("generated code imports capnp-es by its bare name", async () => {
  const { readFileSync } = await import("node:fs");
  const text = readFileSync(new URL("../../schema/gen/test.ts", import.meta.url), "utf8");
  assert.match(text, /import \* as \$ from "capnp-es";/);
});

t("file id scheme: test.capnp uses its path-derived id", async () => {
  const { readFileSync } = await import("node:fs");
  const text = readFileSync(new URL("../../schema/test.capnp", import.meta.url), "utf8");
  assert.ok(text.includes(`@0x${schemaFileId("test.capnp").toString(16)};`));
  assert.is(schemaFileId("x.capnp") >> 63n, 1n, "top bit set as capnp requires");
});

t.run();
