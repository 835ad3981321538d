// Loads pieces of the official @threefold/rmb_direct_client 2.9.2 for interop tests. Its package
// "exports" hide the generated protobuf types and crypto helpers, so they are required by file path.
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const pkg = join(
  fileURLToPath(new URL(".", import.meta.url)),
  "..",
  "..",
  "node_modules",
  "@threefold",
  "rmb_direct_client",
  "dist",
  "node",
);

// deno-lint-ignore no-explicit-any
type Any = any;
export const officialTypes: Any = require(join(pkg, "types", "lib", "types.js"));
export const OfficialClientEnvelope: Any = require(join(pkg, "envelope.js")).default;
export const officialSign: Any = require(join(pkg, "sign.js"));
export const officialUtil: Any = require(join(pkg, "util.js"));
export const OfficialClient: Any = require(join(pkg, "client.js")).Client;
export const { Keyring }: Any = require("@polkadot/keyring");
