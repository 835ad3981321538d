// Materialising from a hub that misbehaves. The dev hub serves a pushed tree; in front of it a fault
// injector (a real HTTP server on loopback, standing in for a bad network or a busy hub — named as such)
// drops connections, cuts bodies halfway, answers late or 503, redirects, or streams a body no block can have.
// Transient faults are retried and the root equals the source; a block that keeps failing, or an answer
// no block store gives, is a clear error naming the block — with nothing extracted, no partial root.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type Flist, hex, HttpStore, materialise, readFlist, RoutedStore } from "../../capabilities/lib/flist/mod.ts";
import { describeTree, makeSourceTree } from "../../capabilities/lib/flist/test-helpers.ts";
import { listen } from "../indexer/mod.ts";
import { pushToHub } from "./push.ts";
import { type RunningHub, startHub } from "./mod.ts";

type Fault = "reset" | "cut" | "late" | "503" | "endless" | "huge" | "moved" | null;

const t = suite("flist from a misbehaving hub");
let dir = "";
let hub: RunningHub;
let front: Server;
let frontUrl = "";
let flist: Flist;
/** which fault the injector plays for block `hex` on its `n`th request (1-based) */
let fault: (hex: string, n: number) => Fault = () => null;
const requests = new Map<string, number>();

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "zt-flist-flaky-"));
  hub = await startHub({ dir: join(dir, "hub") });
  makeSourceTree(join(dir, "src"), 4); // enough blocks for the decode pool
  const pushed = await pushToHub({ hubUrl: hub.url, source: join(dir, "src"), name: "tester/flaky.fl" });
  const fl = join(dir, "flaky.fl");
  writeFileSync(fl, new Uint8Array(await (await fetch(pushed.url)).arrayBuffer()));
  flist = readFlist(fl);
  // the fault injector: passes every request to the hub unless `fault` says otherwise
  front = createServer(async (req, res) => {
    const h = (req.url ?? "").split("/").pop() ?? "";
    const n = (requests.get(h) ?? 0) + 1;
    requests.set(h, n);
    const f = fault(h, n);
    if (f === "reset") return req.socket.destroy();
    if (f === "moved") {
      res.writeHead(302, { location: `/blocks/${h}` }); // the hub's flat layout
      return res.end();
    }
    if (f === "503") {
      res.writeHead(503);
      return res.end("busy");
    }
    if (f === "endless" || f === "huge") {
      // endless: chunked, no length; huge: says 2 MiB up front
      res.writeHead(200, f === "huge" ? { "content-length": 2 * 1024 * 1024 } : { "content-type": "application/octet-stream" });
      const junk = new Uint8Array(64 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(junk));
        if (!res.destroyed) res.once("drain", pump);
      };
      res.on("close", () => res.destroy());
      return pump();
    }
    if (f === "late") await new Promise((r) => setTimeout(r, 1500));
    if (res.destroyed) return; // the client gave up meanwhile (and the hub may be gone)
    const upstream = await fetch(`${hub.url}${req.url}`).catch(() => null);
    if (!upstream) return req.socket.destroy();
    const body = new Uint8Array(await upstream.arrayBuffer());
    if (res.destroyed) return;
    res.writeHead(upstream.status, { "content-length": body.length });
    if (f === "cut") {
      res.write(body.subarray(0, body.length >> 1));
      return setTimeout(() => req.socket.destroy(), 20);
    }
    res.end(body);
  });
  frontUrl = `http://127.0.0.1:${await listen(front, "127.0.0.1", 0)}`;
});

t.after(async () => {
  front?.closeAllConnections();
  await new Promise((r) => front ? front.close(r) : r(null));
  await hub?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The flist's routes, pointed at the injector; short deadlines so a test waits a second, not minutes. */
function store(): RoutedStore {
  return new RoutedStore([{ start: 0, end: 255, url: `${frontUrl}/blocks` }], (u) => new HttpStore(u, { timeoutMs: 400, backoffMs: 20 }));
}

const blocks = () => [...new Set(flist.entries.flatMap((e) => e.blocks.map((b) => hex(b.id))))];

function nothingExtracted(target: string): void {
  assert.not.ok(existsSync(target), "no root");
  assert.equal(readdirSync(dir).filter((n) => n.includes("partial")), [], "no staging folder left");
}

t("dropped connections, cut bodies, late answers and 503s are retried, a redirect followed: the root equals the source", async () => {
  const ids = blocks();
  assert.ok(ids.length >= 16, `${ids.length} distinct blocks`);
  const plays: Record<string, Fault> = { [ids[0]]: "reset", [ids[3]]: "cut", [ids[6]]: "late", [ids[9]]: "503", [ids[12]]: "reset", [ids[15]]: "moved" };
  requests.clear();
  fault = (h, n) => (n === 1 ? plays[h] ?? null : n === 2 && h === ids[12] ? "cut" : null);
  const target = join(dir, "retried");
  const r = await materialise({ flist, store: store(), target });
  assert.equal(describeTree(target), describeTree(join(dir, "src")));
  for (const h of Object.keys(plays)) assert.ok((requests.get(h) ?? 0) >= 2, `block ${h} was asked again`);
  assert.ok(requests.get(ids[12])! >= 3, "a block failing twice is asked a third time");
  assert.is(r.blocks, flist.entries.reduce((n, e) => n + e.blocks.length, 0));
});

t("a block the hub keeps dropping is a clear error naming it, after 3 tries; nothing is extracted", async () => {
  const victim = blocks()[5];
  requests.clear();
  fault = (h) => (h === victim ? "reset" : null);
  const target = join(dir, "dropped");
  const err = await materialise({ flist, store: store(), target }).then(() => null, (e) => e as Error);
  assert.ok(err, "the materialise fails");
  assert.match(err!.message, `block ${victim}`);
  assert.match(err!.message, /failed 3 times/);
  assert.match(err!.message, /is the hub up/);
  // ≥: Deno's fetch itself resends a request once when a kept-alive connection closes before answering
  assert.ok(requests.get(victim)! >= 3, `asked ${requests.get(victim)} times`);
  nothingExtracted(target);
});

t("a hub that never answers in time is the same clear error, after the deadline of each try", async () => {
  const victim = blocks()[2];
  fault = (h) => (h === victim ? "late" : null);
  const target = join(dir, "late");
  const err = await materialise({ flist, store: store(), target }).then(() => null, (e) => e as Error);
  assert.match(err?.message ?? "", new RegExp(`block ${victim}.*no complete answer within 400 ms`));
  nothingExtracted(target);
});

t("an endless or oversized body is refused (while it streams in, or from its length), not buffered, not retried", async () => {
  for (const play of ["endless", "huge"] as const) {
    const victim = blocks()[1];
    requests.clear();
    fault = (h) => (h === victim ? play : null);
    const target = join(dir, play);
    const err = await materialise({ flist, store: store(), target }).then(() => null, (e) => e as Error);
    assert.match(err?.message ?? "", new RegExp(`block ${victim}.*more than a block can hold`), play);
    assert.is(requests.get(victim), 1, play);
    nothingExtracted(target);
  }
});

t.run();
