// `zos kernel run`: the capability kernel in the foreground with any manifest; `zos kernel check`
// validates a manifest without running it.
import process from "node:process";
import { resolve, join } from "node:path";
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";
import { formatErrors, loadManifest } from "../../kernel/manifest.ts";
import { Kernel, type KernelEvent } from "../../kernel/kernel.ts";
import { parseVarFlags, unsetVariables } from "../../kernel/vars.ts";

const HELP = `zos kernel — the capability kernel

usage:
  zos kernel run --manifest F [--state DIR] [--var NAME=VALUE]... [--json] [--stop-deadline MS]
      Starts every driver and module of manifest F in dependency order, each in its own sandboxed Deno
      process, and routes their capabilities until SIGINT/SIGTERM, then stops them in reverse order.
      --state DIR   persistent state (drivers' data, \${state} in the manifest); default .zos-dev/kernel
      --var N=V     sets the manifest's \${N} (repeatable), e.g. for manifests/node.json:
                    --var chainurl=ws://127.0.0.1:9944 --var chainhost=127.0.0.1:9944 --var relayurl=… --var relayhost=…
                    --var farm=1 --var activationurl=http://127.0.0.1:PORT/activation/activate --var activationhost=…
                    A variable the manifest uses but nobody set stops the run before anything starts (exit 2).
      --json        one JSON line per event on stdout (started, ready, crashed, restarting, revoked, ...)
  zos kernel check --manifest F [--json]
      Validates F (unknown keys, missing entry points, ungrantable grants, dependency cycles) and prints
      the start order.

exit codes: 0 ok, 1 the kernel could not start everything / stopped abnormally, 2 bad usage or invalid manifest`;

function loadOrExplain(path: string | undefined, sub: string) {
  if (!path) throw new UserError(`zos kernel ${sub}: --manifest F is required (e.g. manifests/dev-example.json)`, 2);
  const r = loadManifest(resolve(path));
  if (!r.ok) throw new UserError(`zos kernel ${sub}: the manifest is invalid:\n${formatErrors(r.errors, path)}`, 2);
  return r.manifest;
}

function human(e: KernelEvent): string {
  const { t, event, process: proc, ...rest } = e;
  const time = (t / 1000).toFixed(3).padStart(8);
  if (event === "output") return `${time} [${proc}] ${rest.line}`;
  if (event === "spawned") return `${time} ${event} ${proc} pid=${rest.pid} uid=${rest.uid}`;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ");
  return `${time} ${event}${proc ? " " + proc : ""}${fields ? " " + fields : ""}`;
}

export const command: Command = {
  summary: "run the capability kernel with a manifest",
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (!sub || sub === "--help" || sub === "-h") {
      console.log(HELP);
      return sub ? 0 : 2;
    }
    if (sub === "check") {
      const p = parse(rest, { manifest: { type: "string" } }, "kernel check");
      if (p.help) {
        console.log(HELP);
        return 0;
      }
      const m = loadOrExplain(str(p, "manifest"), "check");
      const onDemand = m.processes.filter((x) => x.start === "on-demand").map((x) => x.name);
      if (p.json) console.log(JSON.stringify({ ok: true, processes: m.processes.map((x) => x.name), waves: m.waves, onDemand }));
      else {
        const bootWaves = m.waves.map((w) => w.filter((n) => !onDemand.includes(n))).filter((w) => w.length);
        const later = onDemand.length ? `; on demand (at the first use of a grant to it): ${onDemand.join(", ")}` : "";
        console.log(`ok: ${m.processes.length} processes; start order: ${bootWaves.map((w) => w.join(", ")).join(" → ")}${later}`);
      }
      return 0;
    }
    if (sub !== "run") throw new UserError(`zos kernel: unknown subcommand "${sub}" (run, check). Run \`zos kernel --help\`.`, 2);
    const p = parse(rest, {
      manifest: { type: "string" },
      state: { type: "string" },
      "stop-deadline": { type: "string" },
      var: { type: "string", multiple: true },
    }, "kernel run");
    if (p.help) {
      console.log(HELP);
      return 0;
    }
    const manifest = loadOrExplain(str(p, "manifest"), "run");
    let vars: Record<string, string>;
    try {
      vars = parseVarFlags((p.values.var as string[] | undefined) ?? []);
    } catch (err) {
      throw new UserError(`zos kernel run: ${(err as Error).message}`, 2);
    }
    const unset = unsetVariables(manifest, vars);
    if (unset.length) {
      throw new UserError(
        `zos kernel run: ${str(p, "manifest")} uses variables that are not set (nothing was started):\n` +
          unset.map((u) => `  \${${u.name}}  used in ${u.usedIn.join(", ")}`).join("\n") +
          `\nSet each with --var NAME=VALUE, e.g. --var ${unset[0].name}=…`,
        2,
      );
    }
    const deadline = Number(str(p, "stop-deadline") ?? 10_000);
    if (!Number.isInteger(deadline) || deadline < 0) throw new UserError("zos kernel run: --stop-deadline must be milliseconds (an integer)", 2);
    const stateDir = resolve(str(p, "state") ?? join(process.cwd(), ".zos-dev", "kernel"));
    const print = (e: KernelEvent) => console.log(p.json ? JSON.stringify(e) : human(e));
    const kernel = new Kernel({ manifest, stateDir, onEvent: print, vars });
    let stopping: Promise<void> | null = null;
    const stop = () => {
      stopping ??= kernel.stop(deadline);
      return stopping;
    };
    const done = new Promise<void>((r) => {
      for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => stop().then(r));
    });
    const notReady = await kernel.start();
    if (notReady.length && !p.json) console.error(`zos kernel run: not ready: ${notReady.join(", ")} (see the events above)`);
    await done;
    const failed = Object.values(kernel.states()).filter((s) => s === "failed").length;
    return failed ? 1 : 0;
  },
};
