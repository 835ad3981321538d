// Where a node process's start-up goes, on the host, per process of manifests/node.json:
//   runtime start (an empty script) → module graph load + transpile (the source entry, cold cache)
//   → pre-bundled but transpiled at start (the image before: one `.ts` bundle) → pre-bundled and
//   pre-transpiled (the image before its code cache: a `.js` bundle behind a one-line stub, empty DENO_DIR) → the
//   same with a warm writable V8 code cache → the image now: the cache built once and sealed as the image carries it
//   (rootfs/lib/code-cache.ts: root's, read-only, started under a uid of its own when the bench is root). Each run starts the process as the kernel would (its manifest arguments; stdin at EOF,
//   so it exits once its top-level code has run and it finds no kernel on the other end) and measures
//   wall time, CPU time (user + sys) and peak RSS through /usr/bin/time.
//   node_modules/deno/deno run -A bench/process-start.ts [--reps 3] [--only kv,chain]
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import os from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { bundle } from "../rootfs/lib/bundle.ts";
import { bundlePath, processStub, REPO_ROOT } from "../rootfs/build.ts";
import { loadManifest } from "../kernel/manifest.ts";
import { denoBinary } from "../kernel/sandbox.ts";
import { CODE_CACHE_FILES, sealDenoDir } from "../rootfs/lib/code-cache.ts";
import { machineLine, writeSection } from "./lib/report.ts";

const { values } = parseArgs({ args: process.argv.slice(2), options: { reps: { type: "string", default: "3" }, only: { type: "string" } } });
const reps = Math.max(1, Number(values.reps) || 3);
const TIME = "/usr/bin/time";
if (!existsSync(TIME)) {
  console.error("bench/process-start.ts needs /usr/bin/time (Debian package `time`) for CPU time and peak RSS");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "zt-image-pstart-"));
chmodSync(work, 0o755); // the image-cache runs use a uid of their own
const isRoot = process.getuid?.() === 0;
const BENCH_UID = 64733;
const deno = denoBinary();
const state = join(work, "state");
const vars: Record<string, string> = {
  state, root: REPO_ROOT, chainurl: "ws://127.0.0.1:9", chainhost: "127.0.0.1:9", relayurl: "ws://127.0.0.1:9", relayhost: "127.0.0.1:9",
  farm: "1", activationurl: "http://127.0.0.1:9/activation/activate", activationhost: "127.0.0.1:9",
};
const sub = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, k) => vars[k] ?? "");

interface Sample {
  wall: number;
  cpu: number;
  rssMb: number;
}

