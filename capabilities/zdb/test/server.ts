// Test helper: the 0-db server as a real process (capabilities/zdb/serve.ts under Deno, with only the
// permissions it needs), on a free loopback port and a unix socket in the test's temp folder.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { Redis } from "ioredis";
import { denoBinary, repoRoot } from "../../../kernel/sandbox.ts";

export interface ZdbProcess {
  port: number;
  socket: string;
  proc: ChildProcess;
  /** a connected ioredis client (closed by stop()) */
  client(opts?: { socket?: boolean }): Redis;
  /** SIGKILL, no cleanup: what a crash looks like */
  kill9(): Promise<void>;
  stop(): Promise<void>;
  stderr(): string;
}

export interface ZdbStartOptions {
  admin?: string;
  protect?: boolean;
  datasize?: number;
}

export async function startZdb(dir: string, o: ZdbStartOptions = {}): Promise<ZdbProcess> {
  const data = join(dir, "data");
  const socket = join(dir, "zdb.sock");
  const args = [
    "run", "--quiet", "--no-prompt", "--allow-net=127.0.0.1:0,unix:" + socket, `--allow-read=${dir}`, `--allow-write=${dir}`,
    join(repoRoot, "capabilities/zdb/serve.ts"), "--data", data, "--listen", "127.0.0.1", "--port", "0", "--socket", socket,
  ];
  if (o.admin) args.push("--admin", o.admin);
  if (o.protect) args.push("--protect");
  if (o.datasize) args.push("--datasize", String(o.datasize));
  const proc = spawn(denoBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`zdb did not start in 30 s: ${err}`)), 30_000);
    proc.stdout!.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(t);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`zdb exited with ${code}: ${err}`));
    });
  });
  const clients: Redis[] = [];
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const closeClients = () => {
    for (const c of clients) c.disconnect();
  };
  return {
    port: ready.port,
    socket,
    proc,
    client(opts = {}) {
      const c = opts.socket
        ? new Redis({ path: socket, lazyConnect: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
        : new Redis({ host: "127.0.0.1", port: ready.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on("error", () => {});
      clients.push(c);
      return c;
    },
    async kill9() {
      closeClients();
      proc.kill("SIGKILL");
      await exited;
    },
    async stop() {
      closeClients();
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
    },
    stderr: () => err,
  };
}

/** A reply or the error text, so a test can compare both the same way. */
export async function reply(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}
