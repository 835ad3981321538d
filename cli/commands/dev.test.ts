// `zos dev` as a newcomer runs it: `npm start` is `node bin/zos.js dev`, so every run here starts the npm
// shim (bin/zos.js) under Node, which starts the CLI on Deno. A real process that comes up, writes
// endpoints.json, stops cleanly on Ctrl-C (SIGINT) or SIGTERM sent to the shim (forwarded to the CLI, exit 0),
// reports a CLI killed by a signal as 128+n, passes exit code 2 of bad flags through, and on a second
// start reuses the same node identity and state.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { releaseUnder } from "../../modules/node/dev-disks.ts";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const shim = join(root, "bin", "zos.js");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const t = suite("zos dev (npm start)");
let dir: string;

interface Run {
  events: Record<string, unknown>[];
  code: number | null;
  stderr: string;
}

/** The CLI process the shim started (its only child). */
function shimChild(pid: number): number {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  assert.is(kids.length, 1, `bin/zos.js has one child (the CLI on Deno), got ${kids.join(",")}`);
  return kids[0];
}

/** The way `stop` ends the run once "ready" is printed: a signal to the shim (what a terminal's Ctrl-C or a
 * service manager does), SIGKILL to the whole process group, or SIGKILL to the CLI process only (the shim
 * must report it as 128+9). */
type Stop = "SIGINT" | "SIGTERM" | "SIGKILL" | "SIGKILL-cli";

/** Starts `node bin/zos.js dev --json` (= npm start), waits for "ready", stops it with `stop`, waits for exit. */
function startAndStop(args: string[], timeoutMs = 90_000, stop: Stop = "SIGINT"): Promise<Run> {
  return new Promise((resolve, reject) => {
    // its own process group, so a SIGKILL reaches the kernel's children too
    const child = spawn(process.execPath.includes("deno") ? "node" : process.execPath, [shim, "dev", "--json", ...args], {
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
          if (e.event === "ready") {
            if (stop === "SIGKILL") process.kill(-child.pid!, "SIGKILL");
            else if (stop === "SIGKILL-cli") process.kill(shimChild(child.pid!), "SIGKILL");
            else process.kill(child.pid!, stop);
          }
        } catch { /* a library's log line */ }
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      // whatever the CLI left behind in the group (the kernel's children when the CLI was killed)
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch { /* nothing left */ }
      resolve({ events, code, stderr });
    });
  });
}

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), "zt-dev-"));
});

t.after(() => {
  // the CLI killed with -9 (last runs) could not unmount the node's pools or detach its loop devices
  releaseUnder(dir);
  rmSync(dir, { recursive: true, force: true });
});

let first: Record<string, unknown>;

t("npm start's command line is the one run here", () => {
  assert.is(pkg.scripts.start, "node bin/zos.js dev");
  assert.is(pkg.bin.zos, "bin/zos.js");
});

t("comes up with the node under the kernel, registers it, writes endpoints.json atomically, stops on Ctrl-C", async () => {
  const r = await startAndStop(["--state", dir, "--block-time", "0"]);
  assert.is(r.code, 0, r.stderr);
  const ready = r.events.find((e) => e.event === "ready")!;
  assert.ok(ready, "ready event");
  // as root the node is also the access node with its gateway reachable from this host (docs/gateways.md)
  const asRoot = process.getuid?.() === 0;
  assert.equal(r.events.filter((e) => e.event === "up").map((e) => e.phase), ["chain", "services", "relay", "node", ...(asRoot ? ["access-node", "gateway"] : []), "user"]);
  assert.is(ready.node_mode, "kernel");
  assert.is(r.events.at(-1)?.event, "stopped");
  assert.is(ready.new_node, true);
  const file = join(dir, "endpoints.json");
  const e = JSON.parse(readFileSync(file, "utf8"));
  for (const k of ["chain_url", "relay_url", "node_twin_id", "node_id", "user_mnemonic"]) assert.ok(e[k], k);
  assert.match(e.chain_url, /^ws:\/\/127\.0\.0\.1:\d+$/);
  assert.match(e.relay_url, /^ws:\/\/127\.0\.0\.1:\d+$/);
  if (asRoot) {
    assert.match(e.gateway_url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.is(e.access_node.domain, "node1.zos.test");
  } else assert.not.ok(e.gateway_url, "not root: no access node, no gateway_url");
  assert.is(e.user_mnemonic.split(" ").length, 12);
  assert.is(statSync(file).mode & 0o777, 0o600, "holds a mnemonic: owner only");
  assert.is(statSync(join(dir, "node", "identity", "seed.txt")).mode & 0o777, 0o400, "node seed is read-only for the owner");
  first = e;
});

t("a second start reuses the node identity, its registration and the dev user; SIGTERM stops it cleanly", async () => {
  const r = await startAndStop(["--state", dir, "--block-time", "0"], 90_000, "SIGTERM");
  assert.is(r.code, 0, r.stderr);
  assert.is(r.events.at(-1)?.event, "stopped", "SIGTERM forwarded by the shim: a clean stop");
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

t("killed with -9 right after registering, the next start still has the same node", async () => {
  const killed = await startAndStop(["--state", dir, "--block-time", "0"], 90_000, "SIGKILL");
  assert.ok(killed.events.some((e) => e.event === "ready"));
  const r = await startAndStop(["--state", dir, "--block-time", "0"]);
  assert.is(r.code, 0, r.stderr);
  const ready = r.events.find((e) => e.event === "ready")!;
  assert.is(ready.new_node, false);
  assert.is(ready.node_id, first.node_id);
  assert.is(ready.user_twin_id, first.user_twin_id);
  assert.is(ready.node_mode, "kernel");
});

t("the CLI killed by a signal: bin/zos.js exits 128+9, as a shell reports it", async () => {
  const r = await startAndStop(["--state", dir, "--block-time", "0"], 90_000, "SIGKILL-cli");
  assert.ok(r.events.some((e) => e.event === "ready"));
  assert.is(r.code, 137);
  assert.not.ok(r.events.some((e) => e.event === "stopped"), "no clean stop happened");
});

t("bad flags: exit 2 with a message, nothing started", async () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; err: string; out: string }>((resolve) => {
      const c = spawn(process.execPath.includes("deno") ? "node" : process.execPath, [shim, "dev", ...args], { cwd: root });
      let err = "";
      let out = "";
      c.stderr.on("data", (d) => (err += d));
      c.stdout.on("data", (d) => (out += d));
      c.on("exit", (code) => resolve({ code, err, out }));
    });
  let r = await run(["--block-time", "soon"]);
  assert.is(r.code, 2, r.err);
  assert.match(r.err, /--block-time must be 0-60000/);
  r = await run(["--relay-port", "70000"]);
  assert.is(r.code, 2);
  assert.match(r.err, /--relay-port must be a port number/);
  r = await run(["--nope"]);
  assert.is(r.code, 2);
  r = await run(["--in-process"]);
  assert.is(r.code, 2, "the in-process node host is gone");
  r = await run(["--nodes", "2", "--access-node", "3"]);
  assert.is(r.code, 2);
  assert.match(r.err, /--access-node must be a node number 1-2/);
  r = await run(["--help"]);
  assert.is(r.code, 0);
  assert.match(r.out, /usage: zos dev/);
  assert.match(r.out, /--access-node K/);
  assert.not.match(r.out, /in-process/);
});

t.run();