/** One start of `file` with `args` under a fresh or given DENO_DIR (-A: permissions do not change start-up cost). */
function runOnce(file: string, args: string[], denoDir: string, asOwnUid = false): Sample {
  const uid = asOwnUid && isRoot ? ["/usr/bin/setpriv", `--reuid=${BENCH_UID}`, `--regid=${BENCH_UID}`, "--clear-groups", "--"] : [];
  const r = spawnSync(TIME, ["-f", "%e %U %S %M", ...uid, deno, "run", "-A", "--quiet", "--no-prompt", "--no-remote", "--no-lock", "--no-config", "--node-modules-dir=manual", file, ...args], {
    cwd: work, encoding: "utf8", input: "", timeout: 60_000, env: { DENO_DIR: denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", PATH: "/usr/bin:/bin" },
  });
  const last = (r.stderr ?? "").trim().split("\n").at(-1) ?? "";
  const [e, u, s, m] = last.split(" ").map(Number);
  if (!Number.isFinite(e)) throw new Error(`${file}: no timing (${last}); stderr: ${r.stderr?.slice(-400)}`);
  return { wall: e, cpu: u + s, rssMb: m / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const med = (ss: Sample[]): Sample => ({ wall: median(ss.map((s) => s.wall)), cpu: median(ss.map((s) => s.cpu)), rssMb: median(ss.map((s) => s.rssMb)) });

const loaded = loadManifest(join(REPO_ROOT, "manifests", "node.json"));
if (!loaded.ok) throw new Error("manifests/node.json is invalid");
const only = values.only ? new Set(values.only.split(",")) : null;
const procs = loaded.manifest.processes.filter((p) => !only || only.has(p.name));
const empty = join(work, "empty.js");
writeFileSync(empty, "");

const VARIANTS = ["runtime", "source-cold", "source-warm", "bundle-ts", "bundle-js", "bundle-js-warm", "image-cache"] as const;
type Variant = (typeof VARIANTS)[number];
const results = new Map<string, Record<Variant, Sample[]>>();
const load0 = os.loadavg()[0].toFixed(1);
try {
  for (const p of procs) {
    const entry = relative(REPO_ROOT, p.entryPath);
    const dir = join(work, p.name);
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(state, p.name), { recursive: true, mode: 0o777 });
    chmodSync(state, 0o777);
    chmodSync(join(state, p.name), 0o777);
    chmodSync(dir, 0o755);
    const js = join(dir, bundlePath(entry).split("/").pop()!);
    bundle(REPO_ROOT, entry, js);
    const asTs = join(dir, "bundled-as.ts");
    copyFileSync(js, asTs);
    const stub = join(dir, "main.ts");
    writeFileSync(stub, processStub(js.split("/").pop()!));
    const args = p.args.map(sub);
    const res = Object.fromEntries(VARIANTS.map((v) => [v, [] as Sample[]])) as Record<Variant, Sample[]>;
    for (let i = 0; i < reps; i++) {
      const fresh = () => mkdtempSync(join(work, "dd-"));
      res.runtime.push(runOnce(empty, [], fresh()));
      const srcDir = fresh();
      res["source-cold"].push(runOnce(p.entryPath, args, srcDir));
      res["source-warm"].push(runOnce(p.entryPath, args, srcDir));
      res["bundle-ts"].push(runOnce(asTs, args, fresh()));
      const jsDir = fresh();
      res["bundle-js"].push(runOnce(stub, args, jsDir));
      res["bundle-js-warm"].push(runOnce(stub, args, jsDir));
      // the cache that run left, sealed as the image carries it (built once per process: it is deterministic)
      const sealed = join(dir, "codecache");
      if (i === 0) {
        sealDenoDir(jsDir, sealed);
        for (const f of CODE_CACHE_FILES) chmodSync(join(sealed, f), 0o644);
        chmodSync(sealed, 0o755);
        if (isRoot) chownSync(sealed, 0, 0);
      }
      res["image-cache"].push(runOnce(stub, args, sealed, true));
    }
    results.set(p.name, res);
    console.error(`${p.name}: ${VARIANTS.map((v) => `${v} ${med(res[v]).cpu.toFixed(2)}s cpu`).join(", ")}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const f2 = (n: number) => n.toFixed(2);
const rows = [...results].map(([name, r]) => {
  const m = Object.fromEntries(VARIANTS.map((v) => [v, med(r[v])])) as Record<Variant, Sample>;
  return `| ${name} | ${f2(m.runtime.cpu)} | ${f2(m["source-cold"].cpu)} | ${f2(m["source-warm"].cpu)} | ${f2(m["bundle-ts"].cpu)} | ${f2(m["bundle-js"].cpu)} | ${f2(m["bundle-js-warm"].cpu)} | ` +
    `**${f2(m["image-cache"].cpu)}** | ${f2(m["bundle-js"].cpu - m["image-cache"].cpu)} | ${Math.round(m["bundle-js"].rssMb)} | ${Math.round(m["image-cache"].rssMb)} |`;
});
const sum = (v: Variant, only?: Set<string>) => [...results].filter(([n]) => !only || only.has(n)).reduce((a, [, r]) => a + med(r[v]).cpu, 0);
// What boot pays: the processes the manifest starts at boot (the others start at the first use of a grant to them).
const atBoot = new Set(procs.filter((p) => p.start === "boot").map((p) => p.name).filter((n) => results.has(n)));
const onDemand = procs.filter((p) => p.start === "on-demand" && results.has(p.name)).map((p) => p.name);
const md = `
## Process start-up on the host, per phase (\`bench/process-start.ts\`)

Reproduce: \`node_modules/deno/deno run -A bench/process-start.ts --reps ${reps}\` (needs /usr/bin/time).
Machine: ${machineLine()}; load average (1 min) ${load0} → ${os.loadavg()[0].toFixed(1)} — **shared with other engineers: wall times are
inflated several-fold, so the table shows CPU seconds (user + sys), medians of ${reps} interleaved runs**. Each run starts the process
with its manifest arguments and stdin at EOF: it loads, runs its top-level code, finds no kernel and exits.

| process | runtime start (empty script) | source .ts, cold cache (graph + transpile) | source .ts, warm cache | bundle transpiled at start | bundle .js, empty cache (image before) | bundle .js, warm writable V8 code cache | **bundle .js, the image's read-only code cache (image now)** | saved by the image's cache (s CPU) | peak RSS, empty cache (MB) | peak RSS, image cache (MB) |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}
| **all ${results.size}** | ${f2(sum("runtime"))} | ${f2(sum("source-cold"))} | ${f2(sum("source-warm"))} | ${f2(sum("bundle-ts"))} | ${f2(sum("bundle-js"))} | ${f2(sum("bundle-js-warm"))} | **${f2(sum("image-cache"))}** | ${f2(sum("bundle-js") - sum("image-cache"))} | | |
| **the ${atBoot.size} started at boot** (without ${onDemand.join(", ") || "—"}: on demand) | ${f2(sum("runtime", atBoot))} | ${f2(sum("source-cold", atBoot))} | ${f2(sum("source-warm", atBoot))} | ${f2(sum("bundle-ts", atBoot))} | ${f2(sum("bundle-js", atBoot))} | ${f2(sum("bundle-js-warm", atBoot))} | **${f2(sum("image-cache", atBoot))}** | ${f2(sum("bundle-js", atBoot) - sum("image-cache", atBoot))} | | |

Reading it: runtime start is the floor every process pays; "module graph load + transpile" is source-cold − bundle-js;
"transpile of the bundle" is bundle-ts − bundle-js (what the image paid at every boot before its bundles became .js);
"top-level code + parse/compile" is bundle-js − runtime; a code cache saves the parse and compile of every module the
start loads (the bundle and the runtime's own lazily loaded node: modules), not the top-level code. The image's cache
(\`rootfs/lib/code-cache.ts\`) runs under a uid that cannot write it, as in the image; the others as the bench's user. The last row is
the CPU a boot spends on cold starts now that the manifest starts ${onDemand.length} processes on demand (\`"start": "on-demand"\`).
`;
writeSection("process-start", md);
console.log(md);
