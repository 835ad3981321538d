// `zos hub push DIR NAME`: packs a directory into an rfs v2 `.fl` and publishes it, with its blocks,
// on the dev grid's flist hub (hub_url of endpoints.json, or --hub).
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "../zos.ts";
import { parse } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";
import { hubUrlFrom } from "../lib/hub-url.ts";
import { DEFAULT_STATE_DIR } from "./dev/endpoints.ts";

const HELP = `zos hub — flists on the dev grid's hub

usage: zos hub push DIR NAME [--hub URL] [--state DIR] [--json]

  DIR          the directory to pack (symlinks kept, not followed; device nodes, fifos and sockets skipped)
  NAME         [REPO/]FILE: where it lands on the hub; REPO defaults to "dev", ".fl" is added when missing;
               a name ending in ".flist" writes the legacy 0-fs format (BLAKE2b-128 + snappy + XXTEA blocks)
  --hub URL    the hub (default: hub_url of DIR/endpoints.json, written by \`npm start\`)
  --state DIR  the dev state folder holding endpoints.json (default ${DEFAULT_STATE_DIR})
  --json       print one JSON object {name, url, md5, files, directories, symlinks, bytes, blocks, uploaded, skipped}

Files are split into 512 KiB blocks, each keyed by BLAKE2b-256 of its content, snappy-compressed and
AES-256-GCM encrypted as rfs does; the hub stores blocks it does not have yet and checks the flist
before publishing it. Download it from the printed URL (its md5 at URL.md5).`;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

function flistName(raw: string): string {
  const parts = raw.split("/");
  if (parts.length > 2) throw new UserError(`zos hub push: NAME "${raw}" has more than one "/"; use REPO/FILE or FILE`, 2);
  const [repo, file0] = parts.length === 2 ? parts : ["dev", parts[0]];
  const file = /\.(fl|flist)$/.test(file0) ? file0 : `${file0}.fl`;
  if (!NAME.test(repo) || !NAME.test(file)) {
    throw new UserError(`zos hub push: NAME "${raw}" may use letters, digits, ".", "_" and "-" only (and not start with "." or "-")`, 2);
  }
  return `${repo}/${file}`;
}

async function push(argv: string[]): Promise<number> {
  const p = parse(argv, { hub: { type: "string" }, state: { type: "string" } }, "hub push");
  if (p.help) {
    console.log(HELP);
    return 0;
  }
  if (p.positionals.length !== 2) throw new UserError(`zos hub push: needs DIR and NAME (got ${p.positionals.length} arguments). Run \`zos hub push --help\`.`, 2);
  const [dirArg, nameArg] = p.positionals;
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`zos hub push: ${dirArg} is not a directory`, 2);
  const name = flistName(nameArg);
  const hub = hubUrlFrom(p, "zos hub push");
  const { pushToHub } = await import("../../grid/hub/push.ts");
  let r;
  try {
    r = await pushToHub({ hubUrl: hub, source: dir, name });
  } catch (err) {
    const msg = (err as Error).message;
    const hint = /fetch|connect|ECONNREFUSED/i.test(msg) ? ` (is the dev grid running? start it with \`npm start\`)` : "";
    throw new UserError(`zos hub push: ${msg}${hint}`, 1);
  }
  if (p.json) console.log(JSON.stringify(r));
  else {
    console.log(`pushed ${r.name}: ${r.files} files, ${r.directories} directories, ${r.symlinks} symlinks, ${r.bytes} bytes in ${r.blocks} blocks (${r.uploaded} uploaded)`);
    if (r.skipped.length) console.log(`skipped (device nodes, fifos, sockets): ${r.skipped.join(", ")}`);
    console.log(`url ${r.url}\nmd5 ${r.md5}`);
  }
  return 0;
}

export const command: Command = {
  summary: "publish flists on the dev grid's hub",
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === "--help" || sub === "-h") {
      console.log(HELP);
      return sub ? 0 : 2;
    }
    if (sub === "push") return await push(rest);
    throw new UserError(`zos hub: unknown subcommand "${sub}". Run \`zos hub --help\`.`, 2);
  },
};
