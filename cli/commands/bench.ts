// `zos bench [NAME ...]`: runs the benchmarks in bench/ one after another (never in parallel: they measure
// latency on a 2-core machine) and lets each write its section of docs/PERFORMANCE.md.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "../zos.ts";
import { parse } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

/** In dependency order: the wire first, then what stands on it. `boot` builds an image and boots QEMU (minutes). */
export const BENCHES: Record<string, string> = {
  rpc: "Cap'n Proto: raw socket vs direct call, pinned and unpinned",
  kernel: "proxied module → kernel → driver calls; spawn → ready; kernel + 8 processes",
  deployments: "deployments accepted per second on one core",
  chain: "dev chain extrinsics/s and storage reads/s through @polkadot/api",
  rmb: "RMB round trip through the relay vs raw WebSocket echo",
  "node-api": "zos.* over RMB end to end; deployments/s; npm start → registered",
  flist: "flist fetch + verify + materialise from the dev hub vs tar -x of the same tree",
  storage: "zmount and volume create vs the raw btrfs/chattr/fallocate commands; pool bring-up per disk (root, loop devices)",
  zdb: "0-db server SET/GET req/s and p99 under redis-benchmark, next to redis-server",
  gateway: "gateway route add → first good HTTPS response; proxied request overhead vs direct (root, namespaces)",
  boot: "image size and boot phases vs a hello image (QEMU, TCG)",
};

const USAGE = `usage: zos bench [NAME ...] [--json]

Runs benchmarks sequentially (default: all but boot; name boot explicitly or use --all) and writes each result
section into docs/PERFORMANCE.md together with the command that reproduces it.

${Object.entries(BENCHES).map(([k, v]) => `  ${k.padEnd(12)} ${v}`).join("\n")}

  --all     include the boot benchmark (builds the image, boots QEMU several times)
  --json    one JSON line per benchmark: {"bench", "exit_code", "seconds"}`;

function runOne(name: string): Promise<number> {
  const deno = join(root, "node_modules", "deno", "deno");
  return new Promise((resolve) => {
    const child = spawn(deno, ["run", "-A", "--quiet", "--no-lock", join(root, "bench", `${name}.ts`)], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

export const command: Command = {
  summary: "run benchmarks and update docs/PERFORMANCE.md",
  async run(argv: string[]): Promise<number> {
    const p = parse(argv, { all: { type: "boolean" } }, "bench");
    if (p.help) {
      console.log(USAGE);
      return 0;
    }
    for (const n of p.positionals) {
      if (!BENCHES[n]) throw new UserError(`zos bench: unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(", ")}`, 2);
    }
    const names = p.positionals.length
      ? p.positionals
      : Object.keys(BENCHES).filter((n) => p.values.all || n !== "boot");
    let failed = 0;
    for (const name of names) {
      if (!existsSync(join(root, "bench", `${name}.ts`))) throw new UserError(`zos bench: bench/${name}.ts is missing`, 2);
      const started = performance.now();
      if (!p.json) console.error(`== bench ${name}: ${BENCHES[name]}`);
      const code = await runOne(name);
      const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
      if (code !== 0) failed++;
      if (p.json) console.log(JSON.stringify({ bench: name, exit_code: code, seconds }));
      else console.error(`== bench ${name}: ${code === 0 ? "done" : `failed (exit ${code})`} in ${seconds} s`);
    }
    return failed ? 1 : 0;
  },
};
