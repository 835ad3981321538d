// A membrane in the middle (what the kernel does): client ⇄ proxy ⇄ server over two connections, the proxy
// exporting the server's bootstrap import as its own bootstrap. The whole scenario must work through it,
// and the server's death must reach the client as "disconnected".
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Echo } from "../../schema/gen/test.ts";
import { connect } from "./connection.ts";
import { memoryTransportPair } from "./memory.ts";
import { makeEcho } from "./test/echo-impl.ts";
import { expectedFacts, runScenario } from "./test/scenario.ts";

function chain() {
  const [s1, s2] = memoryTransportPair();
  const [c1, c2] = memoryTransportPair();
  const state = { calls: 0, liveCounters: 0, kept: null, events: [] as string[] };
  const server = connect(s1, { bootstrap: makeEcho(state), name: "server" });
  const upstream = connect(s2, { name: "proxy→server" });
  const proxy = connect(c1, { bootstrap: upstream.bootstrapClientRaw(), name: "proxy→client" });
  const client = connect(c2, { name: "client" });
  return { server, upstream, proxy, client, state };
}

const t = suite("proxy (membrane) between two connections");

t("the full scenario works through the proxy", async () => {
  const { server, upstream, proxy, client, state } = chain();
  const facts = await runScenario(client, client.bootstrap(Echo));
  const { importsAfter: _i, liveCountersBeforeRelease, liveCountersAfterRelease, ...rest } = facts;
  assert.equal(rest, expectedFacts);
  assert.is(liveCountersAfterRelease, liveCountersBeforeRelease - 1, "release travelled through the proxy");
  assert.ok(state.calls >= 10, `server saw ${state.calls} calls`);
  client.close();
  await new Promise((r) => setTimeout(r, 10));
  assert.is(proxy.stats().exports, 0, "client gone: the proxy released what the client held");
  upstream.close();
  server.close();
});

t("server death reaches the client as 'disconnected'", async () => {
  const { server, upstream, proxy, client } = chain();
  const echo = client.bootstrap(Echo);
  assert.is((await echo.echo((p) => { p.text = "x"; }).promise()).text, "x");
  const pending = echo.sleep((p) => { p.ms = 400; }).promise();
  await new Promise((r) => setTimeout(r, 10));
  server.close();
  try {
    await pending;
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /^disconnected/);
  }
  try {
    await echo.echo().promise();
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /^disconnected/);
  }
  assert.not.ok(client.isClosed, "only the upstream connection died");
  client.close();
  proxy.close();
  upstream.close();
});

t.run();
