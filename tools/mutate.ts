// `npm run mutate [area ...]`: mutation testing with Stryker (@stryker-mutator/core, from the lock) over the
// security- and data-critical code. Stryker's `command` test runner drives the project's own runner
// (tools/test-runner.ts on Deno) with a per-area filter, so each mutant runs only the suites that claim to
// cover that area. Incremental: results are kept in reports/mutation/<area>.incremental.json, so a re-run
// tests only mutants whose code or tests changed. Reports: reports/mutation/<area>.json and .html.
// Runs on Deno like the rest of the tools (Stryker 10 wants Node >= 22; Deno provides that API).
//
// usage: npm run mutate [-- --concurrency N] [--force] [--only FILE-PART ...] [area ...]   (no area: all of them, one after the other)
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Stryker } from "@stryker-mutator/core";
import type { PartialStrykerOptions } from "@stryker-mutator/api/core";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");

interface Area {
  /** what is mutated (globs relative to the repo root) */
  mutate: string[];
  /** test-runner filters: the suites that must kill those mutants */
  tests: string[];
  why: string;
}

/**
 * `file:first-last` for the lines from the one containing `from` up to the line before the one containing
 * `to` (both must occur once): a part of a file named by its code, so the range follows the code as it moves.
 */
export function linesOf(file: string, from: string, to: string): string {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const at = (s: string) => {
    const hits = lines.flatMap((l, i) => (l.includes(s) ? [i + 1] : []));
    if (hits.length !== 1) throw new Error(`mutate: "${s}" occurs ${hits.length} times in ${file}; the area's anchors need updating`);
    return hits[0];
  };
  return `${file}:${at(from)}-${at(to) - 1}`;
}

