// Connections over a child process's stdio: the parent side spawns and connects, the child side serves
// (or calls) over its own stdin/stdout. stdout carries only RPC frames, so connectStdio() moves console
// output to stderr.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { fstatSync } from "node:fs";
import { Socket } from "node:net";
import process from "node:process";
import { connect, type ConnectOptions, type Connection } from "./connection.ts";
import { streamTransport } from "./transport.ts";

/** In the child: the connection to the parent over process.stdin/stdout. */
export function connectStdio(opts: ConnectOptions = {}): Connection {
  // Anything printed with console.* would corrupt the frame stream: send it to stderr instead.
  const toErr = (...args: unknown[]): void => {
    process.stderr.write(args.map((a) => (typeof a === "string" ? a : String(a))).join(" ") + "\n");
  };
  console.log = toErr;
  console.info = toErr;
  console.debug = toErr;
  const conn = connect(streamTransport(stdinReadable(), process.stdout), { name: "parent", ...opts });
  return conn;
}

/**
 * stdin as a readable. When it is a pipe or a socket (always, under the kernel) it is read as a non-blocking
 * socket on the event loop: Deno's process.stdin reads through a blocking worker thread, which costs two
 * thread wake-ups per incoming frame (a raw 64-byte pipe round trip pinned to one CPU: ~24 µs with
 * process.stdin, ~13 µs with the socket). A terminal or a file stays process.stdin.
 */
function stdinReadable(): Socket | typeof process.stdin {
  try {
    const st = fstatSync(0);
    if (st.isFIFO() || st.isSocket()) return new Socket({ fd: 0, readable: true, writable: false });
  } catch { /* no fd 0 to inspect: fall back */ }
  return process.stdin;
}

export interface SpawnedConnection {
  conn: Connection;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the child exits. */
  exited: Promise<number | string>;
}

/** In the parent: spawns `command args` with stdin/stdout as the RPC stream (stderr inherited by default). */
export function spawnConnected(
  command: string,
  args: string[],
  opts: ConnectOptions & { spawn?: Omit<SpawnOptions, "stdio"> & { stderr?: "inherit" | "pipe" | "ignore" } } = {},
): SpawnedConnection {
  const { spawn: sopts = {}, ...copts } = opts;
  const { stderr = "inherit", ...rest } = sopts;
  const child = spawn(command, args, { ...rest, stdio: ["pipe", "pipe", stderr] });
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1));
    child.on("error", () => resolve(-1));
  });
  if (!child.stdout || !child.stdin) throw new Error(`spawn ${command}: no stdio pipes`);
  child.stdin.on("error", () => {}); // EPIPE after the child died: the connection reports it as disconnected
  const conn = connect(streamTransport(child.stdout, child.stdin), { name: command, ...copts });
  return { conn, child, exited };
}
