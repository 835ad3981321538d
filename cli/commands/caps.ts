// `zos caps audit` and `zos caps diff`: the reviewer's tools over manifests (data, never run).
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";
import { formatErrors, loadManifest, type Manifest } from "../../kernel/manifest.ts";
import { audit, renderAudit } from "../../kernel/audit.ts";
import { diffManifests, renderDiff } from "../../kernel/diff.ts";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { repoRoot } from "../../kernel/sandbox.ts";

const HELP = `zos caps — audit and diff capability grants

usage:
  zos caps audit [--manifest F | --image DIR] [--json]
      The reviewer's matrix: every process × capability with its restrictions, what each process can reach
      transitively through what it was granted, and the runtime permissions behind it.
      Default manifest: manifests/node.json. --image DIR reads DIR/manifest.json (or DIR/manifests/node.json).
  zos caps diff A B [--json]
      What each process gained (+) or lost (-) from manifest A to manifest B.

exit codes: 0 ok (diff: nothing widened), 1 diff: authority widened, 2 bad usage or invalid manifest`;

function load(path: string, what: string): Manifest {
  if (!existsSync(path)) {
    throw new UserError(`zos caps: ${what} ${path} does not exist. Pass an existing manifest file.`, 2);
  }
  // File existence of entries is not the reviewer's question; validate the data only.
  const r = loadManifest(path, { checkFiles: false });
  if (!r.ok) throw new UserError(`zos caps: ${what} is invalid:\n${formatErrors(r.errors, path)}`, 2);
  return r.manifest;
}

function manifestFromImage(dir: string): string {
  for (
    const c of [
      join(dir, "manifest.json"),
      join(dir, "manifests", "node.json"),
      join(dir, "etc", "zos", "manifest.json"),
    ]
  ) {
    if (existsSync(c)) return c;
  }
  throw new UserError(
    `zos caps: no manifest in image ${dir} (looked for manifest.json, manifests/node.json, etc/zos/manifest.json)`,
    2,
  );
}

export const command: Command = {
  summary: "audit and diff capability grants",
  run: (argv: string[]): Promise<number> => Promise.resolve().then(() => caps(argv)),
};

function caps(argv: string[]): number {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h") {
    console.log(HELP);
    return sub ? 0 : 2;
  }
  if (sub === "audit") {
    const p = parse(rest, { manifest: { type: "string" }, image: { type: "string" } }, "caps audit");
    if (p.help) {
      console.log(HELP);
      return 0;
    }
    if (p.positionals.length) {
      throw new UserError(`zos caps audit: unexpected argument "${p.positionals[0]}". Use --manifest F.`, 2);
    }
    const m = str(p, "manifest");
    const img = str(p, "image");
    if (m && img) throw new UserError("zos caps audit: give --manifest or --image, not both", 2);
    const path = img
      ? manifestFromImage(resolve(img))
      : resolve(m ?? join(repoRoot, "manifests", "node.json"));
    const a = audit(load(path, "manifest"));
    console.log(p.json ? JSON.stringify(a) : renderAudit(a));
    return 0;
  }
  if (sub === "diff") {
    const p = parse(rest, {}, "caps diff");
    if (p.help) {
      console.log(HELP);
      return 0;
    }
    if (p.positionals.length !== 2) {
      throw new UserError("zos caps diff: needs exactly two manifests: zos caps diff A B", 2);
    }
    const [a, b] = p.positionals.map((x) => resolve(x));
    const d = diffManifests(load(a, "manifest A"), load(b, "manifest B"));
    console.log(p.json ? JSON.stringify(d) : renderDiff(d));
    return d.widened ? 1 : 0;
  }
  throw new UserError(`zos caps: unknown subcommand "${sub}" (audit, diff). Run \`zos caps --help\`.`, 2);
}
