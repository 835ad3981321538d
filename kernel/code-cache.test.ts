// The read-only V8 code cache (issue 15): built as the image build builds it (rootfs/lib/code-cache.ts: one run,
// its code cache and module-graph analysis rewritten deterministically, WAL mode, analysed), used by a process that cannot write it (Deno's own debug
// output: it compiles nothing from source), chosen by the kernel only when no node process can change it
// (kernel/code-cache.ts), and a stale or tampered cache only costs a compile. The bundle sits at a host path
// here (a cache is keyed by the module's URL); the image's own caches are checked in vm-tests/direct-boot.test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle } from "../rootfs/lib/bundle.ts";
import { bundlePath, processStub } from "../rootfs/build.ts";
import { type CacheDb, CODE_CACHE_DB, codeCacheRows, readCacheDb, sealDenoDir, writeCacheDb } from "../rootfs/lib/code-cache.ts";
import { chooseCodeCache, CODE_CACHE_FILES } from "./code-cache.ts";
import { validateManifest } from "./manifest.ts";
import { audit, renderAudit } from "./audit.ts";
import { startKernel, type KernelEvent } from "./mod.ts";
import { denoBinary, launchPlan, repoRoot } from "./sandbox.ts";
import { rootOnly } from "../tools/test-env.ts";

const work = mkdtempSync(join(tmpdir(), "zt-codecache-"));
chmodSync(work, 0o755); // the processes' own uids traverse it
const root = join(work, "root"); // a manifest root laid out as the image's /lib/zos: stub + bundle + codecache/
const entry = "capabilities/kv/main.ts";
const bundled = bundlePath(entry);
const cacheDir = join(root, "codecache", "kv");
const state = join(work, "state");
const UID = 64731; // a uid of this test's own (nothing else on the machine uses it)

function kvSpec(extra: Record<string, unknown> = {}) {
  const r = validateManifest({
    version: 1, root, uidBase: UID,
    processes: { kv: { kind: "driver", entry, args: ["${state}/kv"], sandbox: { read: ["${state}/kv"], write: ["${state}/kv"] }, exposes: { kv: { interface: "Kv" } }, ...extra } },
  }, { path: join(work, "manifest.json") });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.manifest;
}

/** kv started with the kernel's own command line (launchPlan) plus `-L debug`, under `denoDir`; as UID when root. */
function runKv(denoDir: string, v8Flags: string[] = []): { status: number | null; recompiled: string[]; output: string } {
  const spec = { ...kvSpec().processes[0], v8Flags };
  mkdirSync(join(state, "kv"), { recursive: true });
  chmodSync(state, 0o777);
  chmodSync(join(state, "kv"), 0o777);
  const plan = launchPlan(spec, { vars: { state, root }, cwd: work, identity: null, denoDir });
  // the kernel's line, its --quiet (which would silence the log) replaced by Deno's debug log
  const args = ["run", "-L", "debug", ...plan.args.slice(1).filter((a) => a !== "--quiet")];
  const asUid = process.getuid?.() === 0 ? ["/usr/bin/setpriv", `--reuid=${UID}`, `--regid=${UID}`, "--clear-groups", "--"] : [];
  const r = spawnSync(asUid[0] ?? plan.command, [...asUid.slice(1), ...(asUid.length ? [plan.command] : []), ...args], { cwd: work, env: plan.env, input: "", encoding: "utf8", timeout: 60_000 });
  const output = `${r.stdout}${r.stderr}${r.error?.message ?? ""}`;
  // Deno writes a module's cache entry only when it had none it could use (missing, stale or refused by V8)
  const recompiled = [...output.matchAll(/Updating V8 code cache for ES module: (\S+),/g)].map((m) => m[1]);
  return { status: r.status, recompiled, output };
}

/** A cache folder as the image carries it: root's, read-only to everyone else. */
function sealAsImage(dir: string): void {
  for (const f of CODE_CACHE_FILES) {
    chownSync(join(dir, f), 0, 0);
    chmodSync(join(dir, f), 0o644);
  }
  chownSync(dir, 0, 0);
  chmodSync(dir, 0o755);
}

let warmRows: ReturnType<typeof codeCacheRows>;

