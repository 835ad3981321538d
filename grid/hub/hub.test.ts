// The dev hub with real files and the real CLI: `zos hub push` (bin/zos.js) packs a tree onto the hub;
// the Zero-OS hub API lists it with the md5 zos checks; a client downloads the .fl, follows its route
// to the hub's block store over HTTP, verifies every block and materialises a tree equal to the source.
// The hub refuses blocks that do not hash to their id and flists whose blocks it lacks; a block
// tampered on the hub's disk is an error for the client, with nothing extracted.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BlockError, encodeBlock, hex, materialise, readFlist, RoutedStore } from "../../capabilities/lib/flist/mod.ts";
import { describeTree, makeSourceTree } from "../../capabilities/lib/flist/test-helpers.ts";
import { type RunningHub, startHub } from "./mod.ts";
import { pushToHub } from "./push.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const t = suite("dev hub");
let dir = "";
let hub: RunningHub;

function zos(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((ok) => {
    const c = spawn(process.execPath.includes("deno") ? "node" : process.execPath, [join(root, "bin/zos.js"), ...args], { cwd: dir });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    c.on("exit", (code) => ok({ code: code ?? 1, out, err }));
  });
}

async function download(url: string, file: string): Promise<void> {
  const r = await fetch(url);
  assert.is(r.status, 200, url);
  writeFileSync(file, new Uint8Array(await r.arrayBuffer()));
}

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "zt-flist-hub-"));
  hub = await startHub({ dir: join(dir, "hub") });
  makeSourceTree(join(dir, "src"));
});
t.after(async () => {
  await hub?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

t("push → hub API → download → verify → materialise equals the source", async () => {
  const r = await zos(["hub", "push", join(dir, "src"), "tester/root", "--hub", hub.url, "--json"]);
  assert.is(r.code, 0, r.err);
  const pushed = JSON.parse(r.out);
  assert.is(pushed.name, "tester/root.fl");
  assert.is(pushed.url, `${hub.url}/tester/root.fl`);
  assert.ok(pushed.uploaded > 0);
  // the listing and info endpoints zos and the clients use
  assert.equal(await (await fetch(`${hub.url}/api/flist`)).json(), ["tester/root.fl"]);
  const repo = await (await fetch(`${hub.url}/api/flist/tester`)).json();
  assert.is(repo[0].name, "root.fl");
  assert.is(repo[0].type, "regular");
  const light = await (await fetch(`${hub.url}/api/flist/tester/root.fl/light`)).json();
  const fl = join(dir, "root.fl");
  await download(pushed.url, fl);
  const md5 = createHash("md5").update(readFileSync(fl)).digest("hex");
  assert.is(light.md5, md5);
  assert.is(pushed.md5, md5);
  assert.is(await (await fetch(`${pushed.url}.md5`)).text(), `${md5}\n`);
  const listing = await (await fetch(`${hub.url}/api/flist/tester/root.fl`)).json();
  assert.ok(listing.content.some((c: { path: string }) => c.path === "/usr/bin/tool"));
  assert.equal(hub.flists(), { "tester/root.fl": pushed.url });
  // a client: the route in the .fl leads to the hub's store over HTTP
  const f = readFlist(fl);
  assert.equal(f.routes, [{ start: 0, end: 255, url: `${hub.url}/blocks` }]);
  const target = join(dir, "out");
  await materialise({ flist: f, store: new RoutedStore(f.routes), target });
  assert.equal(describeTree(target), describeTree(join(dir, "src")));
  // a second push of the same tree uploads nothing new
  const again = JSON.parse((await zos(["hub", "push", join(dir, "src"), "tester/root2", "--hub", hub.url, "--json"])).out);
  assert.is(again.uploaded, 0);
});

t("readerHubUrl: the pushed .fl routes its readers to the hub's address as they reach it (a node in QEMU)", async () => {
  const reader = "http://10.0.2.2:8080";
  const pushed = await pushToHub({ hubUrl: hub.url, source: join(dir, "src"), name: "tester/guestview.fl", readerHubUrl: `${reader}/` });
  assert.is(pushed.url, `${hub.url}/tester/guestview.fl`, "published on the hub the pusher reached");
  const fl = join(dir, "guestview.fl");
  await download(pushed.url, fl);
  assert.equal(readFlist(fl).routes, [{ start: 0, end: 255, url: `${reader}/blocks` }]);
});

t("a block tampered on the hub is an error for the client; nothing is extracted", async () => {
  const fl = join(dir, "root-t.fl");
  await download(`${hub.url}/tester/root.fl`, fl);
  const f = readFlist(fl);
  const victim = hex(f.entries.find((e) => e.path === "usr/text")!.blocks[0].id);
  const file = join(dir, "hub", "blocks", victim.slice(0, 2), victim);
  const data = readFileSync(file);
  data[data.length - 1] ^= 0x40;
  writeFileSync(file, data);
  const target = join(dir, "out-tampered");
  try {
    await materialise({ flist: f, store: new RoutedStore(f.routes), target });
    assert.unreachable("tampered block accepted");
  } catch (e) {
    assert.instance(e, BlockError);
    assert.match((e as Error).message, victim);
  }
  assert.not.ok(existsSync(target));
  assert.equal(readdirSync(dir).filter((n) => n.includes("partial")), []);
});

t("the hub refuses a block that does not hash to its id, and a flist whose blocks it lacks", async () => {
  const b = encodeBlock(new TextEncoder().encode("lonely block"));
  const wrong = await fetch(`${hub.url}/api/v1/block/${"0".repeat(64)}`, { method: "PUT", body: new Uint8Array(b.data) });
  assert.is(wrong.status, 400);
  assert.match((await wrong.json()).error, /does not hash to its id/);
  // a flist naming a block the hub never got
  const { packFlist, DirStore } = await import("../../capabilities/lib/flist/mod.ts");
  const src = join(dir, "orphan-src");
  makeSourceTree(src);
  writeFileSync(join(src, "unique"), `only here ${Date.now()}`);
  const fl = join(dir, "orphan.fl");
  await packFlist({ source: src, output: fl, store: new DirStore(join(dir, "orphan-blocks")) });
  const put = await fetch(`${hub.url}/api/flist/tester/orphan.fl`, { method: "PUT", body: readFileSync(fl) });
  assert.is(put.status, 409);
  assert.match((await put.json()).error, /not on the hub/);
  assert.is((await fetch(`${hub.url}/tester/orphan.fl`)).status, 404);
  const bad = await fetch(`${hub.url}/api/flist/tester/junk.fl`, { method: "PUT", body: "junk" });
  assert.is(bad.status, 400);
  assert.is((await fetch(`${hub.url}/api/flist/..%2Fetc/x.fl/light`)).status, 400);
});

t("CLI: --help, bad input and an unreachable hub are clear errors with exit codes", async () => {
  const help = await zos(["hub", "push", "--help"]);
  assert.is(help.code, 0);
  assert.match(help.out, /zos hub push DIR NAME/);
  const notDir = await zos(["hub", "push", join(dir, "nope"), "x", "--hub", hub.url]);
  assert.is(notDir.code, 2);
  assert.match(notDir.err, /is not a directory/);
  assert.not.match(notDir.err, /at .*\.ts:\d+/);
  const badName = await zos(["hub", "push", join(dir, "src"), "a/b/c", "--hub", hub.url]);
  assert.is(badName.code, 2);
  assert.match(badName.err, /more than one/);
  const noGrid = await zos(["hub", "push", join(dir, "src"), "x", "--state", join(dir, "no-state")]);
  assert.is(noGrid.code, 2);
  assert.match(noGrid.err, /npm start/);
});

t.run();
