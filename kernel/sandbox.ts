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

export const repoRoot = join(fileURLToPath(new URL(".", import.meta.url)), "..");

export function denoBinary(): string {
  for (const p of [join(repoRoot, "node_modules", "@deno", "linux-x64-glibc", "deno"), join(repoRoot, "node_modules", "deno", "deno")]) {
    if (existsSync(p)) return p;
  }
  throw new Error(`the Deno runtime is missing under ${repoRoot}/node_modules; run npm ci`);
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

/** The Deno flags for a process: `--allow-X=a,b` for each non-empty list, nothing else. */
export function permissionFlags(spec: ProcessSpec, vars: Record<string, string>): string[] {
  const flags: string[] = [];
  for (const k of PERMISSIONS) {
    const list = spec.sandbox[k];
    if (spec.kind === "module" || !list.length) continue;
    flags.push(`--allow-${k}=${list.map((v) => substitute(v, vars)).join(",")}`);
  }
  return flags;
}

export function launchPlan(spec: ProcessSpec, opts: { vars: Record<string, string>; cwd: string; identity: Identity | null; denoDir: string }): LaunchPlan {
  const deno = denoBinary();
  const denoArgs = [
    "run", "--quiet", "--no-prompt", "--no-lock", "--no-remote", "--no-config", "--node-modules-dir=manual",
    ...permissionFlags(spec, opts.vars),
    ...(spec.memoryMb ? [`--v8-flags=--max-old-space-size=${spec.memoryMb}`] : []),
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
