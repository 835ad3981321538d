#!/usr/bin/env node
// The npm entry point. The OS ships and runs on Deno, so the CLI runs on the Deno binary that
// `npm ci` installed; this shim only finds it and forwards arguments, signals and the exit code.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findDenoBinary } from "./deno-binary.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const deno = findDenoBinary(root);
if (!deno) {
  process.stderr.write("zos: the Deno runtime is missing; run `npm ci` in " + root + " first\n");
  process.exit(2);
}
const env = { ...process.env };
// Node's extra CA bundle slows every child's start-up and means nothing to Deno.
delete env.NODE_EXTRA_CA_CERTS;
const child = spawn(deno, ["run", "-A", "--quiet", "--no-lock", join(root, "cli", "zos.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
  env,
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => child.kill(sig));
}
const signalNumbers = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 };
child.on("exit", (code, signal) => {
  process.exit(signal ? 128 + (signalNumbers[signal] ?? 1) : code ?? 1);
});
