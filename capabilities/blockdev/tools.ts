// The only programs the block-device driver runs, by absolute path (its manifest entry grants exactly these
// to Deno's --allow-run), with a fixed minimal environment and a timeout. Arguments are built by the driver
// from names it validated: never from a path a caller sent.
import { execFile } from "node:child_process";

export const TOOLS = {
  mkfs: "/usr/sbin/mkfs.btrfs",
  btrfs: "/usr/bin/btrfs",
  blkid: "/usr/sbin/blkid",
  lsblk: "/usr/bin/lsblk",
} as const;

export type Tool = keyof typeof TOOLS;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; resolves with its exit code (never rejects for a non-zero exit). */
export function run(tool: Tool, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(TOOLS[tool], args, { env: { PATH: "/usr/sbin:/usr/bin", LC_ALL: "C" }, timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      if (err && code === -1) return reject(new Error(`${tool}: ${err.message}`));
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs a tool and throws "<what>: <stderr>" on a non-zero exit. */
export async function must(tool: Tool, args: string[], what: string, timeoutMs?: number): Promise<string> {
  const r = await run(tool, args, timeoutMs);
  if (r.code !== 0) throw new Error(`failed: blockdev: ${what}: ${(r.stderr || r.stdout).trim().split("\n").slice(-2).join(" / ")}`);
  return r.stdout;
}
