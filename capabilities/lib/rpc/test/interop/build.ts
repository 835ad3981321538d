// Builds the C++ interop peer (test/interop/peer.c++ + capabilities/schema/test.capnp) with Debian's
// libcapnp-dev, once: the binary is cached under the system temp dir, keyed by the hash of its sources.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const schemaDir = join(here, "..", "..", "..", "..", "schema");

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "not installed (apt-get install capnproto libcapnp-dev g++)" : stderr}`));
      else resolve();
    });
  });
}

/** Path of the built peer binary (builds it if the cache has none for these sources). */
export async function buildInteropPeer(): Promise<string> {
  const source = readFileSync(join(here, "peer.c++"));
  const schema = readFileSync(join(schemaDir, "test.capnp"));
  const key = createHash("sha256").update(source).update(schema).digest("hex").slice(0, 16);
  const dir = join(tmpdir(), `zos-rpc-interop-${key}`);
  const bin = join(dir, "peer");
  if (existsSync(bin)) return bin;
  const work = mkdtempSync(join(tmpdir(), "zt-rpc-build-"));
  try {
    await run("capnp", ["compile", `-oc++:${work}`, `--src-prefix=${schemaDir}`, join(schemaDir, "test.capnp")], work);
    await run("g++", [
      "-std=c++17", "-O1", `-I${work}`, join(here, "peer.c++"), join(work, "test.capnp.c++"), "-o", join(work, "peer"),
      "-lcapnp-rpc", "-lcapnp", "-lkj-async", "-lkj", "-pthread",
    ], work);
    mkdirSync(dir, { recursive: true });
    renameSync(join(work, "peer"), bin); // atomic: a concurrent build just replaces an identical file
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}
