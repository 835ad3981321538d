// How a process is started: the Deno command line with exactly the manifest's permissions (none for a
// module), a cleared environment, a private empty working directory, and — when the kernel is root — a
// uid/gid of its own, only the supplementary groups and Linux capabilities its manifest's `linux` key
// names (raised as ambient, so they survive the exec into Deno; the bounding set is exactly those) and
// no_new_privs, through util-linux `setpriv`.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PERMISSIONS, substitute, type ProcessSpec } from "./manifest.ts";
import { setprivCapName } from "./linux.ts";
import { findDenoBinary } from "../bin/deno-binary.js";

export const repoRoot = join(fileURLToPath(new URL(".", import.meta.url)), "..");

/** The Deno runtime of this tree, the same one bin/zos.js and the test runner use. */
export function denoBinary(): string {
  const deno = findDenoBinary(repoRoot);
  if (!deno) throw new Error(`the Deno runtime is missing under ${repoRoot}/node_modules; run npm ci`);
  return deno;
}

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p)) ?? null;

export interface Identity {
  uid: number;
  gid: number;
  /** Supplementary gids (from the manifest's linux.groups). */
  groups: number[];
  /** CAP_* names (from the manifest's linux.capabilities). */
  capabilities: string[];
}

export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  identity: Identity | null;
}

/**
 * The Deno flags for a process: `--allow-X=a,b` for each non-empty list and `--deny-X` for every other
 * permission. Deny-by-default is stated, not implied: Deno's node:child_process inserts `-A` into a Deno
 * command line that carries no permission flag (to mimic Node), so a module's line must never be without one.
 */
export function permissionFlags(spec: ProcessSpec, vars: Record<string, string>): string[] {
  const flags: string[] = [];
  for (const k of PERMISSIONS) {
    const list = spec.kind === "module" ? [] : spec.sandbox[k];
    flags.push(list.length ? `--allow-${k}=${list.map((v) => substitute(v, vars)).join(",")}` : `--deny-${k}`);
  }
  return flags;
}

/** One `--v8-flags=` argument: the manifest's V8 flags and the heap limit from memoryMb (none when empty). */
export function v8FlagsArg(spec: ProcessSpec): string[] {
  const flags = [...(spec.v8Flags ?? []), ...(spec.memoryMb ? [`--max-old-space-size=${spec.memoryMb}`] : [])];
  return flags.length ? [`--v8-flags=${flags.join(",")}`] : [];
}

export function launchPlan(spec: ProcessSpec, opts: { vars: Record<string, string>; cwd: string; identity: Identity | null; denoDir: string }): LaunchPlan {
  const deno = denoBinary();
  const denoArgs = [
    "run", "--quiet", "--no-prompt", "--no-lock", "--no-remote", "--no-config", "--node-modules-dir=manual",
    ...permissionFlags(spec, opts.vars),
    ...v8FlagsArg(spec),
    ...(spec.conditions?.length ? [`--conditions=${spec.conditions.join(",")}`] : []),
    spec.entryPath,
    ...spec.args.map((a) => substitute(a, opts.vars)),
  ];
  // Deno needs nothing from the environment but where its transpile cache is; the child cannot read it.
  const env: Record<string, string> = { DENO_DIR: opts.denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  if (opts.identity && !SETPRIV) {
    // spawn()'s own uid switch would keep the bounding set and could not raise ambient capabilities.
    throw new Error("setpriv (util-linux) is required to start processes under their own uid; install util-linux");
  }
  if (opts.identity && SETPRIV) {
    const { uid, gid, groups, capabilities } = opts.identity;
    const caps = ["-all", ...capabilities.map((c) => `+${setprivCapName(c)}`)].join(",");
    return {
      command: SETPRIV,
      args: [
        `--reuid=${uid}`, `--regid=${gid}`, groups.length ? `--groups=${groups.join(",")}` : "--clear-groups",
        `--inh-caps=${caps}`, `--ambient-caps=${caps}`, `--bounding-set=${caps}`, "--no-new-privs", "--", deno, ...denoArgs,
      ],
      env,
      cwd: opts.cwd,
      identity: opts.identity,
    };
  }
  return { command: deno, args: denoArgs, env, cwd: opts.cwd, identity: opts.identity };
}
