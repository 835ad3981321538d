// Three processes, as in the OS: module ↔ kernel-like proxy ↔ driver. The proxy has no generated code
// loaded, so every call crosses it as AnyStruct with its cap table re-exported on the other connection:
// callbacks, pipelining, release and loop-back capabilities must all survive, and the driver's death
// must reach the module as "disconnected" while the module's own connection stays up.
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Echo } from "../../schema/gen/test.ts";
import { spawnConnected } from "./stdio.ts";
import { expectedFacts, runScenario } from "./test/scenario.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..", "..");
const deno = join(root, "node_modules", "deno", "deno");
const driverArgs = ["run", "-A", "--quiet", join(here, "test", "peer.ts"), "serve-stdio"];
const proxyArgs = ["run", "-A", "--quiet", join(here, "test", "proxy-peer.ts"), deno, ...driverArgs];

function startChain() {
  const s = spawnConnected(deno, proxyArgs, { name: "kernel", spawn: { cwd: root, stderr: "pipe" } });
  let err = "";
  s.child.stderr!.on("data", (d: Uint8Array) => (err += new TextDecoder().decode(d)));
  const lines = () => err.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, number>);
  return { ...s, lines };
}

const t = suite("module ↔ proxy (no generated code) ↔ driver");

t("the full scenario crosses the proxy as AnyStruct", async () => {
  const { conn, exited, lines } = startChain();
  const facts = await runScenario(conn, conn.bootstrap(Echo));
  const { importsAfter: _i, liveCountersBeforeRelease, liveCountersAfterRelease, ...rest } = facts;
  assert.equal(rest, expectedFacts);
  assert.is(liveCountersAfterRelease, liveCountersBeforeRelease - 1, "the module's Release reached the driver");
  conn.close();
  assert.is(await exited, 0);
  const end = lines().find((l) => "calls" in l)!;
  assert.is(end.registeredInterfaces, 0, "the proxy had no generated code loaded");
  assert.ok(end.calls >= 10, `the proxy forwarded the module's calls (${end.calls})`);
});

t("driver killed: the module's calls fail 'disconnected', its connection to the proxy stays", async () => {
  const { conn, exited, lines } = startChain();
  const echo = conn.bootstrap(Echo);
  assert.is((await echo.echo((p) => { p.text = "up"; }).promise()).text, "up");
  const pending = echo.sleep((p) => { p.ms = 60000; }).promise();
  await new Promise((r) => setTimeout(r, 50));
  const driverPid = lines().find((l) => "driverPid" in l)!.driverPid;
  process.kill(driverPid, "SIGKILL");
  for (const p of [pending, echo.echo().promise()]) {
    try {
      await p;
      assert.unreachable();
    } catch (e) {
      assert.match((e as Error).message, /^disconnected/);
    }
  }
  assert.not.ok(conn.isClosed, "module ↔ proxy connection still open");
  conn.close();
  assert.is(await exited, 0);
});

t.run();
