// Two real processes: the Echo scenario over stdio and over a unix socket, with the peer on Deno and on Node
// (via tsx), kill -9 of the peer, and a clean close from either side.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Echo } from "../../schema/gen/test.ts";
import { dial, listen } from "./net.ts";
import { spawnConnected } from "./stdio.ts";
import { makeEcho } from "./test/echo-impl.ts";
import { expectedFacts, runScenario, type ScenarioFacts } from "./test/scenario.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..", "..");
const peer = join(here, "test", "peer.ts");
const deno = join(root, "node_modules", "deno", "deno");
const onDeno = (mode: string, ...args: string[]): [string, string[]] => [deno, ["run", "-A", "--quiet", peer, mode, ...args]];
const onNode = (mode: string, ...args: string[]): [string, string[]] => ["node", ["--import", "tsx", peer, mode, ...args]];

function checkFacts(f: ScenarioFacts): void {
  const { importsAfter: _i, liveCountersBeforeRelease, liveCountersAfterRelease, ...rest } = f;
  assert.equal(rest, expectedFacts);
  assert.ok(liveCountersBeforeRelease >= 1, "server holds the counter before release");
  assert.is(liveCountersAfterRelease, liveCountersBeforeRelease - 1, "release disposed the server's counter");
}

/** Starts a unix-socket server process; resolves when it printed "ready". */
function startSocketServer(cmd: [string, string[]]): Promise<{ kill: () => void }> {
  const child = spawn(cmd[0], cmd[1], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("server did not print ready in 20s")), 20000);
    let out = "";
    child.stdout!.on("data", (d: Uint8Array) => {
      out += new TextDecoder().decode(d);
      if (out.includes("ready")) {
        clearTimeout(t);
        resolve({ kill: () => child.kill("SIGKILL") });
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited early (${code})`)));
  });
}

function runToEnd(cmd: [string, string[]]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(cmd[0], cmd[1], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout!.on("data", (d: Uint8Array) => (stdout += new TextDecoder().decode(d)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60000); // a hang fails the test, not the suite
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    })
  );
}

const t = suite("rpc between processes");
let dir = "";
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), "zt-rpc-"));
});
t.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

t("stdio, Deno child serves: bootstrap, calls, caps both ways, pipelining, release, close", async () => {
  const [cmd, args] = onDeno("serve-stdio");
  const { conn, exited } = spawnConnected(cmd, args, { spawn: { cwd: root } });
  try {
    checkFacts(await runScenario(conn, conn.bootstrap(Echo)));
  } finally {
    conn.close();
  }
  assert.is(await conn.closed, undefined);
  assert.is(await exited, 0, "child saw a clean end of stream and exited 0");
});

t("stdio, Node child serves (the same scenario with the peer on Node)", async () => {
  const [cmd, args] = onNode("serve-stdio");
  const { conn, exited } = spawnConnected(cmd, args, { spawn: { cwd: root } });
  try {
    checkFacts(await runScenario(conn, conn.bootstrap(Echo)));
  } finally {
    conn.close();
  }
  assert.is(await exited, 0);
});

t("unix socket, Deno server process", async () => {
  const path = join(dir, "deno.sock");
  const server = await startSocketServer(onDeno("serve-unix", path));
  try {
    const conn = await dial({ path });
    checkFacts(await runScenario(conn, conn.bootstrap(Echo)));
    conn.close();
  } finally {
    server.kill();
  }
});

t("unix socket, Node client process against a Deno server process", async () => {
  const path = join(dir, "mixed.sock");
  const server = await startSocketServer(onDeno("serve-unix", path));
  try {
    const r = await runToEnd(onNode("scenario-unix", path));
    assert.is(r.code, 0);
    checkFacts(JSON.parse(r.stdout.trim()) as ScenarioFacts);
  } finally {
    server.kill();
  }
});

t("TCP on 127.0.0.1 (listener and dialer, real sockets)", async () => {
  const l = await listen({ host: "127.0.0.1", port: 0 }, () => ({ bootstrap: makeEcho() }));
  try {
    assert.ok("port" in l.address && l.address.port > 0);
    const conn = await dial(l.address);
    checkFacts(await runScenario(conn, conn.bootstrap(Echo)));
    conn.close();
  } finally {
    await l.close();
  }
});

t("dial to a missing socket is a clear error", async () => {
  try {
    await dial({ path: join(dir, "nobody-listens.sock") });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /^cannot connect to unix:.*nobody-listens\.sock/);
  }
});

t("child is the client: parent serves over stdio, child closes cleanly", async () => {
  const state = { calls: 0, liveCounters: 0, kept: null, events: [] as string[] };
  const [cmd, args] = onDeno("scenario-stdio");
  const { conn, exited } = spawnConnected(cmd, args, { bootstrap: makeEcho(state), spawn: { cwd: root } });
  assert.is(await exited, 0);
  const err = await conn.closed;
  assert.ok(err instanceof Error);
  assert.match(err!.message, /^disconnected/);
  assert.ok(state.calls >= 10, `server handled the scenario's calls (${state.calls})`);
  assert.is(state.liveCounters, 0, "every counter the child obtained was released or dropped with the connection");
});

t("a capability dropped without close() is released when garbage collected", async () => {
  const state = { calls: 0, liveCounters: 0, kept: null, events: [] as string[] };
  const { conn, child, exited } = spawnConnected(deno, ["run", "-A", "--quiet", "--v8-flags=--expose-gc", peer, "gc-release"], {
    bootstrap: makeEcho(state),
    spawn: { cwd: root, stderr: "pipe" },
  });
  let err = "";
  child.stderr!.on("data", (d: Uint8Array) => (err += new TextDecoder().decode(d)));
  assert.is(await exited, 0);
  await conn.closed;
  // Measured by the child before it closed the connection (closing would dispose everything anyway).
  const seen = JSON.parse(err.trim().split("\n").pop()!) as { before: number; after: number; gc: boolean };
  assert.equal(seen, { before: 1, after: 0, gc: true });
});

t("kill -9 of the peer: pending calls and caps reject with 'disconnected'", async () => {
  const [cmd, args] = onDeno("serve-stdio");
  const { conn, child, exited } = spawnConnected(cmd, args, { spawn: { cwd: root } });
  const echo = conn.bootstrap(Echo);
  const counter = (await echo.newCounter((p) => { p.name = "k"; }).promise()).counter;
  assert.is((await counter.inc((p) => { p.by = 1; }).promise()).value, 1);
  const pending = echo.sleep((p) => { p.ms = 60000; }).promise();
  const pipelined = echo.newCounter((p) => { p.name = "slow"; p.delayMs = 60000; }).getCounter().inc().promise();
  await new Promise((r) => setTimeout(r, 50));
  child.kill("SIGKILL");
  for (const p of [pending, pipelined, counter.inc().promise(), echo.echo().promise()]) {
    try {
      await p;
      assert.unreachable("call should have failed");
    } catch (e) {
      assert.match((e as Error).message, /^disconnected/);
    }
  }
  const err = await conn.closed;
  assert.match(err!.message, /^disconnected/);
  assert.is(await exited, "SIGKILL");
});

t.run();
