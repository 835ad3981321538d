// `zos dev` as a newcomer runs it (`npm start`): a real process that comes up, writes endpoints.json,
// stops cleanly on Ctrl-C (SIGINT), and on a second start reuses the same node identity and state.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const deno = join(root, "node_modules", "deno", "deno");
const t = suite("zos dev (npm start)");
let dir: string;

interface Run {
  events: Record<string, unknown>[];
  code: number | null;
  stderr: string;
}

/** Starts `zos dev --json`, waits for "ready", sends `signal` (Ctrl-C by default), waits for exit. */
function startAndStop(args: string[], timeoutMs = 60_000, signal: NodeJS.Signals = "SIGINT"): Promise<Run> {
  return new Promise((resolve, reject) => {
    // its own process group, so a SIGKILL reaches the kernel's children too
    const child = spawn(deno, ["run", "-A", "--no-lock", "cli/zos.ts", "dev", "--json", ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const events: Record<string, unknown>[] = [];
    let buf = "";
    let stderr = "";
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch { /* gone */ }
      reject(new Error(`zos dev did not get ready and stop within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const e = JSON.parse(line);
          events.push(e);
          // process.kill, not child.kill: Deno's ChildProcess reports a signal it sent itself as the
          // exit cause even when the child handled it and exited 0
          if (e.event === "ready") process.kill(signal === "SIGKILL" ? -child.pid! : child.pid!, signal);
        } catch { /* a library's log line */ }
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ events, code, stderr });
    });
  });
}

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), "zt-dev-"));
});

t.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let first: Record<string, unknown>;

t("comes up with the node under the kernel, registers it, writes endpoints.json atomically, stops on Ctrl-C", async () => {
  const r = await startAndStop(["--state", dir, "--block-time", "0"]);
  assert.is(r.code, 0, r.stderr);
  const ready = r.events.find((e) => e.event === "ready")!;
  assert.ok(ready, "ready event");
  assert.equal(r.events.filter((e) => e.event === "up").map((e) => e.phase), ["chain", "services", "relay", "node", "user"]);
  assert.is(ready.node_mode, "kernel");
  assert.is(r.events.at(-1)?.event, "stopped");
  assert.is(ready.new_node, true);
  const file = join(dir, "endpoints.json");
  const e = JSON.parse(readFileSync(file, "utf8"));
  for (const k of ["chain_url", "relay_url", "node_twin_id", "node_id", "user_mnemonic"]) assert.ok(e[k], k);
  assert.match(e.chain_url, /^ws:\/\/127\.0\.0\.1:\d+$/);
  assert.match(e.relay_url, /^ws:\/\/127\.0\.0\.1:\d+$/);
  assert.is(e.user_mnemonic.split(" ").length, 12);
  assert.is(statSync(file).mode & 0o777, 0o600, "holds a mnemonic: owner only");
  assert.is(statSync(join(dir, "node", "identity", "seed.txt")).mode & 0o777, 0o400, "node seed is read-only for the owner");
  first = e;
});

t("a second start reuses the node identity, its registration and the dev user", async () => {
  const r = await startAndStop(["--state", dir, "--block-time", "0"]);
  assert.is(r.code, 0, r.stderr);
  const ready = r.events.find((e) => e.event === "ready")!;
  assert.is(ready.new_node, false);
  const e = JSON.parse(readFileSync(join(dir, "endpoints.json"), "utf8"));
  assert.is(e.node_id, first.node_id);
  assert.is(e.node_twin_id, first.node_twin_id);
  assert.is(e.user_mnemonic, first.user_mnemonic);
  assert.is(e.user_twin_id, first.user_twin_id);
  assert.is(e.chain_url, first.chain_url, "same ports as last time when they are free");
  assert.is(e.relay_url, first.relay_url);
});

t("killed with -9 right after registering, the next start (in-process fallback) still has the same node", async () => {
  const killed = await startAndStop(["--state", dir, "--block-time", "0"], 60_000, "SIGKILL");
  assert.ok(killed.events.some((e) => e.event === "ready"));
  // the in-process fallback keeps its seed where the kernel's identity driver does: same node
  const r = await startAndStop(["--state", dir, "--block-time", "0", "--in-process"]);
  assert.is(r.code, 0, r.stderr);
  const ready = r.events.find((e) => e.event === "ready")!;
  assert.is(ready.new_node, false);
  assert.is(ready.node_id, first.node_id);
  assert.is(ready.user_twin_id, first.user_twin_id);
  assert.is(ready.node_mode, "in-process");
});

t("bad flags: exit 2 with a message, nothing started", async () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; err: string }>((resolve) => {
      const c = spawn(deno, ["run", "-A", "--no-lock", "cli/zos.ts", "dev", ...args], { cwd: root });
      let err = "";
      c.stderr.on("data", (d) => (err += d));
      c.on("exit", (code) => resolve({ code, err }));
    });
  let r = await run(["--block-time", "soon"]);
  assert.is(r.code, 2, r.err);
  assert.match(r.err, /--block-time must be 0-60000/);
  r = await run(["--relay-port", "70000"]);
  assert.is(r.code, 2);
  assert.match(r.err, /--relay-port must be a port number/);
  r = await run(["--nope"]);
  assert.is(r.code, 2);
});

t.run();
