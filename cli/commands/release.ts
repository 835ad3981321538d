// `zos release build OUT --version V` and `zos release push DIR --channel REPO/NAME.fl`: a node release (the
// processes' bundles, the kernel's, the manifest; kernel/upgrade/, docs/upgrade.md) built from this tree and
// published on a hub, where nodes following the channel pick it up.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "../zos.ts";
import { parse, str } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";
import { hubUrlFrom } from "../lib/hub-url.ts";
import { repoRoot } from "../../kernel/sandbox.ts";
import { DEFAULT_STATE_DIR } from "./dev/endpoints.ts";

const HELP = `zos release — node releases for live upgrade (docs/upgrade.md)

usage: zos release build OUT --version V [--manifest F] [--json]
       zos release verify DIR [--json]
       zos release push DIR [--channel REPO/NAME.fl] [--hub URL] [--state DIR] [--json]

  build     bundle every process of the manifest (default manifests/node.json), the helpers drivers start and
            the kernel into OUT (a new folder), with package.json (version V) and release.json (its tree sha256 and every file's)
  verify    check a release folder: release.json, every file's hash, the manifest, entries inside the folder
  push      publish a release folder on the hub as an flist under the channel (default tf-zos/zos-dev.fl) and
            as REPO/zos-<version>.fl; prints the tree sha256 nodes pin (and a farmer approves when it widens authority)
  --hub URL    the hub (default: hub_url of DIR/endpoints.json, written by \`npm start\`)
  --state DIR  the dev state folder holding endpoints.json (default ${DEFAULT_STATE_DIR})
  --json       print one JSON object

Exit codes: 0 done, 1 the release or the hub said no, 2 bad usage.`;

function folder(arg: string | undefined, sub: string): string {
  if (!arg) throw new UserError(`zos release ${sub}: needs the release folder. Run \`zos release --help\`.`, 2);
  const dir = resolve(arg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`zos release ${sub}: ${arg} is not a directory`, 2);
  return dir;
}

async function run(sub: string, argv: string[]): Promise<number> {
  const p = parse(argv, { version: { type: "string" }, manifest: { type: "string" }, channel: { type: "string" }, hub: { type: "string" }, state: { type: "string" } }, `release ${sub}`);
  if (p.help) {
    console.log(HELP);
    return 0;
  }
  const { ReleaseError, verifyRelease } = await import("../../kernel/upgrade/release.ts");
  try {
    if (sub === "build") {
      const out = p.positionals[0];
      const version = str(p, "version");
      if (!out || !version) throw new UserError("zos release build: needs OUT and --version V. Run `zos release --help`.", 2);
      const { buildRelease } = await import("../../kernel/upgrade/build.ts");
      const manifest = str(p, "manifest");
      const info = buildRelease({ root: repoRoot, out, version, manifest: manifest ? resolve(manifest) : undefined, progress: p.json ? undefined : (m) => console.error(m) });
      if (p.json) console.log(JSON.stringify({ out: resolve(out), version, files: Object.keys(info.files).length, tree_sha256: info.tree_sha256 }));
      else console.log(`release ${version} in ${resolve(out)}: ${Object.keys(info.files).length} files, tree sha256 ${info.tree_sha256}`);
      return 0;
    }
    if (sub === "verify") {
      const r = verifyRelease(folder(p.positionals[0], sub));
      if (p.json) console.log(JSON.stringify({ dir: r.dir, version: r.info.version, files: Object.keys(r.info.files).length, processes: r.manifest.processes.length, tree_sha256: r.info.tree_sha256 }));
      else console.log(`release ${r.info.version} in ${r.dir}: ${Object.keys(r.info.files).length} files verified, ${r.manifest.processes.length} processes, tree sha256 ${r.info.tree_sha256}`);
      return 0;
    }
    if (sub === "push") {
      const dir = folder(p.positionals[0], sub);
      const { pushRelease } = await import("../../kernel/upgrade/push.ts");
      const r = await pushRelease({ hubUrl: hubUrlFrom(p, "zos release push"), dir, channel: str(p, "channel") ?? "tf-zos/zos-dev.fl" });
      if (p.json) console.log(JSON.stringify(r));
      else console.log(`pushed release ${r.version}: ${r.url} (and ${r.versioned})\nmd5          ${r.md5}\ntree sha256  ${r.hash}  (what nodes pin and the farmer approves)`);
      return 0;
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    if (err instanceof ReleaseError) throw new UserError(`zos release ${sub}: ${err.message}`, 1);
    const msg = (err as Error).message;
    if (/fetch|ECONNREFUSED|hub answered/i.test(msg)) throw new UserError(`zos release ${sub}: ${msg} (is the hub up?)`, 1);
    throw err;
  }
  throw new UserError(`zos release: unknown subcommand "${sub}". Run \`zos release --help\`.`, 2);
}

export const command: Command = {
  summary: "build, verify and publish node releases for live upgrade",
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === "--help" || sub === "-h") {
      console.log(HELP);
      return sub ? 0 : 2;
    }
    return await run(sub, rest);
  },
};