/** Scoped to the files whose bugs are security or data loss, and to suites that run in seconds. */
export const AREAS: Record<string, Area> = {
  manifest: {
    why: "the manifest's validation: what a process may be given (permissions, Linux capabilities, grants, limits)",
    mutate: ["kernel/manifest.ts"],
    tests: ["kernel/test/manifest-exact.test.ts", "kernel/manifest.test.ts"],
  },
  membrane: {
    why: "the membrane: interface check, per-grant counting and in-flight limit, revocation of all that flowed through",
    mutate: ["kernel/membrane.ts"],
    tests: ["kernel/test/membrane-edges.test.ts", "kernel/membrane.test.ts"],
  },
  sandbox: {
    why: "how a process is started (permission flags, heap limit, setpriv identity) and the check of /proc against that plan",
    mutate: ["kernel/sandbox.ts", "kernel/sandbox-check.ts", "kernel/linux.ts"],
    // sandbox-plan checks plans exactly (no processes: most mutants die there), sandbox-run starts real
    // processes from plans (under root through setpriv); the kernel-level suites (sandbox-check, linux,
    // escape) run the same code but take a kernel start each
    tests: ["kernel/test/sandbox-plan.test.ts", "kernel/test/sandbox-run.test.ts"],
  },
  session: {
    why: "the bootstrap Session: a process gets exactly its grants (issue 17 defect 8), nothing before its sandbox is verified",
    // kernel.ts: only sessionFor and grantFor; kernel.test.ts starts a real kernel (~20 s a run)
    get mutate() {
      return [linesOf("kernel/kernel.ts", "private sessionFor(", "private acquire(")];
    },
    // sandbox-check: a process whose /proc differs from its plan is given nothing (the `verified` gate)
    tests: ["kernel/kernel.test.ts", "kernel/test/sandbox-check.test.ts"],
  },
  identity: {
    why: "the node identity and its attenuated signers (chain, rmb): what they sign, and that the secret stays inside",
    // seed.ts: the seed file formats (Zero-OS 1.0.0, 1.1.0 mnemonic, legacy raw); rmb-signer.ts: what the
    // rmb purpose signs (envelopes, bounded JWT claims, the e2e secret)
    mutate: ["capabilities/identity/identity.ts", "capabilities/identity/seed.ts", "capabilities/rmb/rmb-signer.ts"],
    tests: ["capabilities/identity/signers.test.ts", "capabilities/identity/seed.test.ts", "capabilities/rmb/rmb-signer.test.ts", "capabilities/identity/identity.test.ts", "capabilities/identity/chain-policy.test.ts"],
  },
  chain: {
    why: "what the chain signer agrees to sign: the payload decoded with the generated TFChain decoder, the allow-list, batches",
    mutate: ["capabilities/identity/chain-policy.ts", "capabilities/identity/allow-list.ts", "capabilities/identity/tfchain-decoder.ts"],
    // chain-policy.test decodes real payloads built with the chain's metadata (4 s a run); tfchain-decoder.test
    // compares the decoder with @polkadot/types over the chain client's payloads and their mutations (10 s)
    tests: ["capabilities/identity/chain-policy.test.ts", "capabilities/identity/tfchain-decoder.test.ts"],
  },
  submitter: {
    why: "the chain driver's submitter: the signature it attaches (MultiSignature tag, hashing over 256 bytes), nonces, inclusion, dispatch errors",
    mutate: ["capabilities/chain/submitter.ts"],
    // chain.test submits to the dev chain (≈ 30 s a run here, more under load)
    tests: ["capabilities/chain/chain.test.ts"],
  },
  rmb: {
    why: "RMB envelope signatures (the challenge) and the relay JWT checks",
    mutate: ["capabilities/rmb/jwt.ts", "capabilities/rmb/challenge.ts"],
    // jwt-challenge.test.ts checks the challenge against the official client's known answers without loading
    // it (wire.test.ts compares live, 25 s a run: too slow to run per mutant here)
    tests: ["capabilities/rmb/jwt-challenge.test.ts"],
  },
  kv: {
    why: "the kv driver's grant: exactly one namespace, read-only when granted so, restrictions checked fail-closed",
    // the driver's storage (store.ts) is in `stores`; main.ts only starts the process (kernel-hosted drivers
    // cannot be mutated through the kernel, so the grant rules live in grant.ts)
    mutate: ["capabilities/kv/grant.ts"],
    tests: ["capabilities/kv/grant.test.ts"],
  },
  deployment: {
    why: "what the node accepts: signature verification and the challenge hash of a deployment",
    // deployment.ts: only the challenge/hash path (writeWorkload .. challengeHash); decoding is fuzzed elsewhere
    get mutate() {
      return ["modules/lib/gridtypes/verify.ts", linesOf("modules/lib/gridtypes/deployment.ts", "function writeWorkload(", "function getterFor(")];
    },
    // interop.test.ts (grid_client, ~10 s to load) is left out so a run fits in minutes on a small machine;
    // verify.test.ts checks the same answers with node:crypto and @polkadot/util-crypto signers
    tests: ["modules/lib/gridtypes/test/model.test.ts", "modules/lib/gridtypes/test/verify.test.ts"],
  },
  stores: {
    why: "durability: the kv-backed store the provision module uses under the kernel, the kv driver's storage, the atomic writer",
    mutate: ["modules/provision/kv-store.ts", "capabilities/kv/store.ts", "capabilities/lib/fs/atomic.ts"],
    tests: ["modules/provision/test/kv-store.test.ts", "capabilities/kv/store.test.ts", "capabilities/lib/fs/atomic.test.ts"],
  },
};

/** Names for several areas at once: the issue's "kernel" (membrane, sandbox, manifest, session) and "drivers". */
export const GROUPS: Record<string, string[]> = {
  kernel: ["manifest", "membrane", "sandbox", "session"],
  drivers: ["identity", "chain", "submitter", "rmb", "kv"],
};