test.before(() => {
  mkdirSync(join(root, "capabilities", "kv"), { recursive: true });
  bundle(repoRoot, entry, join(root, bundled));
  writeFileSync(join(root, entry), processStub(bundled.split("/").pop()!));
  for (const d of [root, join(root, "capabilities"), join(root, "capabilities", "kv")]) chmodSync(d, 0o755);
  for (const f of [entry, bundled]) chmodSync(join(root, f), 0o644);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test("one start leaves a cache; rewritten, it is byte-identical for the same content and readable without write access", () => {
  const warm = join(work, "warm");
  mkdirSync(warm, { recursive: true, mode: 0o777 });
  chmodSync(warm, 0o777);
  const first = runKv(warm);
  assert.is(first.status, 0, first.output.slice(-1500));
  assert.ok(first.recompiled.includes(`file://${join(root, bundled)}`), `a cold start compiles the bundle and writes its cache: ${first.output.slice(-3000)}`);
  warmRows = codeCacheRows(warm);
  assert.ok(warmRows.length > 10, `${warmRows.length} modules`);
  // a second cold start produces the same blobs (V8's code cache of a module does not depend on the run)
  const warm2 = join(work, "warm2");
  mkdirSync(warm2, { recursive: true, mode: 0o777 });
  chmodSync(warm2, 0o777);
  assert.is(runKv(warm2).status, 0);
  const enc = (rows: typeof warmRows) => rows.map((r) => [r.specifier, r.sourceHash, Buffer.from(r.data).toString("base64")]);
  assert.equal(enc(codeCacheRows(warm2)), enc(warmRows));
  // sealed (as the image build does) from either run: byte-identical files
  const counts = sealDenoDir(warm, cacheDir);
  assert.ok(counts.v8_code_cache_v2 > 10 && counts.dep_analysis_cache_v2 >= 3, JSON.stringify(counts));
  const other = join(work, "other");
  sealDenoDir(warm2, other);
  for (const f of CODE_CACHE_FILES) assert.ok(readFileSync(join(cacheDir, f)).equals(readFileSync(join(other, f))), `${f} is byte-identical`);
  assert.equal(readdirSync(cacheDir).sort(), [...CODE_CACHE_FILES].sort());
});

test("a process that cannot write the cache uses it: Deno compiles nothing from source (its own debug output)", () => {
  if (!rootOnly("starting kv under a uid that cannot write the cache")) return;
  sealAsImage(cacheDir);
  const r = runKv(cacheDir);
  assert.is(r.status, 0, r.output.slice(-1500));
  assert.equal(r.recompiled, [], "every module came from the read-only cache");
  assert.not.match(r.output, /Folder readonly|in-memory cache/, "Deno opened the database");
  // and it wrote nothing there
  assert.equal(readdirSync(cacheDir).sort(), [...CODE_CACHE_FILES].sort());
  assert.is(readFileSync(join(cacheDir, `${CODE_CACHE_DB}-wal`)).length, 0);
});

test("a stale, tampered or foreign-flag cache is harmless: the module is compiled from source and the process runs", () => {
  if (!rootOnly("starting kv under a uid that cannot write the cache")) return;
  const url = `file://${join(root, bundled)}`;
  // a copy of the sealed folder whose V8 code cache rows went through `edit`
  const variant = (name: string, edit: (specifier: string, data: Uint8Array) => Uint8Array) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    for (const f of CODE_CACHE_FILES) copyFileSync(join(cacheDir, f), join(dir, f));
    const db: CacheDb = readCacheDb(join(cacheDir, CODE_CACHE_DB));
    const t = db.tables.find((x) => x.name === "codecache")!;
    const [spec, data] = [t.columns.indexOf("specifier"), t.columns.indexOf("data")];
    t.rows = t.rows.map((r) => r.map((v, i) => (i === data ? edit(String(r[spec]), v as Uint8Array) : v)));
    writeCacheDb(join(dir, CODE_CACHE_DB), db);
    sealAsImage(dir);
    return dir;
  };
  // tampered: the bundle's blob with its V8 header bytes flipped (V8 checks magic, version, source and flag hashes)
  const flipped = (specifier: string, blob: Uint8Array) => {
    if (specifier !== url) return blob;
    const data = Uint8Array.from(blob);
    for (let i = 0; i < 16; i++) data[i] ^= 0xff;
    return data;
  };
  const tampered = runKv(variant("tampered", flipped));
  assert.is(tampered.status, 0, tampered.output.slice(-1500));
  assert.equal(tampered.recompiled, [url], "V8 refused the tampered blob; only the bundle was compiled");
  // a V8 flag that changes code generation, which the cache was not made with: V8 refuses every blob (its flag
  // hash differs; heap-size flags such as --max-semi-space-size or memoryMb's --max-old-space-size do not count)
  const foreign = runKv(variant("flags", (_, d) => d), ["--single-threaded"]);
  assert.is(foreign.status, 0, foreign.output.slice(-1500));
  assert.ok(foreign.recompiled.includes(url) && foreign.recompiled.length === warmRows.length, "a cache made under other V8 flags is not used");
  // stale: the bundle changed after the cache was built (Deno's source hash no longer matches)
  const staleRoot = join(root, bundled);
  const original = readFileSync(staleRoot);
  try {
    appendFileSync(staleRoot, "\n// changed\n");
    const stale = runKv(cacheDir);
    assert.is(stale.status, 0, stale.output.slice(-1500));
    assert.equal(stale.recompiled, [url], "the changed bundle was compiled from source, the rest still came from the cache");
  } finally {
    writeFileSync(staleRoot, original);
  }
});

test("the kernel chooses the image's cache only when no node process can change it", () => {
  if (!rootOnly("root-owned cache folders")) return;
  const none = chooseCodeCache(join(work, "nowhere"), "kv", UID);
  assert.is(none.kind, "none");
  sealAsImage(cacheDir);
  assert.equal(chooseCodeCache(root, "kv", UID), { kind: "image", dir: cacheDir });
  const refused = (mutate: (dir: string) => void, reason: RegExp) => {
    const dir = join(work, "cases", "codecache", "kv");
    rmSync(join(work, "cases"), { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const f of CODE_CACHE_FILES) copyFileSync(join(cacheDir, f), join(dir, f));
    sealAsImage(dir);
    mutate(dir);
    const c = chooseCodeCache(join(work, "cases"), "kv", UID);
    assert.is(c.kind, "refused", JSON.stringify(c));
    assert.match((c as { reason: string }).reason, reason);
  };
  refused((d) => chmodSync(join(d, CODE_CACHE_DB), 0o664), /writable by group or others/);
  refused((d) => chmodSync(d, 0o777), /writable by group or others/);
  refused((d) => chownSync(join(d, CODE_CACHE_DB), UID, UID), /owned by uid 64731, not root/);
  refused((d) => rmSync(join(d, `${CODE_CACHE_DB}-shm`)), /-shm is missing/);
  refused((d) => {
    rmSync(join(d, CODE_CACHE_DB));
    symlinkSync(join(cacheDir, CODE_CACHE_DB), join(d, CODE_CACHE_DB));
  }, /is a symlink/);
  assert.is(chooseCodeCache(root, "kv", null).kind, "refused", "a kernel that is not root runs processes as the cache's owner");
  // the reviewer's audit names the folder
  assert.is(audit(kvSpec()).processes[0].codeCache, "${root}/codecache/kv");
  assert.match(renderAudit(audit(kvSpec())), "V8 code cache (its DENO_DIR, read-only): ${root}/codecache/kv (${root} = /lib/zos in the image) when root's");
});

test("the kernel starts kv with the image's cache as its DENO_DIR (open in the process, read-only), and refuses a writable one", async () => {
  if (!rootOnly("processes under their own uids")) return;
  sealAsImage(cacheDir);
  const run = async () => {
    const events: KernelEvent[] = [];
    const kstate = mkdtempSync(join(work, "kstate-"));
    const h = await startKernel({ manifest: kvSpec(), stateDir: kstate, onEvent: (e) => events.push(e), cacheDir: join(work, "kcache"), bootTimeoutMs: 60_000, minHealthTimeoutMs: 60_000 });
    try {
      assert.equal(h.notReady, [], JSON.stringify(events.slice(-5)));
      const spawned = events.find((e) => e.event === "spawned" && e.process === "kv")!;
      const pid = spawned.pid as number;
      const open = readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return "";
        }
      });
      const maps = readFileSync(`/proc/${pid}/maps`, "utf8");
      return { events, spawned, open, maps };
    } finally {
      await h.stop(5000);
    }
  };
  const used = await run();
  assert.is(used.spawned.codeCache, cacheDir);
  assert.ok(used.open.includes(join(cacheDir, CODE_CACHE_DB)) || used.maps.includes(join(cacheDir, CODE_CACHE_DB)), `kv has the image's cache open: ${used.open.join(" ")}`);
  assert.is((used.spawned.sandbox as { uid: number }).uid, UID);
  chmodSync(join(cacheDir, CODE_CACHE_DB), 0o666);
  try {
    const refused = await run();
    const ev = refused.events.find((e) => e.event === "code-cache-refused");
    assert.ok(ev, "code-cache-refused was emitted");
    assert.match(String(ev!.reason), /writable by group or others/);
    assert.is(refused.spawned.codeCache, null);
    assert.not.ok(refused.open.some((p) => p.startsWith(cacheDir)), "the refused cache is not opened");
  } finally {
    chmodSync(join(cacheDir, CODE_CACHE_DB), 0o644);
  }
});

test.run();
