// Flist fetch + materialise throughput vs `tar -x` of the same tree (issue 12, goal ≤ 2×).
// One run: a generated tree (text, random and duplicate files, ~55 MB) is pushed to an in-process dev
// hub; then, each repeated and the median taken:
//   tar -x      extract an uncompressed tar of the tree (tar made once, from page cache)
//   dir store   read the .fl + verify every block (BLAKE2b-256 ×2, AES-256-GCM, snappy) + write, blocks from a local dir:// store
//   dir store with Deno's own AES-GCM (WebCrypto): the path before AES-GCM went through libcrypto
//   hub (HTTP)  download the .fl and its .md5 from the hub, then the same with every block over HTTP from the hub
//   node_modules/deno/deno run -A bench/flist.ts [--reps 3] [--scale 20]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DirStore, materialise, readFlist, RoutedStore } from "../capabilities/lib/flist/mod.ts";
import { nativeAesGcm, setNativeAesGcm } from "../capabilities/lib/flist/aes-gcm-native.ts";
import { makeSourceTree } from "../capabilities/lib/flist/test-helpers.ts";
import { startHub } from "../grid/hub/mod.ts";
import { pushToHub } from "../grid/hub/push.ts";
import { machineLine, writeSection } from "./lib/report.ts";

const { values } = parseArgs({ args: process.argv.slice(2), options: { reps: { type: "string", default: "3" }, scale: { type: "string", default: "20" } } });
const reps = Math.max(1, Number(values.reps) || 3);
const scale = Math.max(1, Number(values.scale) || 20);
const work = mkdtempSync(join(tmpdir(), "zt-flist-bench-"));
const hub = await startHub({ dir: join(work, "hub") });
try {
  const src = join(work, "src");
  makeSourceTree(src, scale);
  const bytes = Number(execFileSync("du", ["-sb", src]).toString().split("\t")[0]);
  const tar = join(work, "tree.tar");
  execFileSync("tar", ["-cf", tar, "-C", src, "."]);
  let t0 = performance.now();
  const pushed = await pushToHub({ hubUrl: hub.url, source: src, name: "bench/tree.fl" });
  const pushMs = performance.now() - t0;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = async (fn: (i: number) => Promise<void> | void) => {
    const xs: number[] = [];
    for (let i = 0; i < reps; i++) {
      const s = performance.now();
      await fn(i);
      xs.push(performance.now() - s);
    }
    return median(xs);
  };
  const tarMs = await time((i) => {
    const out = join(work, `tar-${i}`);
    execFileSync("mkdir", [out]);
    execFileSync("tar", ["-xf", tar, "-C", out]);
  });
  const local = join(work, "local.fl");
  const dl = await fetch(pushed.url);
  writeFileSync(local, new Uint8Array(await dl.arrayBuffer()));
  const dirMs = await time(async (i) => {
    const f = readFlist(local);
    await materialise({ flist: f, store: new DirStore(join(work, "hub", "blocks")), target: join(work, `dir-${i}`) });
  });
  const native = nativeAesGcm() !== null;
  setNativeAesGcm(false);
  const webMs = await time(async (i) => {
    const f = readFlist(local);
    await materialise({ flist: f, store: new DirStore(join(work, "hub", "blocks")), target: join(work, `web-${i}`) });
  });
  setNativeAesGcm(true);
  const hubMs = await time(async (i) => {
    const fl = join(work, `hub-${i}.fl`);
    const body = new Uint8Array(await (await fetch(pushed.url)).arrayBuffer());
    const md5 = (await (await fetch(`${pushed.url}.md5`)).text()).trim();
    if (createHash("md5").update(body).digest("hex") !== md5) throw new Error("md5 mismatch");
    writeFileSync(fl, body);
    const f = readFlist(fl);
    await materialise({ flist: f, store: new RoutedStore(f.routes), target: join(work, `hub-${i}`) });
  });
  const mbs = (ms: number) => (bytes / 2 ** 20 / (ms / 1000)).toFixed(0);
  const row = (name: string, ms: number) => `| ${name} | ${ms.toFixed(0)} | ${mbs(ms)} | ${(ms / tarMs).toFixed(2)}× |`;
  const md = `## Flists: fetch + materialise vs \`tar -x\` (\`bench/flist.ts\`, issue 12)

Tree: ${pushed.files} files, ${pushed.directories} directories, ${pushed.symlinks} symlinks, ${(bytes / 2 ** 20).toFixed(1)} MB
(text, random and duplicate files), ${pushed.blocks} blocks of 512 KiB (${pushed.uniqueBlocks} unique). Median of ${reps}.
Push (pack + upload to the in-process hub): ${pushMs.toFixed(0)} ms.

| path | ms | MB/s | vs tar -x |
|---|---|---|---|
${row("`tar -x` (uncompressed tar, page cache)", tarMs)}
${row("flist, blocks from a local `dir://` store (verify + write)", dirMs)}
${row("same, AES-GCM through Deno's WebCrypto (the path before)", webMs)}
${row("flist, .fl + .md5 + every block over HTTP from the hub", hubMs)}

Every flist path checks each block twice with BLAKE2b-256 (stored bytes against the id, plaintext against
the key), decrypts AES-256-GCM and decompresses snappy; \`tar -x\` checks nothing. BLAKE2b is
@polkadot/wasm-crypto (WASM), snappy is our own TypeScript, AES-GCM is ${native ? "the host's libcrypto (OpenSSL EVP, AES-NI) through Deno's FFI" : "WebCrypto (libcrypto could not be opened in this run)"}
(\`capabilities/lib/flist/aes-gcm-native.ts\`; WebCrypto when a process may not use it). The hub runs in the
same process as the client here, so its serving competes with verification for one JS thread.

Goal ≤ 2× ${hubMs / tarMs <= 2 ? "met" : "not met"} on this run.

${machineLine()}; the machine was shared with other engineers' test runs at the time (load average
${(await import("node:os")).loadavg()[0].toFixed(1)}), so absolute numbers are noisy; the ratios come from one run.
Reproduce: \`node_modules/deno/deno run -A bench/flist.ts --reps ${reps} --scale ${scale}\``;
  console.log(md);
  writeSection("flist", md);
} finally {
  await hub.stop();
  rmSync(work, { recursive: true, force: true });
}