export function strykerOptions(area: string, concurrency: number, force = false, only: string[] = []): PartialStrykerOptions {
  const a = AREAS[area];
  // --only: a part of an area (e.g. the one file that changed since the last run); an error when it matches nothing
  const mutate = only.length ? a.mutate.filter((m) => only.some((o) => m.includes(o))) : a.mutate;
  if (!mutate.length) throw new Error(`mutate: --only ${only.join(", ")} matches none of ${area}'s files (${a.mutate.join(", ")})`);
  const out = join("reports", "mutation");
  return {
    testRunner: "command",
    // Stryker makes its sandbox folder 0700: under root the kernel runs each process as its own uid, which
    // must reach the tree like the real one (else every kernel-starting suite waits for its health timeouts)
    commandRunner: { command: `chmod 755 . && node_modules/deno/deno run -A --quiet --no-lock tools/test-runner.ts --jobs 1 --bail ${a.tests.join(" ")}` },
    mutate,
    coverageAnalysis: "off", // the command runner cannot report per-test coverage
    concurrency,
    incremental: true,
    // --force: test every mutant again (with the command runner Stryker cannot tell which tests changed)
    force,
    incrementalFile: join(out, `${area}.incremental.json`),
    reporters: ["clear-text", "progress", "json", "html"],
    jsonReporter: { fileName: join(out, `${area}.json`) },
    htmlReporter: { fileName: join(out, `${area}.html`) },
    tempDirName: join(".stryker-tmp", area), // areas may run side by side
    cleanTempDir: true,
    // the suites start Deno processes and chains: give a mutant room before calling it a timeout
    timeoutMS: 120_000,
    timeoutFactor: 2,
    thresholds: { high: 90, low: 85, break: null },
    // the sandbox copy needs the sources and the runner, not the build outputs or another run's state
    ignorePatterns: ["reports", ".zos-dev", "out", "rootfs/out", "vm-tests/out", ".stryker-tmp"],
  };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { concurrency: { type: "string" }, force: { type: "boolean" }, only: { type: "string", multiple: true }, help: { type: "boolean" } }, allowPositionals: true });
  if (values.help) {
    console.log(`usage: npm run mutate [-- --concurrency N] [--force] [--only FILE-PART ...] [area ...]\nareas:\n${Object.entries(AREAS).map(([k, a]) => `  ${k.padEnd(11)} ${a.why}`).join("\n")}\n` +
      `groups:\n${Object.entries(GROUPS).map(([k, g]) => `  ${k.padEnd(11)} ${g.join(", ")}`).join("\n")}`);
    return 0;
  }
  const areas = (positionals.length ? positionals : Object.keys(AREAS)).flatMap((a) => GROUPS[a] ?? [a]);
  const unknown = areas.filter((a) => !AREAS[a]);
  if (unknown.length) {
    console.error(`mutate: unknown area "${unknown[0]}" (known: ${[...Object.keys(AREAS), ...Object.keys(GROUPS)].join(", ")})`);
    return 2;
  }
  const concurrency = Number(values.concurrency ?? 1);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 8) {
    console.error(`mutate: --concurrency must be 1-8, got "${values.concurrency}"`);
    return 2;
  }
  process.chdir(root);
  mkdirSync(join("reports", "mutation"), { recursive: true });
  const summary: string[] = [];
  for (const area of areas) {
    const t0 = Date.now();
    let options: PartialStrykerOptions;
    try {
      options = strykerOptions(area, concurrency, Boolean(values.force), values.only ?? []);
    } catch (err) {
      console.error((err as Error).message);
      return 2;
    }
    const results = await new Stryker(options).runMutationTest();
    const count = (s: string) => results.filter((r) => r.status === s).length;
    const killed = count("Killed") + count("Timeout");
    const survived = count("Survived");
    const noCov = count("NoCoverage");
    const valid = killed + survived + noCov;
    const score = valid ? (100 * killed) / valid : 100;
    summary.push(`${area}: ${score.toFixed(1)} % killed (${killed} killed incl. ${count("Timeout")} timeouts, ${survived} survived, ` +
      `${count("CompileError") + count("RuntimeError")} invalid) in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  console.log(["", "mutation score per area:", ...summary.map((s) => "  " + s)].join("\n"));
  return 0;
}

if (import.meta.main) process.exitCode = await main();
