import { spawnConnected } from "../stdio.ts";
import { Echo } from "../../../schema/gen/test.ts";
const { conn, exited } = spawnConnected("node_modules/deno/deno", ["run", "-A", "--quiet", "capabilities/lib/rpc/test/peer.ts", "serve-stdio"]);
const echo = conn.bootstrap(Echo);
setTimeout(() => { console.log("stats", conn.stats(), conn.error); }, 2000);
void exited.then((c) => console.log("child exited", c));
void conn.closed.then((e) => console.log("closed", e?.message));
try { console.log((await echo.echo((p) => { p.text = "a"; }).promise()).text); } catch (e) { console.log("err", (e as Error).message); }
conn.close();
