// Tests run the CLI the way users do: `bin/zos.js` under the same Node (the npm bin entry), from the repo root.
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { repoRoot } from "../kernel/sandbox.ts";

export interface ZosRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `zos ARGS…` through bin/zos.js and resolves with its exit code and output once it exits. */
export function runZos(args: string[]): Promise<ZosRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(repoRoot, "bin", "zos.js"), ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
