// A second process for the RPC tests and bench/rpc.ts (runs on Deno and on Node via tsx).
//   peer.ts serve-stdio                 serve Echo over stdin/stdout until EOF
//   peer.ts serve-unix PATH             serve Echo on a unix socket; prints "ready" on stdout; runs until killed
//   peer.ts scenario-unix PATH          run the scenario against PATH, print the facts as JSON on stdout
//   peer.ts scenario-stdio              run the scenario against the parent's bootstrap over stdio, then exit
import process from "node:process";
import { Echo } from "../../../schema/gen/test.ts";
import { dial, listen } from "../net.ts";
import { connectStdio } from "../stdio.ts";
import { makeEcho } from "./echo-impl.ts";
import { runScenario } from "./scenario.ts";

const [mode, arg] = process.argv.slice(2);

if (mode === "serve-stdio") {
  const conn = connectStdio({ bootstrap: makeEcho(), name: "parent" });
  const err = await conn.closed;
  process.exit(err && !err.message.includes("peer closed") ? 3 : 0);
} else if (mode === "serve-unix") {
  await listen({ path: arg }, () => ({ bootstrap: makeEcho() }));
  process.stdout.write("ready\n");
} else if (mode === "scenario-unix") {
  const conn = await dial({ path: arg });
  const facts = await runScenario(conn, conn.bootstrap(Echo));
  process.stdout.write(JSON.stringify(facts) + "\n");
  conn.close();
  process.exit(0);
} else if (mode === "scenario-stdio") {
  const conn = connectStdio({ name: "parent" });
  const facts = await runScenario(conn, conn.bootstrap(Echo));
  process.stderr.write(JSON.stringify(facts) + "\n");
  conn.close();
  process.exit(0);
} else if (mode === "gc-release") {
  // Needs --v8-flags=--expose-gc: a capability dropped without close() is released once collected.
  const conn = connectStdio({ name: "parent" });
  const echo = conn.bootstrap(Echo);
  const live = async () => (await echo.stats().promise()).liveCounters;
  await (async () => {
    const r = await echo.newCounter((p) => { p.name = "dropped"; }).promise();
    await r.counter.inc().promise();
  })();
  const before = await live();
  let after = before;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 50 && after !== 0 && gc; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
    after = await live();
  }
  process.stderr.write(JSON.stringify({ before, after, gc: !!gc }) + "\n");
  conn.close();
  process.exit(0);
} else {
  process.stderr.write(`peer.ts: unknown mode ${mode ?? "(none)"}\n`);
  process.exit(2);
}
